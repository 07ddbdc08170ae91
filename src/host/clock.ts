// Host boundary: time. The wall clock (Date.now: the one every promise to a user is stated in, and what
// log timestamps show) and the timers that wait on it. See docs/architecture.md, "Clocks".
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface Timer {
  cancel(): void;
}

/** A long piece of work calls `pause()` often; it yields to the event loop once `budgetMs` have passed. */
export function slicer(budgetMs = 5): { pause(): Promise<void> | void } {
  let since = performance.now();
  return {
    pause() {
      if (performance.now() - since < budgetMs) return;
      return new Promise<void>((resolve) =>
        setImmediate(() => {
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
  now: (): number => Date.now(),
  sleep: (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)),
  /** `unref`: the timer alone does not keep the process alive. */
  setTimer(fn: () => void, ms: number, opts: { unref?: boolean } = {}): Timer {
    const t = setTimeout(fn, ms);
    if (opts.unref) t.unref();
    return { cancel: () => clearTimeout(t) };
  },
  /** Runs fn once the events already queued have been handled (setImmediate). */
  defer(fn: () => void): void {
    setImmediate(fn);
  },
  watchBlocks,
};
