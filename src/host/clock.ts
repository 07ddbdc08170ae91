// Host boundary: time. Two clocks, each for its own kind of promise (docs/architecture.md, "Clocks"):
// - the wall clock (`now`): what log timestamps show, what pty and utmp times and a revocation's `until`
//   are written in. It can jump (NTP step, an operator's `date -s`).
// - the monotonic clock (`monotonic`): never jumps; every duration the daemon promises (the grace period,
//   the gap between passes) is counted on it, and comparing the two between readings is how a jump of
//   the wall clock is seen (core/clock-jump.ts).
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface Timer {
  cancel(): void;
}

/**
 * Added to the wall clock the daemon reads (ms). Zero in production; end-to-end tests move the daemon's
 * wall clock with it without touching the machine's (service/test-clock.ts says who can set it).
 */
let wallOffsetMs = 0;

export function setWallOffset(ms: number): void {
  wallOffsetMs = ms;
}

/** Callbacks queued with `deferFirst` and not run yet. */
let firstQueued = 0;

/**
 * Runs fn on the next turn of the event loop, ahead of everything queued with `defer`, `settle` or a
 * slicer's pause: a batch of SIGTERMs sent a slice per turn (act/end.ts) does not wait behind a pass.
 */
export function deferFirst(fn: () => void): void {
  firstQueued++;
  setImmediate(() => {
    firstQueued--;
    fn();
  });
}

/** Calls fn on a later turn of the event loop once nothing queued with `deferFirst` is waiting. */
function afterFirst(fn: () => void): void {
  const go = () => (firstQueued > 0 ? setImmediate(go) : fn());
  setImmediate(go);
}

/** Waits (if it must) until nothing queued with `deferFirst` is waiting: before work that cannot pause. */
export function settle(): Promise<void> | void {
  if (firstQueued === 0) return;
  return new Promise<void>((resolve) => afterFirst(resolve));
}

/**
 * A long piece of work calls `pause()` often; it yields to the event loop once `budgetMs` have passed,
 * or at once when work queued with `deferFirst` waits, and resumes once none does.
 */
export function slicer(budgetMs = 5): { pause(): Promise<void> | void } {
  let since = performance.now();
  return {
    pause() {
      if (firstQueued === 0 && performance.now() - since < budgetMs) return;
      return new Promise<void>((resolve) =>
        afterFirst(() => {
          since = performance.now();
          resolve();
        }),
      );
    },
  };
}

/** The event-loop delay monitor's timer period (its smallest): every delay it records includes one. */
const BLOCK_RESOLUTION_MS = 1;

/**
 * Starts watching how long the event loop is held (perf_hooks.monitorEventLoopDelay: a 1 ms libuv timer
 * that records how late it fires). `stop()` ends it and returns the longest block seen, in ms (the
 * latest firing minus the timer's own period). Used around full reads only (daemon/loop.ts): a timer
 * every millisecond for the whole life of the daemon would cost more than its steady scans.
 */
export function watchBlocks(): { stop(): number } {
  const h = monitorEventLoopDelay({ resolution: BLOCK_RESOLUTION_MS });
  h.enable();
  return {
    stop() {
      h.disable();
      return h.count === 0 ? 0 : Math.max(0, h.max / 1e6 - BLOCK_RESOLUTION_MS);
    },
  };
}

export const clock = {
  /** Wall-clock time, epoch milliseconds. */
  now: (): number => Date.now() + wallOffsetMs,
  /** Monotonic milliseconds (CLOCK_MONOTONIC through performance.now): only differences mean anything. */
  monotonic: (): number => performance.now(),
  sleep: (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)),
  /** `unref`: the timer alone does not keep the process alive. */
  setTimer(fn: () => void, ms: number, opts: { unref?: boolean } = {}): Timer {
    const t = setTimeout(fn, ms);
    if (opts.unref) t.unref();
    return { cancel: () => clearTimeout(t) };
  },
  /** Runs fn once the events already queued have been handled (setImmediate), after `deferFirst` work. */
  defer: afterFirst,
  deferFirst,
  settle,
  watchBlocks,
};
