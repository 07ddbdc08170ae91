// decide(session, policy, revocations, now, memory) -> Verdict. Pure: no clock, no I/O, no node: imports.
//
// Precedence, written once: revoked > exempt > strict mode (fleet:strict) > (rule limits over defaults). Within the limits, the
// timed reasons (idle, max_age, detached) each give a candidate verdict and the most urgent wins.
// Fail safe: an unknown idle time, an unknown attach time or unresolved names never lead to a kill.
import { sessionIdText } from '../fleet/session-id.js';
import { cidrContains } from './cidr.js';
import { limitsFor, ruleIndex } from './policy.js';
import type {
  Limits,
  Policy,
  Revocation,
  RunningLimit,
  Session,
  SessionMemory,
  Verdict,
  WarnedVerdict,
  WarnVerdict,
  EndVerdict,
  KeepVerdict,
} from './types.js';

const NO_MEMORY: SessionMemory = { warnings: [] };

export function decide(
  session: Session,
  policy: Pick<Policy, 'rules' | 'defaults'>,
  revocations: readonly Revocation[],
  now: number,
  memory: SessionMemory = NO_MEMORY,
): Verdict {
  const match = limitsFor(session, policy);
  const revocation = findRevocation(session, revocations, now);
  if (revocation)
    return { action: 'terminate', reason: 'revoked', at: now, rule: null, limits: match.limits, revocation };

  const rule = ruleIndex(match);
  if (match.kind === 'unresolved') return { action: 'keep', reason: 'ok', at: null, rule };
  if (match.limits.exempt) return { action: 'keep', reason: 'exempt', at: null, rule };
  // Strict mode: out of contact with etcd for too long, every session that is not exempt ends
  // (docs/fleet.md, "Strict mode"). An entry with a lapsed `until` is not in force, like any other.
  const strict = strictEntry(revocations, now);
  if (strict)
    return { action: 'terminate', reason: 'revoked', at: now, rule, limits: match.limits, revocation: strict };

  const candidates = runningLimits(session, match.limits).map((l) => judge(l, match.limits, memory, now, rule));
  return mostUrgent(candidates) ?? { action: 'keep', reason: 'ok', at: null, rule };
}

/**
 * The warnings still in force. One whose period the user has since ended (the limit's basis moved past
 * it: they typed) is dropped, so that setting the pty's times back later cannot revive it: the soak
 * (seed 1254811122) saw a session warned, answered, set back, and ended 0.7 s later with no new warning.
 * Setting the times back without an answer in between keeps the warning, so it buys no time.
 */
export function liveWarnings(
  session: Session,
  policy: Pick<Policy, 'rules' | 'defaults'>,
  memory: SessionMemory,
): SessionMemory {
  if (memory.warnings.length === 0) return memory;
  const match = limitsFor(session, policy);
  if (match.kind === 'unresolved') return memory;
  const running = runningLimits(session, match.limits);
  const warnings = memory.warnings.filter((w) => !running.some((l) => l.reason === w.reason && l.basis > w.basis));
  return warnings.length === memory.warnings.length ? memory : { warnings };
}

/**
 * Whether `decide` can say "revoked" for this session: an entry in force covers it, or strict mode is on.
 * The revocation sweep asks this first: a full decide for each of 2,000 sessions took 3-10 ms of a
 * revocation's latency (docs/architecture.md, "Speed").
 */
export function mayBeRevoked(session: Covered, revocations: readonly Revocation[], now: number): boolean {
  return findRevocation(session, revocations, now) !== undefined || strictEntry(revocations, now) !== undefined;
}

/** Strict mode's entry, if one is in force. */
function strictEntry(revocations: readonly Revocation[], now: number): Revocation | undefined {
  return revocations.find((r) => r.target.kind === 'fleet-strict' && inForce(r, now));
}

/** An entry applies until its `until` (exclusive); one without applies until its line is removed. */
function inForce(r: Revocation, now: number): boolean {
  return r.until === null || now < r.until;
}

/** The first revocation entry in force that covers this session, or undefined. */
export function findRevocation(
  session: Covered,
  revocations: readonly Revocation[],
  now: number,
): Revocation | undefined {
  return revocations.find((r) => inForce(r, now) && revocationCovers(r, session));
}

type Covered = Pick<Session, 'id' | 'pid' | 'startTicks' | 'user' | 'uid' | 'groups' | 'client' | 'clients' | 'from'>;

function revocationCovers(r: Revocation, s: Covered): boolean {
  const t = r.target;
  switch (t.kind) {
    case 'user':
      return s.user !== null && s.user === t.name;
    case 'uid':
      return s.uid === t.uid;
    case 'group':
      return s.groups !== null && s.groups.includes(t.name);
    case 'from':
      // The ssh origin comes from the session's own environment, which its owner can set to anything;
      // the client addresses come from the packets the server received. Any of them in the range is
      // enough, so a forged origin can never hide a session (docs/architecture.md, "Trust").
      return [s.client, ...s.clients, s.from].some((a) => a !== null && cidrContains(t.cidr, a));
    case 'session':
      // The session's id carries this host's name (fleet.host, else the host name): an id of another
      // host never matches here, even with the same pid and start time (docs/fleet.md).
      return s.pid === t.pid && s.startTicks === t.startTicks && s.id === sessionIdText(t);
    case 'fleet-strict':
      return false; // strict mode spares exempt sessions: decide() applies it after the exemption
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

/** The limits that are counting for this session now; a limit whose start is unknown is not counting. */
export function runningLimits(s: Session, limits: Limits): RunningLimit[] {
  const out: RunningLimit[] = [];
  const limit = (reason: RunningLimit['reason'], basis: number, limitMs: number, warns: boolean) =>
    out.push({ reason, basis, deadline: basis + limitMs, limitMs, warns });
  const activity = lastActivity(s, limits.countOutput);
  if (limits.idleTimeoutMs !== null && activity !== null) limit('idle', activity, limits.idleTimeoutMs, true);
  if (limits.maxAgeMs !== null) limit('max_age', s.startedAt, limits.maxAgeMs, true);
  if (limits.detachedTimeoutMs !== null && s.state === 'detached' && s.stateSince !== null) {
    limit('detached', s.stateSince, limits.detachedTimeoutMs, false);
  }
  return out;
}

type Candidate = KeepVerdict | WarnedVerdict | WarnVerdict | EndVerdict;

function judge(
  limit: RunningLimit,
  limits: Limits,
  memory: SessionMemory,
  now: number,
  rule: number | null,
): Candidate {
  const warnBefore = limit.warns ? limits.warnBeforeMs : null;
  if (warnBefore === null) {
    return now >= limit.deadline
      ? { action: 'terminate', reason: limit.reason, at: limit.deadline, rule, limits, limit, warning: null }
      : { action: 'keep', reason: 'ok', at: limit.deadline, rule };
  }
  // A warning counts only for the same period: if the user typed since (a newer basis), it is void (and
  // liveWarnings drops it for good). A basis moved back (the pty's atime set back) keeps it: that buys
  // the user no time.
  const warning = memory.warnings.find((w) => w.reason === limit.reason && w.basis >= limit.basis);
  if (warning) {
    // Never end a session sooner than warn_before after the warning actually appeared.
    const endAt = Math.max(limit.deadline, warning.at + warnBefore);
    return now >= endAt
      ? { action: 'terminate', reason: limit.reason, at: endAt, rule, limits, limit, warning }
      : { action: 'keep', reason: limit.reason, at: endAt, rule, limits, limit, warning };
  }
  const warnAt = limit.deadline - warnBefore;
  return now >= warnAt
    ? { action: 'warn', reason: limit.reason, at: Math.max(limit.deadline, now + warnBefore), rule, limits, limit }
    : { action: 'keep', reason: 'ok', at: warnAt, rule };
}

const RANK = { terminate: 2, warn: 1, keep: 0 } as const;

/** Terminate beats warn beats keep; among equals the earliest due time wins (ties keep list order). */
function mostUrgent(candidates: Candidate[]): Candidate | undefined {
  let best: Candidate | undefined;
  for (const c of candidates) {
    const better =
      !best || RANK[c.action] > RANK[best.action] || (RANK[c.action] === RANK[best.action] && c.at! < best.at!);
    if (better) best = c;
  }
  return best;
}
