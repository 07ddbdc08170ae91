// Timing of several ways to list the process table, interleaved in one run so they see the same host.
import { cpuTicks, ticksToMs } from './procstat.js';

export interface Subject {
  name: string;
  /** The baseline (ps-list) that the others are compared against. */
  baseline: boolean;
  /** Measured repetitions; a slow baseline may get fewer than the others. */
  reps: number;
  /** One listing; returns how many entries it produced (a sanity check that all see the same table). */
  run(): number | Promise<number>;
}

export interface Timing {
  name: string;
  baseline: boolean;
  wallMs: number[];
  /** CPU per call: this process (getrusage) plus reaped children (cutime+cstime, 10 ms ticks), summed. */
  cpuMsTotal: number;
  listed: number;
}

/** CPU of the children this process has reaped (ps-list's `ps`), in ms. */
function childCpuMs(): number {
  return ticksToMs(cpuTicks('self')?.children ?? NaN);
}

async function once(s: Subject): Promise<{ wallMs: number; cpuMs: number; listed: number }> {
  const kids0 = childCpuMs();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = s.run();
  // Await only what is asynchronous: an `await` on a plain number would add a microtask turn to the time.
  const listed = r instanceof Promise ? await r : r;
  const t1 = process.hrtime.bigint();
  const cpu = process.cpuUsage(cpu0);
  const kids = childCpuMs() - kids0;
  return { wallMs: Number(t1 - t0) / 1e6, cpuMs: (cpu.user + cpu.system) / 1000 + kids, listed };
}

/**
 * `warmup` untimed calls of each, then rounds in which every subject still short of its reps runs once.
 * The order rotates every round, so no subject always follows the baseline's child processes.
 */
export async function measureInterleaved(subjects: Subject[], warmup: number): Promise<Timing[]> {
  for (let i = 0; i < warmup; i++) for (const s of subjects) await s.run();
  const out: Timing[] = subjects.map((s) => ({
    name: s.name,
    baseline: s.baseline,
    wallMs: [],
    cpuMsTotal: 0,
    listed: 0,
  }));
  const rounds = Math.max(...subjects.map((s) => s.reps));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < subjects.length; k++) {
      const i = (round + k) % subjects.length;
      const s = subjects[i]!;
      if (round >= s.reps) continue;
      const r = await once(s);
      const t = out[i]!;
      t.wallMs.push(r.wallMs);
      t.cpuMsTotal += r.cpuMs;
      t.listed = r.listed;
    }
  }
  return out;
}

/** Nearest-rank percentile (p in 0..100) of unsorted numbers. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
