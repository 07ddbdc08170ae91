// The process table, kept between scans and read as little as possible (docs/architecture.md, "Speed").
// A process's name, parent and start time do not change under the same pid unless the pid is reused,
// so a cheap scan reads only the pids created since the last look (host/pid-span.ts says which), and
// reads nothing when no process was created. A listing of /proc (every pid, reading the new ones) is
// done when a pty came or went, when the probes add up, and at a full scan, which reads every process.
// Callers re-read the few processes whose state matters (sessions/snapshot.ts); entries of processes
// that exited stay until the next listing or such a re-read.
import { forksSinceBoot, isProcess, lastPid, pidMax, procPids, restat, type ProcStat, type Slicer } from './proc.js';
import { planRead, probedPids, type ReadPlan } from './pid-span.js';

export class ProcessTable {
  private readonly known = new Map<number, ProcStat>();
  /** Pids with the time they were first read (the caller's clock), oldest first: young ones are read again. */
  private young: Array<[pid: number, at: number]> = [];
  private lastLookPid: number | null = null;
  private lastLookForks: number | null = null;
  private probedSinceList = 0;
  private mustList = false;
  /** Moves whenever an entry is added, replaced or dropped: an unchanged table need not be walked again. */
  private changes = 0;
  private plan: ReadPlan | null = null;

  /** The whole scan at once (the benchmark's baseline and one-shot commands). */
  scan(full: boolean, now = 0): Map<number, ProcStat> {
    for (const _ of this.steps(full, now)) {
      // no pauses
    }
    return this.known;
  }

  /** The same scan, pausing whenever `slicer` says the event loop has waited long enough. */
  async scanSliced(full: boolean, now: number, slicer: Slicer): Promise<Map<number, ProcStat>> {
    for (const _ of this.steps(full, now)) await slicer.pause();
    return this.known;
  }

  /** The next cheap scan lists /proc (a pty appeared or vanished: a session may have come or gone). */
  listNext(): void {
    this.mustList = true;
  }

  /** A number that changes whenever the table does. */
  version(): number {
    return this.changes;
  }

  /** How the last scan read /proc (for the tests and the benchmark). */
  lastPlan(): ReadPlan | null {
    return this.plan;
  }

  /** The pids first read within `windowMs` before `now`: just forked, maybe not yet what they will be. */
  recent(now: number, windowMs: number): number[] {
    let old = 0;
    while (old < this.young.length && now - this.young[old]![1] >= windowMs) old++;
    if (old > 0) this.young = this.young.slice(old);
    return this.young.map(([pid]) => pid);
  }

  /**
   * Re-reads one process (its comm changes when it execs) and updates the table. Null if it is gone, or
   * if its pid now names a thread (a probe or a re-read can reach a thread; a listing cannot).
   */
  refresh(pid: number): ProcStat | null {
    return this.take(pid, this.readProcess(pid), null);
  }

  /** Reads /proc as planned, yielding every STEP processes so that a caller may pause there. */
  private *steps(full: boolean, now: number): Generator<void> {
    // The fork count first: a process created between the two reads is then counted in the next look's
    // forks as well as in this look's span, which can only make that look list (never miss one).
    const forks = forksSinceBoot();
    const newest = lastPid();
    const plan = planRead({
      full,
      mustList: this.mustList,
      last: this.lastLookPid,
      newest,
      forks: forks === null || this.lastLookForks === null ? null : forks - this.lastLookForks,
      pidMax: newest !== null && this.lastLookPid !== null && newest < this.lastLookPid ? pidMax() : null,
      tableSize: this.known.size,
      probedSinceList: this.probedSinceList,
    });
    this.plan = plan;
    if (plan.kind === 'none') return;
    if (plan.kind === 'probe') {
      let n = 0;
      for (const pid of probedPids(plan)) {
        if (++n % STEP === 0) yield;
        this.take(pid, this.readProcess(pid), now);
      }
      this.probedSinceList += plan.count;
      this.lastLookPid = newest;
      this.lastLookForks = forks;
      return;
    }
    this.mustList = false;
    const seen = new Set<number>();
    let n = 0;
    for (const pid of procPids()) {
      if (++n % STEP === 0) yield;
      seen.add(pid);
      if (full || !this.known.has(pid)) this.take(pid, restat(pid, this.known.get(pid)), now);
    }
    n = 0;
    for (const pid of this.known.keys()) {
      if (++n % (STEP * 10) === 0) yield;
      if (!seen.has(pid)) this.forget(pid);
    }
    this.probedSinceList = 0;
    this.lastLookPid = newest;
    this.lastLookForks = forks;
  }

  /**
   * A stat read of a pid that may be a thread's (probed, or re-read after its process exited): a new
   * identity is taken only if it is a process. Threads in the table would be children of their process's
   * parent with a name their owner chooses: one named like the server beside a session's shell made the
   * session read "waiting" (no detached limit).
   */
  private readProcess(pid: number): ProcStat | null {
    const old = this.known.get(pid);
    const stat = restat(pid, old);
    if (stat === null) return null;
    if (old !== undefined && old.startTicks === stat.startTicks) return stat; // known as a process
    return isProcess(pid) === true ? stat : null;
  }

  /** Records what a read of pid found (null: gone, or not a process); returns the entry kept, or null. */
  private take(pid: number, stat: ProcStat | null, firstSeen: number | null): ProcStat | null {
    if (stat !== null) return this.put(stat, firstSeen);
    this.forget(pid);
    return null;
  }

  /**
   * A new process (or a reused pid) found by a scan is recorded as young (`firstSeen`: when, or null for
   * a re-read). An unchanged one keeps its entry and the new object dies young: replacing all 10,000 on
   * every full read promoted them to the old generation, whose collection then held the event loop (bench/).
   * Returns the entry kept: the old one if unchanged, so that a caller holding it through a pass (a
   * re-read candidate, 2,000 of them under a flood) keeps no new object alive (bench/RESULTS.md, "Floods").
   */
  private put(stat: ProcStat, firstSeen: number | null): ProcStat {
    const old = this.known.get(stat.pid);
    const isNew = old === undefined || old.startTicks !== stat.startTicks;
    if (!isNew && sameStat(old, stat)) return old;
    if (isNew && firstSeen !== null) this.young.push([stat.pid, firstSeen]);
    this.known.set(stat.pid, stat);
    this.changes++;
    return stat;
  }

  private forget(pid: number): void {
    if (this.known.delete(pid)) this.changes++;
  }
}

/** What a scan looks at is unchanged (CPU times and the rest of the stat line may have moved). */
function sameStat(a: ProcStat, b: ProcStat): boolean {
  return (
    a.comm === b.comm && a.state === b.state && a.ppid === b.ppid && a.session === b.session && a.ttyNr === b.ttyNr
  );
}

/** Processes read between two chances to pause: ~15 µs each, so a pause check every ~1.5 ms. */
const STEP = 100;
