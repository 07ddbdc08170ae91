// Which sessions a scheduled sweep (`schedules:` in the config) ends. Pure, like decide.
//
// A sweep is wall-clock policy ("end every detached session at 03:00"), so it follows the same safety
// rules as the timed limits: an exempt rule protects a session, unresolved names never lead to a kill,
// and a session still waiting for its first client, or whose state is unknown, is not "detached".
import { decide } from './decide.js';
import { limitsFor, ruleIndex } from './policy.js';
import type { EndVerdict, Policy, Revocation, Schedule, Session, SessionMemory, Verdict } from './types.js';

export function sweepVerdict(
  session: Pick<Session, 'user' | 'groups' | 'state'>,
  schedule: Schedule,
  policy: Pick<Policy, 'rules' | 'defaults'>,
  now: number,
): EndVerdict | null {
  if (schedule.terminate === 'detached' && session.state !== 'detached') return null;
  if (!inScope(session, schedule)) return null;
  const match = limitsFor(session, policy);
  if (match.kind === 'unresolved' || match.limits.exempt) return null;
  return { action: 'terminate', reason: 'schedule', at: now, rule: ruleIndex(match), limits: match.limits };
}

/** No users/groups: every session. Otherwise the user is listed OR in a listed group (like rules). */
function inScope(s: Pick<Session, 'user' | 'groups'>, schedule: Schedule): boolean {
  if (schedule.users.length === 0 && schedule.groups.length === 0) return true;
  if (s.user !== null && schedule.users.includes(s.user)) return true;
  return s.groups !== null && schedule.groups.some((g) => s.groups!.includes(g));
}

/**
 * decide, then the schedules that fired since the last pass: a sweep ends what it covers unless decide
 * already ends it (revoked, say). `sweptBy`: the index in `sweeps` of the one that ends it, or null.
 */
export function decideWithSweeps(
  session: Session,
  policy: Pick<Policy, 'rules' | 'defaults'>,
  revocations: readonly Revocation[],
  now: number,
  memory: SessionMemory,
  sweeps: readonly Schedule[],
): { verdict: Verdict; sweptBy: number | null } {
  const verdict = decide(session, policy, revocations, now, memory);
  if (verdict.action === 'terminate') return { verdict, sweptBy: null };
  for (let i = 0; i < sweeps.length; i++) {
    const bySweep = sweepVerdict(session, sweeps[i]!, policy, now);
    if (bySweep) return { verdict: bySweep, sweptBy: i };
  }
  return { verdict, sweptBy: null };
}
