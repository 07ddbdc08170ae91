// How a session and its verdict are shown: the `sessions --json` element (docs/contract.md) and a table row.
import { formatDuration } from '../core/duration.js';
import type { Policy, Session, Verdict } from '../core/types.js';
import { sessionJson } from '../sessions/json.js';
import { alignColumns } from './table.js';

export { sessionJson } from '../sessions/json.js';

function short(ms: number | null): string {
  return ms === null ? '-' : formatDuration(Math.round(ms / 1000) * 1000);
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19) + 'Z';
}

export function verdictText(v: Verdict): string {
  const at = v.at === null ? '' : ` ${clock(v.at)}`;
  if (v.action === 'terminate') return `terminate (${v.reason})`;
  if (v.action === 'warn') return `warn now, ends${at} (${v.reason})`;
  if ('warning' in v) return `ends${at} (${v.reason}, warned)`;
  if (v.reason === 'exempt') return 'keep (exempt)';
  return v.at === null ? 'keep' : `keep, next check${at}`;
}

/** `attached 198.51.100.9`, `detached 12m` (since the client was last heard), `waiting`. */
function stateText(s: Session, now: number): string {
  const exe = s.comm === 'mosh-server' ? '' : `, exe: ${s.exe ?? s.comm}`;
  if (s.state === 'attached' && s.client) return `attached ${s.client}${exe}`;
  if (s.state === 'detached' && s.stateSince !== null) {
    return `detached ${short(Math.max(0, now - s.stateSince))}${exe}`;
  }
  return `${s.state}${exe}`;
}

/**
 * `verdictCell` lets the live view (`--watch`) show countdowns instead of clock times. `wide` adds the
 * session id (what `revoke session:ID` and `terminate --fleet` take) as a last column, so the required
 * columns keep their places.
 */
export function sessionsTable(
  rows: { session: Session; verdict: Verdict }[],
  policy: Policy,
  now: number,
  verdictCell: (v: Verdict, now: number) => string = verdictText,
  opts: { wide?: boolean } = {},
): string {
  const header = ['PID', 'USER', 'TTY', 'FROM', 'STATE', 'IDLE', 'AGE', 'VERDICT', ...(opts.wide ? ['ID'] : [])];
  const body = rows.map(({ session: s, verdict: v }) => {
    const j = sessionJson(s, v, policy, now);
    return [
      String(s.pid),
      s.user ?? `uid:${s.uid}`,
      s.tty ?? '?',
      s.from ?? '-',
      stateText(s, now),
      short(j.idle_seconds === null ? null : j.idle_seconds * 1000),
      short(j.age_seconds === null ? null : j.age_seconds * 1000),
      verdictCell(v, now),
      ...(opts.wide ? [s.id] : []),
    ];
  });
  return alignColumns(header, body);
}
