// What the daemon remembers about each session between passes, and how a new reading of the host
// changes it. Pure: the loop (daemon/loop.ts) hands in the reading and the time, and logs what this
// says happened.
import { settleState } from '../core/attach.js';
import type { RuleMatch } from '../core/policy.js';
import { restamp, shifted, type Jump, type Stamp } from '../core/clock-jump.js';
import { firstTrust, nextTrust, shiftTrust, type PtyTrust, type Tamper } from '../core/pty-trust.js';
import type { PtyTimes, Reason, Session, SessionMemory, SessionState, Verdict } from '../core/types.js';

export interface Tracked {
  /** The session as acted on: utmp's state debounced (core/attach.ts), our own writes discounted. */
  session: Session;
  /** A state utmp reports that we do not believe yet (core/attach.ts), and when a pass first saw it. */
  change: { state: SessionState; seenAt: number } | null;
  /** What session.rule last said for this session, so a change after a reload is logged again. */
  ruleLogged: string;
  memory: SessionMemory;
  /** Our own last write to the pty: an mtime equal to `after` is not the user's output. */
  ownWrite: { before: number; after: number } | null;
  /** What the pty's times say, and which of them are the user's (core/pty-trust.ts); null before a reading. */
  trust: PtyTrust | null;
  /** The pty times already reported as set by hand (session.tamper is logged once per time). */
  tamperLogged: readonly Tamper['what'][];
  /** Set once SIGTERM is under way (or logged, in dry run): decide is not asked again. */
  ending: Reason | null;
  /** A signal failed (EPERM): do not retry before this time. */
  retryAt: number;
  verdict: Verdict | null;
  /** utmp's time of the last flip, as read and on the daemon's clock now (core/clock-jump.ts). */
  utmpSince: Stamp | null;
  /** A jump of the wall clock seen since the last reading: how the next one places changed times. */
  jump: Jump | null;
}

/** What changed with this reading: a new session, or a client that came or went. */
export type Change = 'start' | 'attach' | 'detach' | null;

export interface Observation {
  tracked: Tracked;
  change: Change;
  /** Pty times set by hand, newly seen: log session.tamper. */
  tamper: Tamper[];
  /** A state change not believed yet: look again at this time. */
  recheckAt: number | null;
}

/**
 * Updates (or starts) the record of a session from a new reading. A detach is believed only after the
 * hold (core/attach.ts); until then the session stays attached, client included.
 */
export function observe(previous: Tracked | undefined, read: Session, now: number): Observation {
  const jump = previous?.jump ?? null;
  // utmp's flip time is the wall clock's when mosh wrote it: carried over jumps like the pty's times.
  const utmpSince = read.stateSince === null ? null : restamp(previous?.utmpSince ?? null, read.stateSince, jump);
  const raw: Session = { ...read, stateSince: utmpSince?.at ?? null };
  const before = previous?.session.state ?? null;
  const change =
    raw.state === before
      ? null
      : previous?.change?.state === raw.state
        ? previous.change
        : { state: raw.state, seenAt: now };
  const settled = settleState(before, raw, now, change?.seenAt ?? now);
  const held = settled.recheckAt !== null;
  const client = held ? previous!.session.client : raw.client;
  const known = previous?.session.clients ?? [];
  const pty = judgePty(previous?.trust ?? null, previous?.tamperLogged ?? [], raw, now, false, jump);
  const session: Session = {
    ...raw,
    // The start as first computed: each snapshot recomputes it from the boot time (now − /proc/uptime, 10 ms
    // steps), and a max_age warning holds only while its basis does not move (core/decide.ts).
    startedAt: previous?.session.startedAt ?? raw.startedAt,
    state: settled.state,
    stateSince: held ? previous!.session.stateSince : settled.stateSince,
    client,
    clients: client === null || known.includes(client) ? known : [...known, client],
    lastInputAt: pty.input,
    lastOutputAt: discountOwnWrite(pty.output, previous?.ownWrite ?? null),
  };
  const tracked: Tracked = previous
    ? { ...previous, session, change, trust: pty.trust, tamperLogged: pty.logged, utmpSince, jump: null }
    : {
        session,
        change: null,
        ruleLogged: 'defaults',
        memory: { warnings: [] },
        ownWrite: null,
        trust: pty.trust,
        tamperLogged: pty.logged,
        ending: null,
        retryAt: 0,
        verdict: null,
        utmpSince,
        jump: null,
      };
  return {
    tracked,
    change: previous ? stateChange(previous.session.state, session.state) : 'start',
    tamper: pty.tamper,
    recheckAt: previous ? settled.recheckAt : null,
  };
}

/** Which of a reading's pty times are the user's (core/pty-trust.ts), and what is newly seen as set by hand. */
function judgePty(
  trust: PtyTrust | null,
  logged: readonly Tamper['what'][],
  s: Pick<Session, 'pty' | 'startedAt'>,
  now: number,
  afterAttributeEvent: boolean,
  jump: Jump | null,
): {
  trust: PtyTrust | null;
  input: number | null;
  output: number | null;
  tamper: Tamper[];
  logged: readonly Tamper['what'][];
} {
  if (s.pty === null) return { trust, input: null, output: null, tamper: [], logged };
  const judged = trust
    ? nextTrust(trust, s.pty, now, afterAttributeEvent, jump)
    : firstTrust(s.pty, s.startedAt, now, jump);
  const fresh = judged.tamper.filter((x) => !logged.includes(x.what));
  return {
    trust: judged.trust,
    input: judged.trust.input,
    output: judged.trust.output,
    tamper: fresh,
    logged: fresh.length === 0 ? logged : [...logged, ...fresh.map((x) => x.what)],
  };
}

/**
 * A new reading of the session's pty right after an attribute event on it (chmod, chown, utimes of
 * mtime): which times are the user's, and the idle clocks that follow from them.
 */
export function withPty(
  t: Tracked,
  reading: PtyTimes | null,
  now: number,
  afterAttributeEvent = false,
): { tracked: Tracked; tamper: Tamper[] } {
  const pty = judgePty(
    t.trust,
    t.tamperLogged,
    { pty: reading, startedAt: t.session.startedAt },
    now,
    afterAttributeEvent,
    t.jump,
  );
  const session: Session = {
    ...t.session,
    pty: reading,
    lastInputAt: pty.input,
    lastOutputAt: discountOwnWrite(pty.output, t.ownWrite),
  };
  return { tracked: { ...t, session, trust: pty.trust, tamperLogged: pty.logged }, tamper: pty.tamper };
}

/**
 * The record moved by a jump of the wall clock (core/clock-jump.ts): every time it remembers keeps its
 * distance from now, so idle, attached and warned-since durations, and every deadline that follows from
 * them, are what they were. The next reading places the host's changed times with `jump`.
 */
export function shiftTracked(t: Tracked, jump: Jump): Tracked {
  const d = jump.deltaMs;
  const s = t.session;
  return {
    ...t,
    session: {
      ...s,
      startedAt: s.startedAt + d,
      stateSince: shifted(s.stateSince, d),
      lastInputAt: shifted(s.lastInputAt, d),
      lastOutputAt: shifted(s.lastOutputAt, d),
    },
    change: t.change && { ...t.change, seenAt: t.change.seenAt + d },
    memory: { warnings: t.memory.warnings.map((w) => ({ ...w, at: w.at + d, basis: w.basis + d })) },
    ownWrite: t.ownWrite && { before: t.ownWrite.before + d, after: t.ownWrite.after + d },
    trust: t.trust && shiftTrust(t.trust, d),
    utmpSince: t.utmpSince && { ...t.utmpSince, at: t.utmpSince.at + d },
    retryAt: t.retryAt + d,
    jump,
  };
}

function stateChange(before: SessionState, after: SessionState): Change {
  if (before === after) return null;
  if (after === 'attached') return 'attach';
  return after === 'detached' && before === 'attached' ? 'detach' : null;
}

/** Our warning bumps the pty's mtime; with count_output on, that must not count as the user's output. */
export function discountOwnWrite(mtime: number | null, own: { before: number; after: number } | null): number | null {
  return own !== null && mtime === own.after ? own.before : mtime;
}

/** A session.rule line to log (fields and message), or null when it says what was said before. */
export function ruleLine(
  t: Pick<Tracked, 'ruleLogged'>,
  m: RuleMatch,
): { said: string; fields: Record<string, unknown>; message: string } | null {
  const index = m.rule === null ? null : m.rule.index;
  const said =
    m.kind === 'matched'
      ? `${index} ${m.via}:${m.name} ${m.limits.exempt}`
      : m.kind === 'unresolved'
        ? `${index} unresolved`
        : 'defaults';
  if (said === t.ruleLogged) return null;
  if (m.kind === 'matched') {
    return {
      said,
      fields: { rule: index, matched: { [m.via]: m.name }, exempt: m.limits.exempt },
      message: `rule ${index} applies (${m.via} ${m.name})${m.limits.exempt ? ': exempt' : ''}`,
    };
  }
  if (m.kind === 'unresolved') {
    return {
      said,
      fields: { rule: index, matched: null, exempt: null, unresolved: true },
      message: `rule ${index} may apply, but the user's names are unknown: nothing but a revocation ends this session`,
    };
  }
  return { said, fields: { rule: null, matched: null, exempt: false }, message: 'no rule applies any more: defaults' };
}
