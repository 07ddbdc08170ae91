// JSON lines through pino, written synchronously: pino's default asynchronous destination lost 19,999
// of 20,000 lines on SIGTERM (DESIGN.md), and these lines are the audit trail of who was disconnected.
import fs from 'node:fs';
import { pino, type Logger } from 'pino';
import type { LogLevel } from '../core/types.js';

export type { Logger };

/** syslog priorities for journald's `<N>` line prefix, so `journalctl -p warning` works. */
const PRIORITY: Record<string, number> = { trace: 7, debug: 7, info: 6, warn: 4, error: 3, fatal: 2 };

/** A pino destination: one synchronous write(2) per line, with the journald prefix when asked for. */
export function lineDestination(fd: number, journald: boolean): { write(line: string): void } {
  return {
    write(line: string) {
      let out = line;
      if (journald) {
        // pino writes the level first ({"level":"warn",...}) because of the formatter below.
        const m = /^\{"level":"(\w+)"/.exec(line);
        out = `<${PRIORITY[m?.[1] ?? 'info'] ?? 6}>${line}`;
      }
      writeAll(fd, Buffer.from(out, 'utf8'));
    },
  };
}

/**
 * Writes every byte: a pipe can take part of a line (EAGAIN on a full non-blocking pipe), and a reader
 * that went away (EPIPE: journald restarting, `| head`) must not take the daemon down with it.
 */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

function writeAll(fd: number, data: Buffer): void {
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

export interface LoggerOptions {
  level: LogLevel;
  /** File descriptor to write to: 1 for the daemon (stdout), 2 for CLI commands. */
  fd?: number;
  /** Prefix lines with `<N>`; default: when systemd says stdout is the journal (JOURNAL_STREAM). */
  journald?: boolean;
}

export function createLogger(opts: LoggerOptions): Logger {
  const fd = opts.fd ?? 1;
  const journald = opts.journald ?? (fd === 1 && Boolean(process.env.JOURNAL_STREAM));
  return pino(
    {
      level: opts.level,
      base: undefined, // no pid/hostname on every line: journald has them, and `pid` means the session's
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    lineDestination(fd, journald),
  );
}
