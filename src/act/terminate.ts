// Ending one session: SIGTERM, wait up to `grace`, SIGKILL if it is still the same process.
// kill, the identity check and the clock are parameters, so the escalation is tested without real
// processes and the daemon, the CLI and the tests all go through this one path.

export interface Target {
  pid: number;
  startTicks: number;
  /** The process name seen when it was decided about: a process that exec'd something else is not it. */
  comm: string;
}

export interface TerminateDeps {
  /** process.kill-alike: throws an errno error (ESRCH, EPERM) on failure. */
  kill(pid: number, signal: 'SIGTERM' | 'SIGKILL'): void;
  /** True while pid still names the process we decided about (start time unchanged, not a zombie). */
  isSame(target: Target): boolean;
  sleep(ms: number): Promise<void>;
  /** Wall clock (epoch ms): only for the times written into log lines. */
  now(): number;
  /**
   * Monotonic ms: the grace period is counted on it, so a wall clock that jumps (a day forward) can
   * neither shorten nor stretch it (docs/architecture.md, "Clocks").
   */
  monotonic(): number;
  /** How often to look whether it is gone (default POLL_MS). */
  pollMs?: number;
  /** True once the daemon is stopping: no further signal is sent, the wait ends (the next daemon takes over). */
  abandoned?(): boolean;
  /** Told right after each signal is delivered. */
  onSignal?(signal: 'SIGTERM' | 'SIGKILL'): void;
}

export type Outcome =
  /** It was gone (or another process had its pid) before we signalled: nothing was sent. */
  | { result: 'gone' }
  | { result: 'exited'; afterMs: number }
  | { result: 'killed'; afterMs: number }
  /** The daemon stopped during the grace period: SIGKILL was not sent (a restarted daemon finishes the job). */
  | { result: 'abandoned' }
  /** A signal could not be sent (EPERM without CAP_KILL): the session lives on. */
  | { result: 'failed'; signal: 'SIGTERM' | 'SIGKILL'; code: string }
  /** SIGKILL was sent but the process did not disappear (uninterruptible sleep): reported, not retried here. */
  | { result: 'stuck'; afterMs: number };

const POLL_MS = 25;
/** After SIGKILL the kernel needs a moment; past this we report rather than wait forever. */
const KILL_WAIT_MS = 2_000;

export type Sent = 'sent' | 'gone' | { code: string };

/**
 * Sends one signal after re-checking identity: the grace period is the widest window for pid reuse.
 * `checked` says the caller did that check itself a moment ago (a batch checks all, then signals all).
 */
export function send(deps: TerminateDeps, target: Target, signal: 'SIGTERM' | 'SIGKILL', checked = false): Sent {
  if (!checked && !deps.isSame(target)) return 'gone';
  try {
    deps.kill(target.pid, signal);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    return code === 'ESRCH' ? 'gone' : { code }; // ESRCH: it exited on its own in between — success
  }
  deps.onSignal?.(signal);
  return 'sent';
}

async function waitGone(deps: TerminateDeps, target: Target, untilMs: number): Promise<boolean | 'abandoned'> {
  for (;;) {
    if (deps.abandoned?.()) return 'abandoned';
    if (!deps.isSame(target)) return true;
    const left = untilMs - deps.monotonic();
    if (left <= 0) return false;
    await deps.sleep(Math.min(deps.pollMs ?? POLL_MS, left));
  }
}

export async function terminate(target: Target, graceMs: number, deps: TerminateDeps): Promise<Outcome> {
  const term = send(deps, target, 'SIGTERM');
  return escalate(target, graceMs, deps, deps.monotonic(), term);
}

/**
 * What follows a SIGTERM (`term`, sent at `start` on the monotonic clock, read after kill(2) returned):
 * wait up to grace, then SIGKILL if it is still there. SIGKILL goes out no sooner than `graceMs` of
 * monotonic time after the SIGTERM; `afterMs` in the outcome is that same count.
 */
export async function escalate(
  target: Target,
  graceMs: number,
  deps: TerminateDeps,
  start: number,
  term: Sent,
): Promise<Outcome> {
  if (term === 'gone') return { result: 'gone' };
  /** Whole ms since the SIGTERM, rounded down: never more than really passed. */
  const since = () => Math.floor(deps.monotonic() - start);
  if (term !== 'sent') return { result: 'failed', signal: 'SIGTERM', code: term.code };
  const waited = await waitGone(deps, target, start + graceMs);
  if (waited === 'abandoned') return { result: 'abandoned' };
  if (waited) return { result: 'exited', afterMs: since() };

  const kill = send(deps, target, 'SIGKILL');
  if (kill === 'gone') return { result: 'exited', afterMs: since() };
  if (kill !== 'sent') return { result: 'failed', signal: 'SIGKILL', code: kill.code };
  if ((await waitGone(deps, target, deps.monotonic() + KILL_WAIT_MS)) !== false) {
    return { result: 'killed', afterMs: since() };
  }
  return { result: 'stuck', afterMs: since() };
}
