// `moshwarden sessions --watch [INTERVAL]`: the sessions table redrawn in place every INTERVAL, with the
// verdicts counting down, until q or Ctrl-C. When stdout is not a terminal (a pipe, a file), one table per
// interval instead, each after a timestamp and a blank line, so the output stays readable and greppable.
import type { Policy, Session, Verdict } from '../core/types.js';
import { onStopSignals, openLiveScreen, type TerminalIo } from '../host/terminal.js';
import { sessionsTable } from './session-view.js';
import { renderWatch, verdictCountdown } from './watch-view.js';

export interface WatchRead {
  rows: { session: Session; verdict: Verdict }[];
  now: number;
  notes: string[];
}

export interface WatchDeps {
  io: TerminalIo;
  /** Where notes go when stdout is not a terminal (once each). */
  err: { write(s: string): void };
  host: string;
  setTimer: (fn: () => void, ms: number) => { cancel(): void };
}

/** `--watch` with no value: 2 s, like watch(1). */
export const DEFAULT_WATCH_MS = 2_000;

/** `2s`, `1m`, or plain seconds like watch -n (`1`, `0.5`): at least 0.1 s, at most an hour. */
export function parseWatchInterval(text: string): number | null {
  const plain = /^([0-9]{1,4})(\.[0-9]{1,3})?$/.exec(text);
  const d = /^([0-9]{1,4})(ms|s|m)$/.exec(text);
  const ms = plain ? Math.round(Number(text) * 1000) : d ? Number(d[1]) * { ms: 1, s: 1000, m: 60_000 }[d[2]!]! : null;
  return ms !== null && ms >= 100 && ms <= 3_600_000 ? ms : null;
}

export async function watchSessions(
  policy: Policy,
  intervalMs: number,
  read: (first: boolean) => Promise<WatchRead>,
  deps: WatchDeps,
): Promise<void> {
  const { io } = deps;
  let stopped = false;
  let wake: (() => void) | null = null;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  let last: WatchRead | null = null;
  const frame = (r: WatchRead) => ({ rows: r.rows, policy, now: r.now, intervalMs, host: deps.host, notes: r.notes });
  const redraw = () => {
    if (screen && last) screen.draw(renderWatch(frame(last), screen.size()));
  };
  const screen = io.output.isTTY ? openLiveScreen(io, stop, redraw) : null;
  const unsubscribe = screen ? () => {} : onStopSignals(io.signals, stop);
  // A closed pipe (`| head`) ends the watch instead of an EPIPE crash.
  io.output.on('error', stop);
  const noted = new Set<string>();
  try {
    for (let first = true; !stopped; first = false) {
      last = await read(first);
      if (stopped) break;
      if (screen) {
        redraw();
      } else {
        const table = last.rows.length
          ? sessionsTable(last.rows, policy, last.now, verdictCountdown)
          : 'no mosh sessions';
        io.output.write(`${new Date(last.now).toISOString()}\n${table}\n\n`);
        for (const n of last.notes.filter((x) => !noted.has(x))) {
          noted.add(n);
          deps.err.write(`note: ${n}\n`);
        }
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const t = deps.setTimer(resolve, intervalMs);
        wake = () => {
          t.cancel();
          resolve();
        };
      });
      wake = null;
    }
  } finally {
    screen?.close();
    unsubscribe();
    io.output.off('error', stop);
  }
}
