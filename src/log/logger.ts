// JSON lines through pino, written synchronously to a Writer (host/output.ts says why synchronous).
// One line per event; the event names are the union in ./events.ts.
import { pino } from 'pino';
import type { LogLevel } from '../core/types.js';
import { clock } from '../host/clock.js';
import type { Writer } from '../host/output.js';
import type { Logger } from './events.js';

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
 * A pino destination: one write per line, with the journald prefix when asked for. Lines below
 * `minLevel()` are not written to `out` but still reach the taps: the audit trail must not depend on
 * how chatty the operational log is.
 */
export function lineDestination(
  out: Writer,
  journald: boolean,
  minLevel: () => number = () => 0,
  taps: readonly LogTap[] = [],
): { write(line: string): void } {
  return {
    write(line: string) {
      // pino writes the level first ({"level":"warn",...}) because of the formatter below.
      const label = /^\{"level":"(\w+)"/.exec(line)?.[1] ?? 'info';
      const value = LEVEL_VALUE[label] ?? LEVEL_VALUE.info!;
      if (value >= minLevel()) out.write(journald ? `<${PRIORITY[label] ?? 6}>${line}` : line);
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

export interface LoggerOptions {
  level: LogLevel;
  /** Where the lines go: stdout for the daemon, stderr for CLI commands. */
  out: Writer;
  /** Prefix lines with `<N>` (when systemd says stdout is the journal: JOURNAL_STREAM). */
  journald?: boolean;
  /** See every line of level info and up, also when `level` is warn or higher. */
  taps?: readonly LogTap[];
}

export interface DaemonLogger {
  log: Logger;
  /** Changes the level of what goes to `out` (a reload); the taps keep seeing info and up. */
  setLevel(level: LogLevel): void;
}

export function createLogger(opts: LoggerOptions): Logger {
  return createDaemonLogger(opts).log;
}

export function createDaemonLogger(opts: LoggerOptions): DaemonLogger {
  const taps = opts.taps ?? [];
  let level = opts.level;
  // With taps, pino itself must produce info lines even when stdout wants only warnings.
  const pinoLevel = (l: LogLevel): LogLevel => (taps.length > 0 && LEVEL_VALUE[l]! > LEVEL_VALUE.info! ? 'info' : l);
  const log = pino(
    {
      level: pinoLevel(level),
      base: undefined, // no pid/hostname on every line: journald has them, and `pid` means the session's
      // The wall clock the daemon decides with (host/clock.ts), so a line's time and the times it carries agree.
      timestamp: () => `,"time":"${new Date(clock.now()).toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    lineDestination(opts.out, opts.journald ?? false, () => LEVEL_VALUE[level]!, taps),
  );
  return {
    log,
    setLevel(l) {
      level = l;
      log.level = pinoLevel(l);
    },
  };
}
