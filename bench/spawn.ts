// Extra idle processes for the benchmark: `sleep` children of this process, and the cleanup that ends
// exactly those (by their ChildProcess handles, so by pid, never by name) on exit, SIGINT or SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { readStat } from '../src/host/proc.js';

/** Long enough for any run, short enough that orphans (if this process is SIGKILLed) end by themselves. */
const SLEEP_SECONDS = 900;
/** Spawns in flight at once: spawn() itself is synchronous (fork+exec), the batch only bounds the awaits. */
const BATCH = 200;
const VISIBLE_TIMEOUT_MS = 30_000;

// ---- exit cleanup ------------------------------------------------------------------------------------

const cleanups = new Set<() => void>();
let installed = false;

/** Runs `fn` (synchronous) once when this process exits or is interrupted. Returns an unregister. */
export function atExit(fn: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', runCleanups);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        runCleanups();
        process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
      });
    }
  }
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

function runCleanups(): void {
  for (const fn of [...cleanups]) {
    cleanups.delete(fn);
    try {
      fn();
    } catch {
      // best effort: one failing cleanup must not keep the others from running
    }
  }
}

/**
 * Signals a child of ours only while Node still holds its handle: until Node has reaped it the pid cannot
 * belong to anyone else (an exited but unreaped child is a zombie that keeps its pid).
 */
export function killChild(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}

// ---- the extra processes ----------------------------------------------------------------------------

export interface GrowResult {
  /** Extra processes alive now. */
  reached: number;
  /** Why spawning stopped short of the target (e.g. EAGAIN), or null. */
  error: string | null;
  spawnMs: number;
}

export class ExtraProcesses {
  private readonly children: ChildProcess[] = [];

  constructor() {
    atExit(() => void this.killAll()); // the kills happen synchronously, before its first await
  }

  get count(): number {
    return this.children.length;
  }

  /** Spawns until `total` extra processes exist (or spawning fails), then waits until /proc shows them all. */
  async grow(total: number): Promise<GrowResult> {
    const t0 = performance.now();
    let error: string | null = null;
    while (this.children.length < total && error === null) {
      const n = Math.min(BATCH, total - this.children.length);
      const batch: Promise<ChildProcess | Error>[] = [];
      for (let i = 0; i < n; i++) batch.push(spawnSleep());
      for (const r of await Promise.all(batch)) {
        if (r instanceof Error) error ??= r.message;
        else this.children.push(r);
      }
    }
    await this.waitVisible();
    return { reached: this.children.length, error, spawnMs: performance.now() - t0 };
  }

  /** SIGKILL to every extra process; resolves when Node has reaped them all. */
  async killAll(): Promise<void> {
    const gone = this.children.map(
      (c) =>
        new Promise<void>((resolve) =>
          c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', () => resolve()),
        ),
    );
    for (const c of this.children) killChild(c, 'SIGKILL');
    this.children.length = 0;
    await Promise.all(gone);
  }

  private async waitVisible(): Promise<void> {
    const deadline = Date.now() + VISIBLE_TIMEOUT_MS;
    let missing = this.children;
    while (true) {
      // After the 'spawn' event exec has succeeded, so /proc/PID/stat already says `sleep`.
      missing = missing.filter((c) => c.pid === undefined || readStat(c.pid)?.comm !== 'sleep');
      if (missing.length === 0) return;
      if (Date.now() > deadline) throw new Error(`${missing.length} extra processes never appeared in /proc`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function spawnSleep(): Promise<ChildProcess | Error> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn('sleep', [String(SLEEP_SECONDS)], { stdio: 'ignore', detached: false });
    } catch (e) {
      resolve(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    child.once('spawn', () => resolve(child));
    child.once('error', (e) => resolve(e));
  });
}
