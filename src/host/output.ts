// Host boundary: writing to file descriptors (stdout, stderr, the audit file). Everything the program
// prints goes through a Writer, so commands and log sinks can be tested with a string buffer.
import fs from 'node:fs';

/** Where text goes: stdout, stderr, or a buffer in a test. */
export interface Writer {
  write(text: string): void;
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes every byte, synchronously: a pipe can take part of a line (EAGAIN on a full non-blocking pipe),
 * and a reader that went away (EPIPE: journald restarting, `| head`) must not take the daemon down.
 * Synchronous on purpose: pino's asynchronous destination lost 19,999 of 20,000 lines on SIGTERM
 * (docs/architecture.md, "Measured facts"), and these lines are the audit trail.
 */
export function writeAll(fd: number, data: Buffer): void {
  let off = 0;
  let stalls = 0;
  while (off < data.length) {
    try {
      off += fs.writeSync(fd, data, off);
      stalls = 0;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' && ++stalls < 1000) {
        Atomics.wait(PAUSE, 0, 0, 1); // the reader is slow: sleep 1 ms, then try again (≤ 1 s in all)
        continue;
      }
      if (code === 'EPIPE' || code === 'EAGAIN') return; // nobody reads: losing the line beats dying
      throw e;
    }
  }
}

/** A Writer on a file descriptor (1: stdout, 2: stderr). */
export function fdWriter(fd: number): Writer {
  return { write: (text) => writeAll(fd, Buffer.from(text, 'utf8')) };
}

/** A Writer that keeps what it is given (tests, and commands that build output before printing it). */
export function bufferWriter(): Writer & { text(): string } {
  let out = '';
  return {
    write: (text) => void (out += text),
    text: () => out,
  };
}
