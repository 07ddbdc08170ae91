// How many cases each fast-check property runs (not a test file: it holds no tests).
// MOSHWARDEN_FC_RUNS sets it: `npm run soak:props` uses 100000; the default keeps `npm test` quick on a
// shared 2-core machine. A failure prints fast-check's seed and path; MOSHWARDEN_FC_SEED and
// MOSHWARDEN_FC_PATH replay exactly that case.
import type { Parameters } from 'fast-check';

export const DEFAULT_FC_RUNS = 1000;

export function fcRuns(): number {
  const raw = process.env.MOSHWARDEN_FC_RUNS;
  if (raw === undefined || raw === '') return DEFAULT_FC_RUNS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`MOSHWARDEN_FC_RUNS must be a positive integer, not ${raw}`);
  return n;
}

/** fc.assert parameters: the run count, plus a replay when the environment asks for one. */
export function fcParams<T>(): Parameters<T> {
  // includeErrorInReport: the assertion that failed is printed with the counter-example.
  const params: Parameters<T> = { numRuns: fcRuns(), includeErrorInReport: true };
  const seed = process.env.MOSHWARDEN_FC_SEED;
  if (seed !== undefined && seed !== '') params.seed = Number(seed);
  const path = process.env.MOSHWARDEN_FC_PATH;
  if (path !== undefined && path !== '') params.path = path;
  return params;
}
