// When the loop runs a pass: on request (a pty appeared, utmp or the revocations changed, a reload),
// when the next verdict is due, and at least every scan interval. Passes never overlap: a request
// during a pass asks for one more pass after it, so a burst of events costs one or two passes.

export type Trigger = 'start' | 'timer' | 'pts' | 'utmp' | 'reload' | 'revocation' | 'pending' | 'schedule';

export interface RunnerHost {
  /** Wall clock: verdicts are due at wall-clock times. */
  now(): number;
  /** Monotonic clock: the gaps between passes, which a jump of the wall clock must not stretch. */
  monotonic(): number;
  setTimer(fn: () => void, ms: number): { cancel(): void };
  /** Runs fn after the events already queued (setImmediate). */
  defer(fn: () => void): void;
}

/**
 * Every pass reads the processes it has not seen before, which is where a new session is. Only a pid
 * that died and was re-used between two passes hides from that: the pid counter must wrap pid_max
 * (32,768, or 4,194,304 with systemd's default) within one scan interval. A full read of /proc (~160 ms of CPU
 * at 10,000 processes, bench/RESULTS.md) is therefore done at start and as a safety net every few minutes, not
 * on every new pty (ssh logins and tmux panes make those too).
 */
export const FULL_SCAN_EVERY_MS = 5 * 60_000;

/** Timer-driven passes are at least this far apart (requests from events are not held back). */
export const MIN_GAP_MS = 1_000;

export interface PassRequest {
  full: boolean;
  triggers: ReadonlySet<Trigger>;
}

export class PassRunner {
  private running: Promise<void> | null = null;
  private triggers = new Set<Trigger>();
  /** Monotonic times of the last full read and of the last pass's start. */
  private lastFull = -Infinity;
  private lastPassAt = -Infinity;
  private timer: { cancel(): void } | null = null;
  private stopped = false;

  constructor(
    private readonly host: RunnerHost,
    /** One pass; a throw is reported by onError and the next pass runs as planned. */
    private readonly pass: (req: PassRequest) => Promise<void>,
    private readonly onError: (e: unknown) => void,
    /** How often a pass reads all of /proc; shorter only for the benchmark (service/wire.ts). */
    private readonly fullEveryMs: number = FULL_SCAN_EVERY_MS,
  ) {}

  /** Runs a pass now, or right after the one in progress. Resolves when the passes are done. */
  request(trigger: Trigger): Promise<void> {
    this.triggers.add(trigger);
    if (this.running) return this.running;
    this.running = (async () => {
      // Let the rest of this burst of events arrive first (a tmux with 50 panes, 200 sessions started at
      // once). A pass is synchronous work; without this, each event's callback ran a whole pass of its own.
      await new Promise<void>((resolve) => this.host.defer(resolve));
      while (this.triggers.size > 0 && !this.stopped) {
        const triggers = this.triggers;
        this.triggers = new Set();
        const mono = this.host.monotonic();
        this.lastPassAt = mono;
        const full = triggers.has('start') || mono - this.lastFull >= this.fullEveryMs;
        if (full) this.lastFull = mono;
        try {
          await this.pass({ full, triggers });
        } catch (e) {
          this.onError(e);
        }
      }
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /**
   * The next wake-up: at `at`, or in `soonMs` if that is sooner (a session just forked) — but no sooner
   * than MIN_GAP_MS after the last pass began (a quick look for a just-forked session is not held back). Verdicts fall due one by one (2,000 sessions idle since
   * they were started within a few seconds): waking for each one made passes back to back, and their
   * garbage doubled the daemon's memory. Later is always safe: every promise is "no sooner than".
   */
  wakeAt(at: number, soonMs = 0): void {
    if (this.stopped) return;
    this.timer?.cancel();
    const now = this.host.now();
    const sinceLast = this.host.monotonic() - this.lastPassAt;
    const delay =
      soonMs > 0 && now + soonMs < at
        ? soonMs // a session just forked: look again soon (bounded by the loop's PENDING_RESCAN_MAX)
        : Math.max(at - now, MIN_GAP_MS - sinceLast, 0);
    // +5 ms: verdict times are exact, and waking a hair early would only schedule another wake.
    this.timer = this.host.setTimer(() => void this.request(soonMs > 0 ? 'pending' : 'timer'), delay + 5);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }
}
