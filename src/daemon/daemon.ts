// The daemon's loop: scan (host → sessions), decide, act; remember what it did between scans.
// Scans never overlap: a trigger during a scan asks for one more pass after it.
import { settleState } from '../core/attach.js';
import { decide } from '../core/decide.js';
import { matchRule, type RuleMatch } from '../core/policy.js';
import { sweepVerdict } from '../core/schedule.js';
import type {
  Policy,
  Reason,
  Revocation,
  Schedule,
  Session,
  SessionMemory,
  SessionState,
  Verdict,
} from '../core/types.js';
import { endFields, endMany, sessionFields, warn, type ActDeps, type EndRequest } from '../act/enforce.js';
import type { Logger } from '../log/logger.js';
import type { ScanResult } from '../sessions/discover.js';

export interface DaemonDeps {
  scan(full: boolean): Promise<ScanResult>;
  act: Omit<ActDeps, 'dryRun' | 'log'>;
  log: Logger;
  /** The revocations in force (issue 3 fills this from the watched file). */
  revocations(): readonly Revocation[];
  setTimer(fn: () => void, ms: number): { cancel(): void };
  /** Told after each pass: the sessions as the daemon now sees them, and how long the scan took (metrics). */
  onPass?(sessions: readonly Session[], scanMs: number, now: number): void;
}

export type Trigger = 'start' | 'timer' | 'pts' | 'utmp' | 'reload' | 'revocation' | 'pending' | 'schedule';

/**
 * Every pass reads the processes it has not seen before, which is where a new session is. Only a pid
 * that died and was re-used between two passes hides from that: the pid counter must wrap pid_max
 * (32,768, or 4,194,304 with systemd's default) within one scan interval. A full read of /proc (270 ms
 * at 10,000 processes, measured) is therefore done at start and as a safety net every few minutes, not
 * on every new pty (ssh logins and tmux panes make those too).
 */
const FULL_TRIGGERS: ReadonlySet<Trigger> = new Set(['start']);
const FULL_SCAN_EVERY_MS = 5 * 60_000;
/** A session seen before its pty is known (just forked) is looked at again this soon, this many times. */
const PENDING_RESCAN_MS = 50;
const PENDING_RESCAN_MAX = 40;

interface Tracked {
  /** The session as acted on: utmp's state debounced (core/attach.ts), our own writes discounted. */
  session: Session;
  /** A state utmp reports that we do not believe yet (core/attach.ts), and when a scan first saw it. */
  change: { state: SessionState; seenAt: number } | null;
  /** What session.rule last said for this session, so a change after a reload is logged again. */
  ruleLogged: string;
  memory: SessionMemory;
  /** Our own last write to the pty: an mtime equal to `after` is not the user's output. */
  ownWrite: { before: number; after: number } | null;
  /** Set once SIGTERM is under way (or logged, in dry run): decide is not asked again. */
  ending: Reason | null;
  /** A signal failed (EPERM): do not retry before this time. */
  retryAt: number;
  verdict: Verdict | null;
}

/** A session to end in this pass, and how. */
interface Ending {
  t: Tracked;
  request: EndRequest;
}

export function sessionKey(s: Pick<Session, 'pid' | 'startTicks'>): string {
  return `${s.pid}:${s.startTicks}`;
}

export class Daemon {
  private readonly tracked = new Map<string, Tracked>();
  private readonly problemsLogged = new Set<string>();
  private running: Promise<void> | null = null;
  private again = false;
  private wantFull = false;
  private wantRevocationSweep = false;
  private lastFull = -Infinity;
  private pendingRescans = 0;
  /** Schedules that fired and are applied by the next pass, on fresh data. */
  private sweeps: Schedule[] = [];
  private timer: { cancel(): void } | null = null;
  private stopped = false;

  constructor(
    private policy: Policy,
    private readonly deps: DaemonDeps,
  ) {}

  setPolicy(policy: Policy): void {
    this.policy = policy;
  }

  /** Sessions and verdicts from the last scan, for status output. */
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

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  /** Runs a pass now, or right after the one in progress. Resolves when the passes are done. */
  request(trigger: Trigger): Promise<void> {
    if (FULL_TRIGGERS.has(trigger)) this.wantFull = true;
    if (trigger === 'revocation') this.wantRevocationSweep = true;
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      // Let the rest of this burst of events arrive first (a tmux with 50 panes, 200 sessions started at
      // once): they only set `again`, so a burst costs one or two passes, not one pass per event.
      // A pass is synchronous work; without this, each event's callback ran a whole pass of its own.
      await new Promise<void>((resolve) => setImmediate(resolve));
      do {
        this.again = false;
        const now = this.deps.act.now();
        const full = this.wantFull || now - this.lastFull >= FULL_SCAN_EVERY_MS;
        this.wantFull = false;
        if (full) this.lastFull = now;
        try {
          if (this.wantRevocationSweep) {
            this.wantRevocationSweep = false;
            this.revocationSweep();
          }
          await this.pass(full);
        } catch (e) {
          this.deps.log.error({ event: 'scan.error', err: e }, 'scan failed; the next one runs as planned');
          this.schedule(this.deps.act.now() + this.policy.scanIntervalMs, 0);
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(full: boolean): Promise<void> {
    const began = this.deps.act.now();
    const result = await this.deps.scan(full);
    const scanMs = this.deps.act.now() - began;
    this.deps.log.debug(
      { event: 'scan.pass', full, sessions: result.sessions.length, pending: result.pending, scan_ms: scanMs },
      'scanned',
    );
    this.logProblems(result);
    const now = this.deps.act.now();
    const seen = new Set<string>();
    let nextDue = now + this.policy.scanIntervalMs;

    const sweeps = this.sweeps.splice(0);
    const swept = sweeps.map(() => [] as number[]); // pids ended by each sweep, for schedule.run
    const endings: Ending[] = [];
    for (const raw of result.sessions) {
      const key = sessionKey(raw);
      seen.add(key);
      const { t, recheckAt } = this.track(key, raw, now);
      if (recheckAt !== null) nextDue = Math.min(nextDue, recheckAt);
      if (t.ending !== null || now < t.retryAt) continue;
      this.logRule(t);
      let verdict = decide(t.session, this.policy, this.deps.revocations(), now, t.memory);
      // A schedule that fired ends what it covers, unless decide already ends it (revoked, say).
      for (let i = 0; i < sweeps.length && verdict.action !== 'terminate'; i++) {
        const bySweep = sweepVerdict(t.session, sweeps[i]!, this.policy, now);
        if (bySweep) {
          verdict = bySweep;
          swept[i]!.push(t.session.pid);
        }
      }
      t.verdict = verdict;
      this.act(t, verdict, now, endings);
      if (t.verdict.at !== null && t.verdict.at > now) nextDue = Math.min(nextDue, t.verdict.at);
    }
    sweeps.forEach((sw, i) =>
      this.deps.log.info(
        {
          event: 'schedule.run',
          schedule: sw.index,
          cron: sw.cron,
          terminate: sw.terminate,
          sessions: swept[i]!.length,
          pids: swept[i],
          dry_run: this.policy.dryRun,
        },
        `schedule ${sw.index} (${sw.cron}): ${swept[i]!.length} session(s) to end`,
      ),
    );
    this.endAll(endings, now);
    for (const [key, t] of this.tracked) if (!seen.has(key) && !this.isEnding(t)) this.finish(key, now);
    // A revocation's `until` is a moment to re-evaluate too: the entry lapses then, not at the next edit.
    for (const r of this.deps.revocations())
      if (r.until !== null && r.until > now) nextDue = Math.min(nextDue, r.until);

    this.deps.onPass?.(
      [...this.tracked.values()].map((t) => t.session),
      scanMs,
      now,
    );
    this.pendingRescans = result.pending > 0 ? this.pendingRescans + 1 : 0;
    this.schedule(nextDue, result.pending > 0 && this.pendingRescans <= PENDING_RESCAN_MAX ? PENDING_RESCAN_MS : 0);
  }

  /**
   * A new revocation bites before the rescan: the sessions we already know are checked against it at
   * once (no /proc reads but the identity check before each signal). The full pass follows.
   */
  private revocationSweep(): void {
    const now = this.deps.act.now();
    const revocations = this.deps.revocations();
    const endings: Ending[] = [];
    for (const t of this.tracked.values()) {
      if (t.ending !== null) continue;
      const verdict = decide(t.session, this.policy, revocations, now, t.memory);
      if (verdict.reason === 'revoked') {
        t.verdict = verdict;
        this.act(t, verdict, now, endings);
      }
    }
    this.endAll(endings, now);
  }

  /**
   * Updates (or starts) our record of a session and logs start/attach/detach. A detach is believed only
   * after the hold (core/attach.ts); until then the session stays attached, client included, and
   * `recheckAt` says when to look again.
   */
  private track(key: string, raw: Session, now: number): { t: Tracked; recheckAt: number | null } {
    const old = this.tracked.get(key);
    const before = old?.session.state ?? null;
    const change =
      raw.state === before ? null : old?.change?.state === raw.state ? old.change : { state: raw.state, seenAt: now };
    const settled = settleState(before, raw, now, change?.seenAt ?? now);
    const held = settled.recheckAt !== null;
    const session: Session = {
      ...raw,
      state: settled.state,
      stateSince: held ? old!.session.stateSince : settled.stateSince,
      client: held ? old!.session.client : raw.client,
      lastOutputAt: discountOwnWrite(raw.lastOutputAt, old?.ownWrite ?? null),
    };
    if (!old) {
      const t: Tracked = {
        session,
        change: null,
        ruleLogged: 'defaults',
        memory: { warnings: [] },
        ownWrite: null,
        ending: null,
        retryAt: 0,
        verdict: null,
      };
      this.tracked.set(key, t);
      this.deps.log.info(
        {
          event: 'session.start',
          ...sessionFields(session),
          from: session.from,
          started_at: new Date(session.startedAt).toISOString(),
          state: session.state,
          client: session.client,
          groups: session.groups,
        },
        'session found',
      );
      return { t, recheckAt: null };
    }
    logStateChange(this.deps.log, old.session.state, session);
    old.session = session;
    old.change = change;
    return { t: old, recheckAt: settled.recheckAt };
  }

  /**
   * session.rule: which rule applies and what matched (the user, or which group), so an operator can
   * tell why a session was kept or given other limits. Logged when first known and again when a reload
   * changes it; a session under the defaults from the start logs nothing.
   */
  private logRule(t: Tracked): void {
    const m: RuleMatch = matchRule(t.session, this.policy);
    const index = m.kind === 'defaults' ? null : m.rule.index;
    const said =
      m.kind === 'matched'
        ? `${index} ${m.via}:${m.name} ${m.limits.exempt}`
        : m.kind === 'unresolved'
          ? `${index} unresolved`
          : 'defaults';
    if (said === t.ruleLogged) return;
    t.ruleLogged = said;
    const fields =
      m.kind === 'matched'
        ? { rule: index, matched: { [m.via]: m.name }, exempt: m.limits.exempt }
        : m.kind === 'unresolved'
          ? { rule: index, matched: null, exempt: null, unresolved: true }
          : { rule: null, matched: null, exempt: false };
    const message =
      m.kind === 'matched'
        ? `rule ${index} applies (${m.via} ${m.name})${m.limits.exempt ? ': exempt' : ''}`
        : m.kind === 'unresolved'
          ? `rule ${index} may apply, but the user's names are unknown: nothing but a revocation ends this session`
          : 'no rule applies any more: defaults';
    this.deps.log.info({ event: 'session.rule', ...sessionFields(t.session), ...fields }, message);
  }

  /** Warns at once; a session to end is added to `endings`, so that all of a pass's SIGTERMs go out together. */
  private act(t: Tracked, verdict: Verdict, now: number, endings: Ending[]): void {
    const limits = limitsOf(t.session, this.policy);
    if (verdict.action === 'warn') {
      const res = warn(t.session, verdict, limits, now, this.actDeps());
      if (res) {
        t.memory.warnings = [...t.memory.warnings.filter((w) => w.reason !== res.record.reason), res.record];
        if (res.ownWrite) t.ownWrite = res.ownWrite;
      }
      return;
    }
    if (verdict.action !== 'terminate') return;
    // Set at once: the session is not decided about again, in dry run not even logged again.
    t.ending = verdict.reason;
    const request: EndRequest = {
      reason: verdict.reason,
      graceMs: limits.graceMs,
      countOutput: limits.countOutput,
      revocation: verdict.revocation,
      detail: verdict.revocation?.reason ?? null,
    };
    endings.push({ t, request });
  }

  private endAll(endings: Ending[], now: number): void {
    if (endings.length === 0) return;
    const outcomes = endMany(
      endings.map((e) => ({ session: e.t.session, request: e.request })),
      now,
      this.actDeps(),
    );
    if (this.policy.dryRun) return;
    endings.forEach(({ t }, i) => {
      const key = sessionKey(t.session);
      // Not awaited: one session's grace period must not hold up the daemon.
      void outcomes[i]!.then((outcome) => {
        if (outcome?.result === 'failed') {
          t.ending = null;
          t.retryAt = this.deps.act.now() + this.policy.scanIntervalMs;
        } else {
          this.finish(key, this.deps.act.now());
        }
      });
    });
  }

  private actDeps(): ActDeps {
    return { ...this.deps.act, log: this.deps.log, dryRun: this.policy.dryRun };
  }

  private isEnding(t: Tracked): boolean {
    return t.ending !== null && !this.policy.dryRun;
  }

  /** session.end, once, when the session is gone. */
  private finish(key: string, now: number): void {
    const t = this.tracked.get(key);
    if (!t) return;
    this.tracked.delete(key);
    this.deps.log.info(endFields(t.session, now, t.ending), 'session gone');
  }

  private schedule(nextDue: number, soonMs: number): void {
    if (this.stopped) return;
    this.timer?.cancel();
    const now = this.deps.act.now();
    const delay = Math.max(soonMs > 0 ? Math.min(soonMs, nextDue - now) : nextDue - now, 0);
    // +5 ms: verdict times are exact, and waking a hair early would only schedule another wake.
    this.timer = this.deps.setTimer(() => void this.request(soonMs > 0 ? 'pending' : 'timer'), delay + 5);
  }

  private logProblems(result: ScanResult): void {
    for (const p of result.problems) {
      const id = `${p.what}:${p.code}`;
      if (this.problemsLogged.has(id)) continue;
      this.problemsLogged.add(id);
      const message =
        p.what === 'utmp'
          ? 'utmp is missing or unreadable: attach state and client addresses are unknown'
          : `cannot read /proc/PID/${p.what} of other users' processes (${p.code}): needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH`;
      this.deps.log.warn({ event: 'scan.problem', what: p.what, code: p.code }, message);
    }
  }
}

/** Grace and count_output for acting; with unresolved names decide only ever says keep or revoked. */
function limitsOf(s: Session, policy: Policy) {
  const m = matchRule(s, policy);
  return m.kind === 'unresolved' ? policy.defaults : m.limits;
}

/** Our warning bumps the pty's mtime; with count_output on, that must not count as the user's output. */
export function discountOwnWrite(mtime: number | null, own: { before: number; after: number } | null): number | null {
  return own !== null && mtime === own.after ? own.before : mtime;
}

function logStateChange(log: Logger, before: SessionState, s: Session): void {
  if (before === s.state) return;
  if (s.state === 'attached')
    log.info({ event: 'session.attach', ...sessionFields(s), client: s.client }, 'client attached');
  else if (s.state === 'detached' && before === 'attached')
    log.info({ event: 'session.detach', ...sessionFields(s), client: null }, 'client lost');
}
