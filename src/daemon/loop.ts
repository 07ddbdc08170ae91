// The daemon's loop: scan (host → sessions), decide, act; the memory between passes is daemon/tracker.ts.
// When passes run is daemon/runner.ts.
import { endMany, type EndDeps, type Ending } from '../act/end.js';
import { warn } from '../act/warn.js';
import { decide, liveWarnings, mayBeRevoked } from '../core/decide.js';
import { limitsFor } from '../core/policy.js';
import { decideWithSweeps } from '../core/schedule.js';
import type { EndVerdict, Policy, Schedule, Session, Verdict } from '../core/types.js';
import { endFields, sessionFields } from '../log/fields.js';
import type { ScanResult } from '../sessions/discover.js';
import type { Jump } from '../core/clock-jump.js';
import { changeLine, jumpLine, problemMessage, sweepLine, tamperLine } from './lines.js';
import { sessionKey, type DaemonDeps } from './deps.js';
import { JumpWatch } from './jump-watch.js';
import { PassRunner, type PassRequest, type Trigger } from './runner.js';
import { observe, ruleLine, shiftTracked, withPty, type Tracked } from './tracker.js';

export type { Trigger };
export { sessionKey, type DaemonDeps, type LoopHost } from './deps.js';

/** How long an ended session's key is remembered (its identity can never come back). */
const TOMBSTONE_MS = 60_000;
/** A session seen before its pty is known (just forked) is looked at again this soon, this many times. */
const PENDING_RESCAN_MS = 50;
const PENDING_RESCAN_MAX = 40;

export class Daemon {
  private readonly tracked = new Map<string, Tracked>();
  private readonly problemsLogged = new Set<string>();
  /** Sessions that ended, by key, for a while: a pass whose read of the host began before the end must not find them again. */
  private readonly gone = new Map<string, number>();
  private readonly runner: PassRunner;
  /** Every reading of the wall clock goes through it: a jump is carried over before the time is used. */
  private readonly clock: JumpWatch;
  private stopped = false;
  private pendingRescans = 0;
  /** Schedules that fired and are applied by the next pass, on fresh data. */
  private sweeps: Schedule[] = [];

  constructor(
    private policy: Policy,
    private readonly deps: DaemonDeps,
  ) {
    this.clock = new JumpWatch(deps.host, (jump) => this.carryOver(jump));
    this.runner = new PassRunner(
      deps.host,
      (req) => this.run(req),
      (e) => {
        this.deps.log.error({ event: 'scan.error', err: e }, 'scan failed; the next one runs as planned');
        this.runner.wakeAt(this.clock.now() + this.policy.scanIntervalMs);
      },
      deps.fullScanEveryMs,
    );
  }

  setPolicy(policy: Policy): void {
    this.policy = policy;
  }

  /** Sessions and verdicts from the last pass, for status output. */
  snapshot(): { session: Session; verdict: Verdict | null }[] {
    return [...this.tracked.values()].map((t) => ({ session: t.session, verdict: t.verdict }));
  }

  start(): Promise<void> {
    return this.request('start');
  }

  /** A `schedules:` entry fired (node-cron): the next pass ends the sessions it covers. */
  sweep(schedule: Schedule): Promise<void> {
    this.sweeps.push(schedule);
    return this.request('schedule');
  }

  /**
   * Stops at once: no pass, no warning and no signal after this, and every grace period under way is
   * abandoned (no SIGKILL): the next daemon re-derives what is due from /proc and utmp.
   */
  stop(): void {
    this.stopped = true;
    this.runner.stop();
  }

  /**
   * Runs a pass now, or right after the one in progress. Resolves when the passes are done. A changed
   * revocation list is applied to the sessions already known at once, also while a pass is reading the
   * host (its reads pause for the event loop): it must not wait for a full read of /proc.
   */
  request(trigger: Trigger): Promise<void> {
    if (trigger === 'revocation') this.revocationSweep();
    return this.runner.request(trigger);
  }

  /**
   * inotify saw an attribute change on a pty (chmod, chown, utimes of both times or of mtime): read it
   * at once, so that a `mesg n` is seen apart from the keystrokes after it (core/pty-trust.ts).
   */
  ptyAttributes(tty: string): void {
    if (this.stopped) return;
    const now = this.clock.now();
    for (const [key, t] of this.tracked) {
      if (t.session.tty !== tty) continue;
      const { tracked, tamper } = withPty(t, this.deps.host.readPty(tty), now, true);
      this.tracked.set(key, tracked);
      for (const x of tamper) this.deps.log.warn(...tamperLine(tracked.session, x));
    }
  }

  private async run({ full }: PassRequest): Promise<void> {
    await this.pass(full);
  }

  private async pass(full: boolean): Promise<void> {
    const began = this.clock.now();
    const jumps = this.clock.count;
    // A full read of /proc is done in slices (host/clock.ts slicer): the longest block of the event loop
    // during it is logged, so the benchmark can check that none exceeds 20 ms (docs/architecture.md, "Speed").
    const blocks = full ? (this.deps.host.watchBlocks?.() ?? null) : null;
    const result = await this.deps.scan(full);
    await this.deps.host.settle?.(); // what follows is one piece: not between two turns of a batch's SIGTERMs
    const maxBlock = blocks?.stop();
    const now = this.clock.now();
    if (this.clock.count !== jumps) {
      // The wall clock jumped while the host was read: start times and host times of this reading may
      // be on either side of the jump. Read again, on the new clock.
      void this.runner.request('timer');
      return;
    }
    const scanMs = now - began;
    this.deps.log.debug(
      {
        event: 'scan.pass',
        full,
        sessions: result.sessions.length,
        pending: result.pending,
        scan_ms: scanMs,
        ...(maxBlock === undefined ? {} : { max_block_ms: Math.round(maxBlock * 10) / 10 }),
      },
      'scanned',
    );
    this.logProblems(result);
    const seen = new Set<string>();
    let nextDue = now + this.policy.scanIntervalMs;

    const sweeps = this.sweeps.splice(0);
    const swept = sweeps.map(() => [] as number[]); // pids ended by each sweep, for schedule.run
    const endings: Ending[] = [];
    for (const [key, at] of this.gone) if (now - at > TOMBSTONE_MS) this.gone.delete(key);
    for (const raw of result.sessions) {
      const key = sessionKey(raw);
      if (this.gone.has(key)) continue; // read before it exited; already ended and logged
      seen.add(key);
      const t = this.track(key, raw, now, (at) => (nextDue = Math.min(nextDue, at)));
      if (t.ending !== null || now < t.retryAt) continue;
      this.logRule(t);
      const { verdict, sweptBy } = decideWithSweeps(
        t.session,
        this.policy,
        this.deps.revocations(),
        now,
        t.memory,
        sweeps,
      );
      if (sweptBy !== null) swept[sweptBy]!.push(t.session.pid);
      this.act(t, verdict, now, endings);
      if (verdict.at !== null && verdict.at > now) nextDue = Math.min(nextDue, verdict.at);
    }
    sweeps.forEach((sw, i) => this.deps.log.info(...sweepLine(sw, swept[i]!, this.policy.dryRun)));
    this.endAll(endings, now);
    for (const [key, t] of this.tracked) if (!seen.has(key) && !this.isEnding(t)) this.finish(key, now);
    // A revocation's `until` is a moment to re-evaluate too: the entry lapses then, not at the next edit.
    for (const r of this.deps.revocations()) {
      if (r.until !== null && r.until > now) nextDue = Math.min(nextDue, r.until);
    }

    this.deps.onPass?.(
      [...this.tracked.values()].map((t) => t.session),
      scanMs,
      now,
    );
    this.pendingRescans = result.pending > 0 ? this.pendingRescans + 1 : 0;
    const soon = result.pending > 0 && this.pendingRescans <= PENDING_RESCAN_MAX;
    this.runner.wakeAt(nextDue, soon ? PENDING_RESCAN_MS : 0);
  }

  /**
   * A new revocation bites before the rescan: the sessions we already know are checked against it at
   * once (no /proc reads but the identity check before each signal). The full pass follows.
   */
  private revocationSweep(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    const revocations = this.deps.revocations();
    const endings: Ending[] = [];
    for (const t of this.tracked.values()) {
      if (t.ending !== null || !mayBeRevoked(t.session, revocations, now)) continue;
      const verdict = decide(t.session, this.policy, revocations, now, t.memory);
      if (verdict.reason === 'revoked') this.act(t, verdict, now, endings);
    }
    this.endAll(endings, now);
  }

  /** Records a new reading of a session (tracker.ts) and logs start/attach/detach. */
  private track(key: string, raw: Session, now: number, recheck: (at: number) => void): Tracked {
    const { tracked: t, change, recheckAt, tamper } = observe(this.tracked.get(key), raw, now);
    t.memory = liveWarnings(t.session, this.policy, t.memory);
    this.tracked.set(key, t);
    for (const x of tamper) this.deps.log.warn(...tamperLine(t.session, x));
    if (recheckAt !== null) recheck(recheckAt);
    const line = changeLine(change, t.session);
    if (line) this.deps.log.info(line.fields, line.message);
    return t;
  }

  /**
   * session.rule: which rule applies and what matched (the user, or which group), so an operator can
   * tell why a session was kept or given other limits. Logged when first known and again when a reload
   * changes it; a session under the defaults from the start logs nothing.
   */
  private logRule(t: Tracked): void {
    const line = ruleLine(t, limitsFor(t.session, this.policy));
    if (line === null) return;
    t.ruleLogged = line.said;
    this.deps.log.info({ event: 'session.rule', ...sessionFields(t.session), ...line.fields }, line.message);
  }

  /** Warns at once; a session to end is added to `endings`, so that all of a pass's SIGTERMs go out together. */
  private act(t: Tracked, verdict: Verdict, now: number, endings: Ending[]): void {
    if (this.stopped) return; // a pass that was reading the host when the daemon stopped acts on nothing
    t.verdict = verdict;
    if (verdict.action === 'warn') {
      const res = warn(t.session, verdict, now, this.endDeps());
      t.memory = { warnings: [...t.memory.warnings.filter((w) => w.reason !== res.record.reason), res.record] };
      if (res.ownWrite) t.ownWrite = res.ownWrite;
      if (res.code === 'EACCES') this.deps.onWarnRefused?.();
      return;
    }
    if (verdict.action !== 'terminate') return;
    // Set at once: the session is not decided about again, in dry run not even logged again.
    t.ending = verdict.reason;
    endings.push({ session: t.session, verdict, detail: detailOf(verdict) });
  }

  private endAll(endings: Ending[], now: number): void {
    if (endings.length === 0 || this.stopped) return;
    const outcomes = endMany(endings, now, this.endDeps());
    if (this.policy.dryRun) return;
    endings.forEach(({ session }, i) => {
      const key = sessionKey(session);
      // Not awaited: one session's grace period must not hold up the daemon.
      void outcomes[i]!.then((outcome) => {
        const t = this.tracked.get(key);
        if (outcome?.result === 'abandoned') return; // the daemon stopped: no session.end from this one
        if (outcome?.result === 'failed' && t) {
          t.ending = null;
          t.retryAt = this.clock.now() + this.policy.scanIntervalMs;
        } else {
          this.finish(key, this.clock.now());
        }
      });
    });
  }

  /**
   * The wall clock jumped (core/clock-jump.ts): every time remembered is moved with it, so no session
   * looks idler (or less idle) than it is and every deadline keeps its distance. The grace periods under
   * way count on the monotonic clock and are not touched.
   */
  private carryOver(jump: Jump): void {
    for (const [key, t] of this.tracked) this.tracked.set(key, shiftTracked(t, jump));
    for (const [key, at] of this.gone) this.gone.set(key, at + jump.deltaMs);
    this.deps.log.warn(...jumpLine(jump, this.tracked.size));
  }

  private endDeps(): EndDeps {
    return { ...this.deps.host, log: this.deps.log, dryRun: this.policy.dryRun, abandoned: () => this.stopped };
  }

  private isEnding(t: Tracked): boolean {
    return t.ending !== null && !this.policy.dryRun;
  }

  /** session.end, once, when the session is gone. */
  private finish(key: string, now: number): void {
    const t = this.tracked.get(key);
    if (!t) return;
    this.tracked.delete(key);
    this.gone.set(key, now);
    this.deps.log.info(endFields(t.session, now, t.ending), 'session gone');
    this.deps.onEnded?.(now);
  }

  private logProblems(result: ScanResult): void {
    for (const p of result.problems) {
      const id = `${p.what}:${p.code}`;
      if (this.problemsLogged.has(id)) continue;
      this.problemsLogged.add(id);
      this.deps.log.warn({ event: 'scan.problem', what: p.what, code: p.code }, problemMessage(p));
    }
  }
}

/** What the closing line says after the reason: the revocation's own reason, if it has one. */
function detailOf(v: EndVerdict): string | null {
  return v.reason === 'revoked' ? v.revocation.reason : null;
}
