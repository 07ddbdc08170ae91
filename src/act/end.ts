// act, part two: end sessions. Closing line, SIGTERM, SIGKILL after the grace period, and the
// session.terminate / session.kill / session.signal_error lines. Shared by the daemon and `terminate`.
import type { EndVerdict, Session } from '../core/types.js';
import type { Logger } from '../log/events.js';
import { idleSeconds, revocationFields, sessionFields, warnedField } from '../log/fields.js';
import { closingText } from './messages.js';
import { escalate, send, type Outcome, type Sent, type TerminateDeps } from './terminate.js';
import type { PtyWrite } from './warn.js';

export interface EndDeps extends Omit<TerminateDeps, 'onSignal'> {
  log: Logger;
  write(tty: string, text: string, times?: boolean): PtyWrite;
  dryRun: boolean;
  /**
   * Runs fn after the events already queued (setImmediate). With it, a big batch's log lines are written
   * LOG_SLICE at a time after the SIGTERMs, so that they do not hold the event loop in one piece.
   */
  defer?(fn: () => void): void;
  /**
   * Like `defer`, ahead of a long read's slices (host/clock.ts). With it a big batch's closing lines and
   * SIGTERMs go out SIGNAL_SLICE per turn, one turn right after the other.
   */
  deferFirst?(fn: () => void): void;
}

/**
 * Closing lines or SIGTERMs of a batch sent in one turn of the event loop (see `deferFirst`). 200 of
 * each in one piece held the loop 57-139 ms while 200 woken servers took the CPU from the daemon
 * (bench/RESULTS.md, "No stall").
 */
const SIGNAL_SLICE = 50;
/** Log lines of a batch written between two turns of the event loop (see `defer`). */
const LOG_SLICE = 25;

/**
 * Runs the steps in order, `size` per turn of the event loop (all at once without `defer`), then `done`.
 * Measured with 200 sessions revoked during a full read at 10,000 processes: their 400 log lines took
 * 33-98 ms in one piece (most of it preempted by the 200 exiting servers; bench/RESULTS.md, "No stall").
 */
function inSlices(steps: (() => void)[], defer: EndDeps['defer'], size: number, done: () => void): void {
  if (defer === undefined || steps.length <= size) {
    for (const w of steps) w();
    return done();
  }
  let at = 0;
  const slice = () => {
    for (const end = Math.min(at + size, steps.length); at < end; at++) steps[at]!();
    if (at < steps.length) defer(slice);
    else done();
  };
  slice();
}

/** One session to end, why (the verdict), and what to show with the closing line. */
export interface Ending {
  session: Session;
  verdict: EndVerdict;
  /** Shown on the terminal with the closing line (a revocation's reason, `--reason TEXT`). */
  detail?: string | null;
}

/** The closing line goes to sessions that are ended by someone, not by a limit they were warned about. */
function closes(v: EndVerdict): boolean {
  return v.reason === 'revoked' || v.reason === 'manual' || v.reason === 'schedule';
}

/**
 * ... and only where a client may show it. mosh-server sends its screen to a client it hears from: one
 * that never had a client (`waiting`) or has not heard its client for 30 s (`detached`: utmp) would read
 * the line for no one, and waking 200 such servers before the SIGTERMs cost a revocation 13-23 ms
 * (docs/architecture.md, "Speed"). `unknown` gets it: we cannot tell.
 */
function mayBeSeen(s: Session): boolean {
  return s.state === 'attached' || s.state === 'unknown';
}

/**
 * Ends several sessions at once (a revocation of a user with 200 sessions): every identity check, then
 * every closing line, then every SIGTERM, back to back (with `deferFirst`, SIGNAL_SLICE per turn, the
 * turns one right after the other), and only then the log lines; the grace periods run side by side.
 * Measured on 2 cores with 200 sessions: each pty write and each SIGTERM wakes a mosh-server, and woken
 * or exiting sessions take the CPU from the loop that still has SIGTERMs to send. A closing line right
 * before each SIGTERM was the slowest order (last SIGTERM 150-190 ms after the append); log lines before
 * the loop added ~15 ms. The check-to-signal gap stays tens of
 * milliseconds, far below what pid reuse needs (the pid counter wrapping pid_max).
 * In dry run only the session.terminate lines are written (dry_run: true). The caller logs session.end
 * when the session is gone. Returns one promise per session, in order, each settling when it is gone.
 */
export function endMany(batch: readonly Ending[], now: number, deps: EndDeps): Promise<Outcome | null>[] {
  const items = batch.map((e) => ({
    ...e,
    fields: {
      ...sessionFields(e.session),
      reason: e.verdict.reason,
      ...revocationFields(e.verdict.reason === 'revoked' ? e.verdict.revocation : undefined),
      ...(e.verdict.reason === 'manual' && e.detail ? { detail: e.detail } : {}),
    },
  }));
  /**
   * When each SIGTERM went out, read right after kill(2) returned: the wall clock for the log line
   * (`signalled_at`), then the monotonic clock the grace period counts on. Read in that order, a later
   * wall reading (the session.kill line's time) is never less than `grace` after `signalled_at` unless the
   * wall clock was stepped back in between (docs/architecture.md, "Clocks").
   */
  const signalledAt: (number | null)[] = items.map(() => null);
  const sentAt: (number | null)[] = items.map(() => null);
  const logTerminate = ({ session, verdict, fields }: (typeof items)[number], i: number) =>
    deps.log.info(
      {
        event: 'session.terminate',
        ...fields,
        idle_seconds: idleSeconds(session, verdict.limits.countOutput, now),
        warned: warnedField(verdict),
        dry_run: deps.dryRun,
        signalled_at: signalledAt[i] === null ? null : new Date(signalledAt[i]!).toISOString(),
      },
      deps.dryRun ? 'would terminate' : 'terminating',
    );
  if (deps.dryRun) {
    items.forEach((item, i) => logTerminate(item, i));
    return items.map(() => Promise.resolve(null));
  }

  const notes: { fields: object; at: string }[] = [];
  let inLoop = true;
  // 2,000 sessions ended at once, each looked at every 25 ms until it is gone, made 80,000 reads of
  // /proc a second and most of the daemon's memory peak: a big batch looks less often. Only how soon
  // session.end is logged depends on it; SIGKILL still waits the whole grace period.
  const pollMs = Math.min(500, 25 * Math.ceil(items.length / 50));
  const tdeps = items.map(({ fields }, i): TerminateDeps => ({
    ...deps,
    pollMs,
    onSignal: (signal) => {
      const at = new Date(deps.now()).toISOString();
      if (inLoop)
        notes.push({ fields, at }); // no log write between two SIGTERMs
      else deps.log.debug({ event: 'session.signal', ...fields, signal, at }, `${signal} sent`);
      if (signal === 'SIGKILL') {
        const afterMs = Math.floor(deps.monotonic() - sentAt[i]!); // the grace period's own clock
        deps.log.warn({ event: 'session.kill', ...fields, after_ms: afterMs }, 'still alive after grace: SIGKILL');
      }
    },
  }));
  const same = items.map(({ session }) => deps.isSame(session));
  const sent = items.map((): Sent => 'gone');
  // The daemon stopped between two turns of the batch: no signal (nor closing line) after daemon.stop,
  // and no session.terminate line for a session that was not signalled; the next daemon decides again.
  const skipped = items.map(() => false);
  const stillOn = (i: number) => !(skipped[i] ||= deps.abandoned?.() === true);
  // The client restores the user's screen when the session ends, so this line is mostly for a slow
  // SIGTERM; the real notice is the warning that came before (docs/architecture.md). Only sessions that
  // are still ours get it: a pty number whose session is gone may already be someone else's. Before the
  // SIGTERM, as a server that is shutting down no longer reads its pty (../shared/DESIGN.md).
  const closing = items.map(({ session, verdict, detail }, i) => () => {
    if (same[i] && session.tty !== null && closes(verdict) && mayBeSeen(session) && stillOn(i)) {
      deps.write(session.tty, closingText(verdict.reason, detail ?? null), false);
    }
  });
  const signals = items.map(({ session }, i) => () => {
    if (!same[i] || !stillOn(i)) return;
    sent[i] = send(tdeps[i]!, session, 'SIGTERM', true);
    if (sent[i] === 'sent') {
      signalledAt[i] = deps.now();
      sentAt[i] = deps.monotonic();
    }
  });
  const logLines = () => [
    ...items.flatMap((item, i) => (skipped[i] ? [] : [() => logTerminate(item, i)])),
    ...notes.map(
      ({ fields, at }) =>
        () =>
          deps.log.debug({ event: 'session.signal', ...fields, signal: 'SIGTERM', at }, 'SIGTERM sent'),
    ),
  ];
  // Without the defer functions (the `terminate` command, tests) all of it happens before this returns.
  const logged = new Promise<void>((resolve) =>
    inSlices([...closing, ...signals], deps.deferFirst, SIGNAL_SLICE, () => {
      inLoop = false;
      inSlices(logLines(), deps.defer, LOG_SLICE, resolve);
    }),
  );

  return items.map(({ session, verdict, fields }, i) =>
    // The grace period is a promise to the user, counted on the monotonic clock from the moment this
    // session's own SIGTERM went out, not from the start of the batch (docs/architecture.md, "Clocks"):
    // waiting for the log lines first moves no deadline, and keeps session.terminate before what follows.
    logged
      .then(() =>
        skipped[i]
          ? { result: 'abandoned' as const }
          : escalate(session, verdict.limits.graceMs, tdeps[i]!, sentAt[i] ?? deps.monotonic(), sent[i]!),
      )
      .then((outcome) => {
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
