// A session and its verdict as JSON: the `sessions --json` element (docs/contract.md), also each element
// of the fleet sessions file (docs/fleet.md, "The sessions file"). Pure.
import { lastActivity } from '../core/decide.js';
import { limitsFor } from '../core/policy.js';
import type { Policy, Session, Verdict } from '../core/types.js';

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
