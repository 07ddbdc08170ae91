// Host boundary: time. The wall clock (Date.now: the one every promise to a user is stated in, and what
// log timestamps show) and the timers that wait on it. See docs/architecture.md, "Clocks".

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
};
