// How `history` shows its rows: a table like last(1), and `--json` for tools. Pure; `now` is handed in.
import { alignColumns } from '../cli/table.js';
import { formatDuration } from '../core/duration.js';
import type { Ending, HistoryRow } from './reconstruct.js';

/** The names `--json` uses in `ended` (the table spells them for people). */
export type EndedName =
  | 'idle'
  | 'revoked'
  | 'manual'
  | 'max_age'
  | 'detached'
  | 'schedule'
  | 'by_itself'
  | 'still_on'
  | 'daemon_down'
  | 'unknown';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
/** ISO-8601 in whole seconds (`2026-11-24T09:00:00Z`): copy-pastable into --since/--until. */
export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * `from` comes from the session's own environment (SSH_CONNECTION), which its user can set to anything:
 * never let it put control sequences on an operator's terminal.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

export function endedName(e: Ending): EndedName {
  if (e.kind !== 'ended') return e.kind;
  if (e.reason === null) return 'by_itself';
  const known: readonly string[] = ['idle', 'revoked', 'manual', 'max_age', 'detached', 'schedule'];
  return known.includes(e.reason) ? (e.reason as EndedName) : 'unknown';
}

export function endedText(e: Ending): string {
  switch (e.kind) {
    case 'still_on':
      return '-';
    case 'daemon_down':
      return 'unknown (daemon down)';
    case 'unknown':
      return 'unknown (daemon stopped)';
    case 'ended':
      if (e.reason === null) return 'by itself';
      if (e.reason === 'revoked') {
        const why = e.revocation?.reason ?? e.revocation?.target;
        return why ? `revoked (${why})` : 'revoked';
      }
      return e.reason;
  }
}

function durationMs(r: HistoryRow, now: number): number | null {
  if (r.startedAt === null) return null;
  if (r.ending.kind === 'ended') return Math.max(0, r.ending.at - r.startedAt);
  if (r.ending.kind === 'still_on') return Math.max(0, now - r.startedAt);
  return null;
}

export function historyJson(r: HistoryRow, now: number) {
  const e = r.ending;
  const d = durationMs(r, now);
  return {
    id: r.id,
    pid: r.pid,
    user: r.user,
    uid: r.uid,
    tty: r.tty,
    from: r.from,
    clients: r.clients,
    started_at: iso(r.startedAt),
    /** false: no session.start line (rotated away); started_at then comes from session.end's duration. */
    start_logged: r.startLogged,
    ended_at: e.kind === 'ended' ? iso(e.at) : null,
    /** When the end is not in the log: the interval it lies in (ended_before null = not known). */
    ended_after: e.kind === 'daemon_down' || e.kind === 'unknown' ? iso(e.after) : null,
    ended_before: e.kind === 'daemon_down' ? iso(e.before) : null,
    duration_seconds: d === null ? null : Math.round(d / 1000),
    ended: endedName(e),
    reason: e.kind === 'ended' ? e.reason : null,
    revocation: e.kind === 'ended' ? e.revocation : null,
  };
}

const MAX_CLIENTS_SHOWN = 3;

function clientsText(clients: string[]): string {
  if (clients.length === 0) return '-';
  const shown = clients.slice(0, MAX_CLIENTS_SHOWN).join(',');
  return clients.length > MAX_CLIENTS_SHOWN ? `${shown},+${clients.length - MAX_CLIENTS_SHOWN}` : shown;
}

export function historyTable(rows: HistoryRow[], now: number): string {
  const header = ['USER', 'TTY', 'FROM', 'CLIENT(S)', 'START', 'END', 'DURATION', 'ENDED'];
  const body = rows.map((r) => {
    const e = r.ending;
    const d = durationMs(r, now);
    return [
      r.user ?? (r.uid !== null ? `uid:${r.uid}` : '?'),
      r.tty ?? '?',
      // '?': the start line is not in the log; '-': it is, and had no ssh origin.
      r.from ?? (r.startLogged ? '-' : '?'),
      clientsText(r.clients),
      r.startedAt === null ? '?' : isoSeconds(r.startedAt),
      e.kind === 'ended' ? isoSeconds(e.at) : e.kind === 'still_on' ? 'still on' : '?',
      d === null ? '?' : formatDuration(d),
      endedText(e),
    ].map(printable);
  });
  return alignColumns(header, body);
}
