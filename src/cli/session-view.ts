// How a session and its verdict are shown: the `sessions --json` element (docs/contract.md) and a table row.
import { lastActivity } from '../core/decide.js';
import { formatDuration } from '../core/duration.js';
import { limitsFor } from '../core/policy.js';
import type { Policy, Session, Verdict } from '../core/types.js';
import { alignColumns } from './table.js';

const seconds = (fromMs: number | null, now: number) =>
  fromMs === null ? null : Math.max(0, Math.round((now - fromMs) / 1000));
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function sessionJson(s: Session, v: Verdict, policy: Policy, now: number) {
  const countOutput = limitsFor(s, policy).limits.countOutput;
  return {
    id: s.id,
    pid: s.pid,
    /** The server's executable: /usr/bin/mosh-server, or a renamed or rebuilt copy found by what it does. */
    exe: s.exe,
    user: s.user,
    uid: s.uid,
    tty: s.tty,
    started_at: iso(s.startedAt),
    age_seconds: seconds(s.startedAt, now),
    from: s.from,
    /** Where `from` comes from: SSH_CONNECTION in the session's own environment, which its owner can set. */
    from_source: s.from === null ? null : 'environment',
    client: s.client,
    /** Every client address seen for the session (from the packets the server received, via utmp). */
    clients: s.clients,
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
