// Host boundary: how far V8 lets the daemon's heap grow between full collections.
// By default V8 lets the old generation grow up to 4 times what was live at the last full collection
// when collecting is cheap next to allocating. A pass over 2,000 sessions keeps its data alive through
// the pass, so under churn most of it is promoted: with ~14 MiB live the heap reached 60-65 MiB before
// each full collection, and the daemon 125-137 MiB RSS in the flood benchmark (docs/architecture.md,
// "Memory"). A fixed growth of 30 % keeps the peak near the live size, for a few more collections of a
// small heap (5-10 ms each).
import v8 from 'node:v8';

export const HEAP_GROWING_PERCENT = 30;

/**
 * Sets the growth for this process. Read by V8 at every full collection, so it works when set at run
 * time (measured: bench/RESULTS.md); the daemon sets it first thing, the one-shot commands never do.
 */
export function limitHeapGrowth(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
