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

/**
 * stdout. Into a pipe or a socket (journald, a harness that reads the log) a write must not hold the
 * event loop while the reader is slow: 200 sessions ended at once log ~500 KB, and one blocking write
 * waited up to 2 s for the reader in one piece (bench/RESULTS.md, "No stall while looking";
 * docs/architecture.md, "Speed"). So the fd is made non-blocking (creating `process.stdout` does it:
 * libuv's uv_pipe_open), what the reader does not take at once is kept, in order, and written as it
 * drains, and at exit the rest is written with writeAll's bounded wait. Past MAX_QUEUED bytes a write
 * waits for the reader, as before: memory stays bounded, and no line is dropped while someone reads.
 * Files and terminals are written as before (a write to them does not wait for a reader).
 */
export function stdoutWriter(): Writer {
  const fd = 1;
  let kind: fs.Stats;
  try {
    kind = fs.fstatSync(fd);
  } catch {
    return fdWriter(fd);
  }
  if (!kind.isFIFO() && !kind.isSocket()) return fdWriter(fd);
  void process.stdout; // makes fd 1 non-blocking (a write then takes what fits, or EAGAIN)
  const queue = new QueuedWrites(fd);
  process.on('exit', () => queue.flushBlocking());
  return { write: (text) => queue.write(Buffer.from(text, 'utf8')) };
}

/** Bytes kept for a slow reader before a write waits for it (a few thousand log lines). */
const MAX_QUEUED = 4 * 1024 * 1024;
/** How soon a queued write is tried again. */
const RETRY_MS = 2;

/** The writes a non-blocking fd could not take yet, in order (stdoutWriter). */
export class QueuedWrites {
  private readonly queue: Buffer[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly fd: number,
    private readonly write1: (fd: number, b: Buffer) => number = (f, b) => fs.writeSync(f, b),
  ) {}

  write(data: Buffer): void {
    this.queue.push(data);
    this.bytes += data.length;
    if (this.drain()) return;
    if (this.bytes > MAX_QUEUED) return this.flushBlocking();
    if (this.timer === null) this.schedule();
  }

  /** Queued bytes (for the tests). */
  pending(): number {
    return this.bytes;
  }

  /** Everything queued, waiting for the reader as writeAll does (at exit, or past MAX_QUEUED). */
  flushBlocking(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const b of this.queue.splice(0)) writeAll(this.fd, b);
    this.bytes = 0;
  }

  /** Unref'd: a reader that never reads must not keep the program alive; at exit the rest waits (bounded). */
  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.drain()) this.schedule();
    }, RETRY_MS);
    this.timer.unref();
  }

  /** Writes what the fd takes now; true when nothing is left. */
  private drain(): boolean {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      let n: number;
      try {
        n = this.write1(this.fd, head);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') return false;
        if (code === 'EPIPE') {
          this.queue.length = 0; // nobody reads: losing the lines beats dying
          this.bytes = 0;
          return true;
        }
        throw e;
      }
      this.bytes -= n;
      if (n < head.length) {
        this.queue[0] = head.subarray(n);
        return false;
      }
      this.queue.shift();
    }
    return true;
  }
}

/** A Writer that keeps what it is given (tests, and commands that build output before printing it). */
export function bufferWriter(): Writer & { text(): string } {
  let out = '';
  return {
    write: (text) => void (out += text),
    text: () => out,
  };
}
