// act: carry out one verdict on one session — write the warning, or end the session — and log each step
// with the contract's event names. Shared by the daemon and `moshwarden terminate`.
import { lastActivity } from '../core/decide.js';
import type { Limits, Reason, Revocation, Session, TimedReason, Verdict, WarningRecord } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import { targetText } from '../revocation/parse.js';
import { closingText, warningText } from './messages.js';
import { escalate, send, type Outcome, type Sent, type TerminateDeps } from './terminate.js';

export interface ActDeps extends Omit<TerminateDeps, 'onSignal'> {
  log: Logger;
  /** Writes text to the session's pty; returns the pty mtime before/after (unless `times` is false) so our own output can be discounted. */
  write(
    tty: string,
    text: string,
    times?: boolean,
  ): { ok: true; mtimeBefore: number | null; mtimeAfter: number | null } | { ok: false; code: string };
  dryRun: boolean;
}

/** The fields every session log line carries (CONTRACT.md: event, pid, user, tty). */
export function sessionFields(s: Session): { pid: number; user: string | null; uid: number; tty: string | null } {
  return { pid: s.pid, user: s.user, uid: s.uid, tty: s.tty };
}

export function idleSeconds(s: Session, countOutput: boolean, now: number): number | null {
  const last = lastActivity(s, countOutput);
  return last === null ? null : Math.max(0, Math.round((now - last) / 1000));
}

export interface WarnResult {
  record: WarningRecord;
  /** pty mtime before/after our write: an mtime equal to `after` is our own output, not the user's. */
  ownWrite: { before: number; after: number } | null;
}

/** Writes the warning for a `warn` verdict. Returns null when it could not be written (then: no kill yet). */
export function warn(s: Session, verdict: Verdict, limits: Limits, now: number, deps: ActDeps): WarnResult | null {
  const reason = verdict.reason as TimedReason;
  const basis =
    reason === 'idle' ? lastActivity(s, limits.countOutput) : reason === 'max_age' ? s.startedAt : s.stateSince;
  const endsAt = verdict.at ?? now;
  const limitMs =
    reason === 'idle' ? limits.idleTimeoutMs : reason === 'max_age' ? limits.maxAgeMs : limits.detachedTimeoutMs;
  const fields = {
    event: 'session.warn',
    ...sessionFields(s),
    reason,
    at: new Date(endsAt).toISOString(),
    rule: verdict.rule,
  };
  const record: WarningRecord = { reason, at: now, basis: basis ?? now };
  if (deps.dryRun) {
    deps.log.info({ ...fields, dry_run: true }, 'would warn');
    return { record, ownWrite: null };
  }
  if (s.tty === null) return null;
  const res = deps.write(s.tty, warningText(reason, now, endsAt, limitMs));
  if (!res.ok) {
    // Fail safe: without a warning on screen the session is not ended; the next evaluation tries again.
    deps.log.warn(
      { event: 'session.warn_failed', ...sessionFields(s), reason, code: res.code },
      'could not write the warning',
    );
    return null;
  }
  deps.log.info({ ...fields, dry_run: false }, 'warned');
  const ownWrite =
    res.mtimeBefore !== null && res.mtimeAfter !== null ? { before: res.mtimeBefore, after: res.mtimeAfter } : null;
  return { record, ownWrite };
}

export interface EndRequest {
  reason: Reason;
  graceMs: number;
  /** For the idle_seconds field. */
  countOutput: boolean;
  revocation?: Revocation;
  /** Shown on the terminal with the closing line (a revocation's reason, `--reason TEXT`). */
  detail?: string | null;
}

function revocationFields(r: Revocation | undefined): object {
  return r ? { revocation: { target: targetText(r.target), line: r.line, reason: r.reason } } : {};
}

/** The session.end line (CONTRACT.md): reason null when the session ended by itself. */
export function endFields(s: Session, now: number, reason: Reason | null) {
  return {
    event: 'session.end',
    ...sessionFields(s),
    duration_seconds: Math.round((now - s.startedAt) / 1000),
    reason,
  };
}

/**
 * session.terminate, SIGTERM, and session.kill if the grace period runs out. In dry run only the
 * session.terminate line is written (with dry_run: true). The caller logs session.end when the
 * session is gone (it knows when the scan stops seeing it).
 */
export async function end(s: Session, req: EndRequest, now: number, deps: ActDeps): Promise<Outcome | null> {
  const [outcome] = endMany([{ session: s, request: req }], now, deps);
  return (await outcome) ?? null;
}

/**
 * Ends several sessions at once (a revocation of a user with 200 sessions): every identity check, then
 * every closing line, then every SIGTERM in one tight loop, and only then the log lines; the grace
 * periods run side by side. Measured on 2 cores with 200 sessions: each pty write and each SIGTERM wakes
 * a mosh-server, and woken or exiting sessions take the CPU from the loop that still has SIGTERMs to
 * send. A closing line right before each SIGTERM was the slowest order (last SIGTERM 150-190 ms after
 * the append); log lines before the loop added ~15 ms. The check-to-signal gap stays tens of
 * milliseconds, far below what pid reuse needs (the pid counter wrapping pid_max).
 * Returns one promise per session, in order, each settling when that session is gone.
 */
export function endMany(
  batch: { session: Session; request: EndRequest }[],
  now: number,
  deps: ActDeps,
): Promise<Outcome | null>[] {
  const items = batch.map(({ session: s, request: req }) => ({
    s,
    req,
    fields: { ...sessionFields(s), reason: req.reason, ...revocationFields(req.revocation) },
  }));
  const logTerminate = ({ s, req, fields }: (typeof items)[number]) =>
    deps.log.info(
      {
        event: 'session.terminate',
        ...fields,
        idle_seconds: idleSeconds(s, req.countOutput, now),
        dry_run: deps.dryRun,
      },
      deps.dryRun ? 'would terminate' : 'terminating',
    );
  if (deps.dryRun) {
    items.forEach(logTerminate);
    return items.map(() => Promise.resolve(null));
  }

  const notes: { fields: object; at: string }[] = [];
  let inLoop = true;
  const tdeps = items.map(({ fields }): TerminateDeps => ({
    ...deps,
    onSignal: (signal) => {
      const at = new Date(deps.now()).toISOString();
      if (inLoop)
        notes.push({ fields, at }); // no log write between two SIGTERMs
      else deps.log.debug({ event: 'session.signal', ...fields, signal, at }, `${signal} sent`);
      if (signal === 'SIGKILL') deps.log.warn({ event: 'session.kill', ...fields }, 'still alive after grace: SIGKILL');
    },
  }));
  const same = items.map(({ s }) => deps.isSame(s));
  // The client restores the user's screen when the session ends, so this line is mostly for a slow
  // SIGTERM; the real notice is the warning that came before (DESIGN.md). Only sessions that are still
  // ours get it: a pty number whose session is gone may already be someone else's.
  items.forEach(({ s, req }, i) => {
    if (
      same[i] &&
      s.tty !== null &&
      (req.reason === 'revoked' || req.reason === 'manual' || req.reason === 'schedule')
    ) {
      deps.write(s.tty, closingText(req.reason, req.detail ?? null), false);
    }
  });
  const start = deps.now();
  const sent = items.map(({ s }, i): Sent => (same[i] ? send(tdeps[i]!, s, 'SIGTERM', true) : 'gone'));
  inLoop = false;
  items.forEach(logTerminate);
  for (const { fields, at } of notes)
    deps.log.debug({ event: 'session.signal', ...fields, signal: 'SIGTERM', at }, 'SIGTERM sent');

  return items.map(({ s, req, fields }, i) =>
    escalate(s, req.graceMs, tdeps[i]!, start, sent[i]!).then((outcome) => {
      if (outcome.result === 'failed') {
        const why =
          outcome.code === 'EPERM'
            ? ': permission denied (the daemon needs CAP_KILL, or root); the session lives on'
            : '';
        deps.log.error(
          { event: 'session.signal_error', ...fields, signal: outcome.signal, code: outcome.code },
          `could not send ${outcome.signal} (${outcome.code})${why}`,
        );
      } else if (outcome.result === 'stuck') {
        deps.log.error(
          { event: 'session.signal_error', ...fields, signal: 'SIGKILL', code: 'STUCK' },
          'still present after SIGKILL',
        );
      }
      return outcome;
    }),
  );
}
