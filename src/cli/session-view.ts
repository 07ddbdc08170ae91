// How a session and its verdict are shown: the `sessions --json` element (CONTRACT.md) and a table row.
import { lastActivity } from '../core/decide.js';
import { formatDuration } from '../core/duration.js';
import { matchRule } from '../core/policy.js';
import type { Policy, Session, Verdict } from '../core/types.js';
import { alignColumns } from './table.js';

const seconds = (fromMs: number | null, now: number) =>
  fromMs === null ? null : Math.max(0, Math.round((now - fromMs) / 1000));
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function sessionJson(s: Session, v: Verdict, policy: Policy, now: number) {
  const match = matchRule(s, policy);
  const countOutput = match.kind === 'matched' ? match.limits.countOutput : policy.defaults.countOutput;
  return {
    pid: s.pid,
    user: s.user,
    uid: s.uid,
    tty: s.tty,
    started_at: iso(s.startedAt),
    age_seconds: seconds(s.startedAt, now),
    from: s.from,
    client: s.client,
    state: s.state,
    state_since: iso(s.stateSince),
    /** When the client was last heard (utmp's flip to detached); null unless detached. */
    detached_since: s.state === 'detached' ? iso(s.stateSince) : null,
    idle_seconds: seconds(lastActivity(s, countOutput), now),
    last_input_seconds: seconds(s.lastInputAt, now),
    last_output_seconds: seconds(s.lastOutputAt, now),
    port: s.port,
    groups: s.groups,
    verdict: { action: v.action, reason: v.reason, at: iso(v.at), rule: v.rule },
  };
}

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
  if (v.reason === 'exempt') return 'keep (exempt)';
  if (v.reason !== 'ok') return `ends${at} (${v.reason}, warned)`;
  return v.at === null ? 'keep' : `keep, next check${at}`;
}

/** `attached 198.51.100.9`, `detached 12m` (since the client was last heard), `waiting`. */
function stateText(s: Session, now: number): string {
  if (s.state === 'attached' && s.client) return `attached ${s.client}`;
  if (s.state === 'detached' && s.stateSince !== null) return `detached ${short(Math.max(0, now - s.stateSince))}`;
  return s.state;
}

/** `verdictCell` lets the live view (`--watch`) show countdowns instead of clock times. */
export function sessionsTable(
  rows: { session: Session; verdict: Verdict }[],
  policy: Policy,
  now: number,
  verdictCell: (v: Verdict, now: number) => string = verdictText,
): string {
  const header = ['PID', 'USER', 'TTY', 'FROM', 'STATE', 'IDLE', 'AGE', 'VERDICT'];
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
    ];
  });
  return alignColumns(header, body);
}
