// JSON lines through pino, written synchronously: pino's default asynchronous destination lost 19,999
// of 20,000 lines on SIGTERM (DESIGN.md), and these lines are the audit trail of who was disconnected.
import fs from 'node:fs';
import { pino, type Logger } from 'pino';
import type { LogLevel } from '../core/types.js';

export type { Logger };

/** syslog priorities for journald's `<N>` line prefix, so `journalctl -p warning` works. */
const PRIORITY: Record<string, number> = { trace: 7, debug: 7, info: 6, warn: 4, error: 3, fatal: 2 };

/** pino's numeric levels for the labels, to filter lines by the level the operator asked for. */
const LEVEL_VALUE: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/** Something that sees every event line of level info and up, whatever the stdout level (audit, metrics). */
export interface LogTap {
  line(event: Record<string, unknown>, raw: string): void;
}

/**
 * A pino destination: one synchronous write(2) per line, with the journald prefix when asked for. Lines
 * below `minLevel()` are not written to `fd` but still reach the taps: the audit trail must not depend on
 * how chatty the operational log is.
 */
export function lineDestination(
  fd: number,
  journald: boolean,
  minLevel: () => number = () => 0,
  taps: readonly LogTap[] = [],
): { write(line: string): void } {
  return {
    write(line: string) {
      // pino writes the level first ({"level":"warn",...}) because of the formatter below.
      const label = /^\{"level":"(\w+)"/.exec(line)?.[1] ?? 'info';
      const value = LEVEL_VALUE[label] ?? LEVEL_VALUE.info!;
      if (value >= minLevel()) writeAll(fd, Buffer.from(journald ? `<${PRIORITY[label] ?? 6}>${line}` : line, 'utf8'));
      if (taps.length > 0 && value >= LEVEL_VALUE.info!) {
        let event: Record<string, unknown>;
        try {
          event = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return;
        }
        for (const tap of taps) tap.line(event, line);
      }
    },
  };
}

/**
 * Writes every byte: a pipe can take part of a line (EAGAIN on a full non-blocking pipe), and a reader
 * that went away (EPIPE: journald restarting, `| head`) must not take the daemon down with it.
 */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

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

export interface LoggerOptions {
  level: LogLevel;
  /** File descriptor to write to: 1 for the daemon (stdout), 2 for CLI commands. */
  fd?: number;
  /** Prefix lines with `<N>`; default: when systemd says stdout is the journal (JOURNAL_STREAM). */
  journald?: boolean;
  /** See every line of level info and up, also when `level` is warn or higher. */
  taps?: readonly LogTap[];
}

export interface DaemonLogger {
  log: Logger;
  /** Changes the level of what goes to stdout (a reload); the taps keep seeing info and up. */
  setLevel(level: LogLevel): void;
}

export function createLogger(opts: LoggerOptions): Logger {
  return createDaemonLogger(opts).log;
}

export function createDaemonLogger(opts: LoggerOptions): DaemonLogger {
  const fd = opts.fd ?? 1;
  const journald = opts.journald ?? (fd === 1 && Boolean(process.env.JOURNAL_STREAM));
  const taps = opts.taps ?? [];
  let level = opts.level;
  // With taps, pino itself must produce info lines even when stdout wants only warnings.
  const pinoLevel = (l: LogLevel): LogLevel => (taps.length > 0 && LEVEL_VALUE[l]! > LEVEL_VALUE.info! ? 'info' : l);
  const log = pino(
    {
      level: pinoLevel(level),
      base: undefined, // no pid/hostname on every line: journald has them, and `pid` means the session's
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    lineDestination(fd, journald, () => LEVEL_VALUE[level]!, taps),
  );
  return {
    log,
    setLevel(l) {
      level = l;
      log.level = pinoLevel(l);
    },
  };
}
