// `sessions --watch`: the screen as text. Pure: rows, the clock and the terminal's size in, lines out.
// Verdicts count down ("ends in 1m50s") instead of naming a clock time, so the view moves between scans.
import { formatDuration } from '../core/duration.js';
import type { Policy, Session, Verdict } from '../core/types.js';
import { isoSeconds } from '../history/format.js';
import { sessionsTable } from './session-view.js';

export interface ScreenSize {
  cols: number;
  rows: number;
}

export function countdown(at: number, now: number): string {
  return formatDuration(Math.max(0, at - now));
}

/** The VERDICT cell with a countdown: `keep, next check in 27m58s`, `warn now, ends in 1m50s (idle)`. */
export function verdictCountdown(v: Verdict, now: number): string {
  const inText = v.at === null ? '' : ` in ${countdown(v.at, now)}`;
  if (v.action === 'terminate') return `terminate now (${v.reason})`;
  if (v.action === 'warn') return `warn now, ends${inText} (${v.reason})`;
  if ('warning' in v) return `ends${inText} (${v.reason}, warned)`;
  if (v.reason === 'exempt') return 'keep (exempt)';
  return v.at === null ? 'keep' : `keep, next check${inText}`;
}

/** Terminal control characters in a cell (a user-set SSH_CONNECTION) must not reach the terminal. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

export interface WatchFrame {
  rows: { session: Session; verdict: Verdict }[];
  policy: Policy;
  now: number;
  intervalMs: number;
  host: string;
  /** Shown under the table: revocation file trouble, missing permissions. */
  notes: string[];
}

/**
 * The whole screen: a header like watch(1)'s, the table, the notes; cut to the terminal's width (no
 * wrapped lines to break the in-place redraw) and height (with a line saying how many rows are hidden).
 */
export function renderWatch(f: WatchFrame, size: ScreenSize): string[] {
  const clock = isoSeconds(f.now);
  const every = f.intervalMs % 1000 === 0 ? formatDuration(f.intervalMs) : `${f.intervalMs / 1000}s`;
  const title = `Every ${every}: moshwarden sessions on ${f.host}`;
  const gap = Math.max(2, size.cols - title.length - clock.length);
  const header = [`${title}${' '.repeat(gap)}${clock}`, 'q or Ctrl-C to quit', ''];
  const table = f.rows.length
    ? sessionsTable(f.rows, f.policy, f.now, verdictCountdown).split('\n')
    : ['no mosh sessions'];
  const notes = f.notes.map((n) => `note: ${n}`);
  const room = Math.max(1, size.rows - header.length - (notes.length ? notes.length + 1 : 0));
  let body = table;
  if (table.length > room) {
    const shown = Math.max(1, room - 1);
    body = [...table.slice(0, shown), `… ${table.length - shown} more rows (make the terminal taller)`];
  }
  const lines = [...header, ...body, ...(notes.length ? ['', ...notes] : [])];
  return lines.slice(0, Math.max(1, size.rows)).map((l) => cut(l.replace(CONTROL, '?'), size.cols));
}

function cut(line: string, cols: number): string {
  if (cols < 2 || line.length <= cols) return line.slice(0, Math.max(1, cols));
  return line.slice(0, cols - 1) + '…';
}
