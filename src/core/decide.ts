// decide(session, policy, revocations, now) -> Verdict. Pure: no clock, no I/O, no node: imports.
//
// Precedence, written once: revoked > exempt > (rule limits over defaults). Within the limits, the
// timed reasons (idle, max_age, detached) are each turned into a candidate verdict and the most urgent wins.
// Fail safe: an unknown idle time, an unknown attach time or unresolved names never lead to a kill.
import { cidrContains } from './cidr.js';
import { matchRule } from './policy.js';
import type { Action, Limits, Policy, Revocation, Session, SessionMemory, TimedReason, Verdict } from './types.js';

const NO_MEMORY: SessionMemory = { warnings: [] };

export function decide(
  session: Session,
  policy: Pick<Policy, 'rules' | 'defaults'>,
  revocations: readonly Revocation[],
  now: number,
  memory: SessionMemory = NO_MEMORY,
): Verdict {
  const revocation = findRevocation(session, revocations, now);
  if (revocation) return { action: 'terminate', reason: 'revoked', at: now, rule: null, revocation };

  const match = matchRule(session, policy);
  if (match.kind === 'unresolved') return { action: 'keep', reason: 'ok', at: null, rule: match.rule.index };
  const rule = match.kind === 'matched' ? match.rule.index : null;
  if (match.limits.exempt) return { action: 'keep', reason: 'exempt', at: null, rule };

  const candidates = timedCandidates(session, match.limits, memory, now);
  const chosen = mostUrgent(candidates);
  if (!chosen) return { action: 'keep', reason: 'ok', at: null, rule };
  return { action: chosen.action, reason: chosen.reason, at: chosen.at, rule };
}

/** The first revocation entry in force that covers this session, or undefined. */
export function findRevocation(
  session: Pick<Session, 'user' | 'uid' | 'groups' | 'client' | 'from'>,
  revocations: readonly Revocation[],
  now: number,
): Revocation | undefined {
  return revocations.find((r) => (r.until === null || now < r.until) && revocationCovers(r, session));
}

function revocationCovers(r: Revocation, s: Pick<Session, 'user' | 'uid' | 'groups' | 'client' | 'from'>): boolean {
  const t = r.target;
  switch (t.kind) {
    case 'user':
      return s.user !== null && s.user === t.name;
    case 'uid':
      return s.uid === t.uid;
    case 'group':
      return s.groups !== null && s.groups.includes(t.name);
    case 'from':
      return [s.client, s.from].some((a) => a !== null && cidrContains(t.cidr, a));
  }
}

/** Last activity the limits count: keystrokes, plus output when `count_output` is on. */
export function lastActivity(
  session: Pick<Session, 'lastInputAt' | 'lastOutputAt'>,
  countOutput: boolean,
): number | null {
  if (session.lastInputAt === null) return null;
  if (countOutput && session.lastOutputAt !== null) return Math.max(session.lastInputAt, session.lastOutputAt);
  return session.lastInputAt;
}

interface Candidate {
  action: Action;
  reason: TimedReason | 'ok';
  at: number;
}

interface Limit {
  reason: TimedReason;
  /** The time the limit is counted from; a newer basis voids an earlier warning. */
  basis: number;
  deadline: number;
  /** Detached sessions have nobody at the terminal to read a warning. */
  warns: boolean;
}

function activeLimits(s: Session, limits: Limits): Limit[] {
  const out: Limit[] = [];
  const activity = lastActivity(s, limits.countOutput);
  if (limits.idleTimeoutMs !== null && activity !== null) {
    out.push({ reason: 'idle', basis: activity, deadline: activity + limits.idleTimeoutMs, warns: true });
  }
  if (limits.maxAgeMs !== null) {
    out.push({ reason: 'max_age', basis: s.startedAt, deadline: s.startedAt + limits.maxAgeMs, warns: true });
  }
  if (limits.detachedTimeoutMs !== null && s.state === 'detached' && s.stateSince !== null) {
    out.push({
      reason: 'detached',
      basis: s.stateSince,
      deadline: s.stateSince + limits.detachedTimeoutMs,
      warns: false,
    });
  }
  return out;
}

function timedCandidates(s: Session, limits: Limits, memory: SessionMemory, now: number): Candidate[] {
  return activeLimits(s, limits).map((limit) => {
    const warnBefore = limit.warns ? limits.warnBeforeMs : null;
    if (warnBefore === null) {
      return now >= limit.deadline
        ? { action: 'terminate', reason: limit.reason, at: limit.deadline }
        : { action: 'keep', reason: 'ok', at: limit.deadline };
    }
    // A warning counts only for the same period: if the user typed since (a newer basis), it is void.
    const warned = memory.warnings.find((w) => w.reason === limit.reason && w.basis >= limit.basis);
    if (warned) {
      // Never end a session sooner than warn_before after the warning actually appeared.
      const endAt = Math.max(limit.deadline, warned.at + warnBefore);
      return now >= endAt
        ? { action: 'terminate', reason: limit.reason, at: endAt }
        : { action: 'keep', reason: limit.reason, at: endAt };
    }
    const warnAt = limit.deadline - warnBefore;
    return now >= warnAt
      ? { action: 'warn', reason: limit.reason, at: Math.max(limit.deadline, now + warnBefore) }
      : { action: 'keep', reason: 'ok', at: warnAt };
  });
}

const RANK: Record<Action, number> = { terminate: 2, warn: 1, keep: 0 };

/** Terminate beats warn beats keep; among equals the earliest due time wins (ties keep list order). */
function mostUrgent(candidates: Candidate[]): Candidate | undefined {
  let best: Candidate | undefined;
  for (const c of candidates) {
    if (!best || RANK[c.action] > RANK[best.action] || (RANK[c.action] === RANK[best.action] && c.at < best.at))
      best = c;
  }
  return best;
}
