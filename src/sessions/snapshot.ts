// Reads what sessions/assemble.ts needs from the host, through src/host/: the process table, the open
// files of every process that may be a session, utmp and the ptys. Long reads are done in slices that
// let the event loop run (a revocation must not wait behind a full read of /proc).
//
// Candidates come two ways (docs/architecture.md, "Who is a mosh session"):
// - by name: every process called mosh-server (the fast path);
// - by behaviour: the parent of every process that leads a pty of its own, whatever its name. Whether it
//   is a mosh server (a pty master and a UDP socket) is decided from its open files, read once per
//   process; a "no" is looked at again later (backing off), and at every full read.
import { uptimeMs, CLOCK_TICKS_PER_SECOND, type ProcStat, type Slicer } from '../host/proc.js';
import { ProcessTable } from '../host/process-table.js';
import { readStatus } from '../host/proc-files.js';
import { statPty } from '../host/pty.js';
import { parseMoshHost, readUtmp } from '../host/utmp.js';
import { MOSH, mayBeWaiting } from './assemble.js';
import { readFdFacts } from './fd-facts.js';
import type { CandidateFacts, FdFacts, ProcFacts, Snapshot, StatusFacts, UtmpFacts } from './snapshot-types.js';
import type { PtyTimes } from '../core/types.js';

export interface SnapshotOptions {
  host: string;
  /** Wall clock: only for the boot time that start times are counted from. */
  now(): number;
  /** Monotonic clock: how long ago a process was first read or last classified (a jump must not matter). */
  monotonic(): number;
  /** A fresh slicer for each snapshot (host/clock.ts). */
  slicer(): Slicer;
  utmpPath?: string;
  /**
   * Candidates by name only (the scan before servers were found by behaviour): for the benchmark's
   * comparison of the two (bench/discovery.ts), never set by the daemon.
   */
  nameOnly?: boolean;
}

/** Processes first seen this recently are read again: a forkpty child may not have become a session leader yet. */
const RECENT_MS = 3_000;
/** A "not a session" is looked at again after this, doubling up to the cap (and at every full read). */
const RECHECK_FIRST_MS = 50;
const RECHECK_MAX_MS = 5 * 60_000;

/** What a walk over the whole table found (snapshot.ts `walk`). */
interface Walk {
  version: number;
  byName: ProcStat[];
  byBehaviour: ProcStat[];
  led: Set<string>;
  children: Map<number, ProcStat[]>;
}

interface Known {
  fds: FdFacts;
  status: StatusFacts | null;
  /** null: settled for the process's life (it holds the master). */
  recheckAt: number | null;
  backoffMs: number;
}

export class Snapshotter {
  private readonly table = new ProcessTable();
  private readonly known = new Map<string, Known>();
  private led = new Set<string>();
  private lastWalk: Walk | null = null;

  constructor(private opts: SnapshotOptions) {}

  /** The name session ids carry from the next snapshot on (a reload changed `fleet.host`). */
  setHost(host: string): void {
    this.opts = { ...this.opts, host };
  }

  async take(full: boolean): Promise<Snapshot> {
    const now = this.opts.monotonic();
    const slicer = this.opts.slicer();
    if (full) for (const k of this.known.values()) if (k.recheckAt !== null) k.recheckAt = now;
    const table = await this.table.scanSliced(full, now, slicer);
    // At start every process is recent: 10,000 re-reads in one go held the event loop ~400 ms (bench/).
    let n = 0;
    for (const pid of this.table.recent(now, RECENT_MS)) {
      if (++n % 100 === 0) await slicer.pause();
      this.table.refresh(pid);
    }

    const walk = await this.walk(table, slicer);
    this.led = walk.led;
    const sinceBootMs = uptimeMs();
    const live = new Set<string>();
    const candidates: CandidateFacts[] = [];
    for (const [via, list] of [
      ['name', walk.byName],
      ['behaviour', walk.byBehaviour],
    ] as const) {
      for (const listed of list) {
        if (++n % 8 === 0) await slicer.pause(); // a new candidate's files cost up to ~0.3 ms to read
        // Read again: a cheap scan does not see exits (host/process-table.ts), and a server that exited
        // must not stay listed, nor its pid, reused, be taken for it.
        const p = this.table.refresh(listed.pid);
        if (p === null || p.startTicks !== listed.startTicks || (via === 'name' && p.comm !== MOSH)) continue;
        const key = `${p.pid}:${p.startTicks}`;
        live.add(key);
        const known = this.facts(key, p, now);
        candidates.push({
          via,
          proc: p,
          children: this.childrenOf(p, walk.children, sinceBootMs),
          fds: known.fds,
          status: known.status,
        });
      }
    }
    for (const key of this.known.keys()) if (!live.has(key)) this.known.delete(key);

    const ptys = new Map<string, PtyTimes | null>();
    const stat = (tty: string | null) => {
      if (tty !== null && !ptys.has(tty)) ptys.set(tty, statPty(tty));
    };
    for (const c of candidates) {
      if (c.fds.kind === 'ok' && c.fds.ptyIndex !== null) stat(`pts/${c.fds.ptyIndex}`);
      for (const k of c.children) stat(k.pts);
    }
    return {
      host: this.opts.host,
      candidates,
      utmp: this.utmp(),
      ptys,
      // The boot as the wall clock says now: a start time read with it is right to the kernel's 10 ms, and
      // stays right when the wall clock is set (a session's age never depends on it).
      takenAt: this.opts.now(),
      bootMs: this.opts.now() - uptimeMs(),
      ticksPerSecond: CLOCK_TICKS_PER_SECOND,
    };
  }

  /** The next snapshot lists /proc, not only the pids created since the last (a pty appeared or vanished). */
  listNext(): void {
    this.table.listNext();
  }

  /**
   * A walk over the table for the named candidates and the parents of pty leaders, then one for their
   * children (no per-process arrays for the other thousands). Kept while the table does not change:
   * two walks over 10,000 entries were most of a quiet pass.
   */
  private async walk(table: ReadonlyMap<number, ProcStat>, slicer: Slicer): Promise<Walk> {
    const version = this.table.version();
    if (this.lastWalk?.version === version) return this.lastWalk;
    let n = 0;
    const byName: ProcStat[] = [];
    const leaderParents = new Set<number>();
    const led = new Set<string>();
    for (const p of table.values()) {
      if (++n % 500 === 0) await slicer.pause();
      if (p.comm === MOSH) byName.push(p);
      const pts = p.session === p.pid ? p.pts : null;
      if (pts !== null && this.opts.nameOnly !== true) {
        led.add(pts);
        if (p.ppid > 1) leaderParents.add(p.ppid);
      }
    }
    const named = new Set(byName.map((p) => p.pid));
    const byBehaviour: ProcStat[] = [];
    for (const pid of leaderParents) {
      const p = named.has(pid) ? undefined : table.get(pid);
      if (p !== undefined) byBehaviour.push(p);
    }
    const wanted = new Set([...named, ...leaderParents]);
    const children = new Map<number, ProcStat[]>();
    for (const p of table.values()) {
      if (++n % 500 === 0) await slicer.pause();
      if (!wanted.has(p.ppid)) continue;
      const siblings = children.get(p.ppid);
      if (siblings) siblings.push(p);
      else children.set(p.ppid, [p]);
    }
    // The table may have changed while the walk paused (a pass never overlaps another, but be sure).
    this.lastWalk = { version: version === this.table.version() ? version : -1, byName, byBehaviour, led, children };
    return this.lastWalk;
  }

  /** Every pty that some process led at the last snapshot (for the pty-creation follow-up in discover.ts). */
  ledPtys(): ReadonlySet<string> {
    return this.led;
  }

  /**
   * A candidate's children, fresh where it matters: a child that still has its parent's name (the
   * forkpty child before it execs the shell) is read again while its parent may still be "waiting"
   * (assemble.ts), as its exec makes the session "attached". Not later: that name then changes nothing,
   * and 2,000 look-alikes whose child keeps the name cost 2,000 more reads a pass (bench/RESULTS.md, "Floods").
   */
  private childrenOf(p: ProcStat, children: Map<number, ProcStat[]>, sinceBootMs: number): ProcFacts[] {
    const out: ProcFacts[] = [];
    const mayWait = mayBeWaiting(sinceBootMs, p.startTicks, CLOCK_TICKS_PER_SECOND);
    for (const k of children.get(p.pid) ?? []) {
      const fresh = mayWait && k.comm === p.comm ? this.table.refresh(k.pid) : k;
      if (fresh && fresh.ppid === p.pid) out.push(fresh);
    }
    return out;
  }

  private facts(key: string, p: ProcStat, now: number): Known {
    const known = this.known.get(key);
    if (known && (known.recheckAt === null || now < known.recheckAt)) return known;
    const fds = readFdFacts(p.pid);
    if (fds.kind === 'gone') return { fds, status: null, recheckAt: now, backoffMs: 0 }; // not kept: it is gone
    const settled = fds.kind === 'ok' && fds.ptmxFd !== null;
    const backoffMs = known ? Math.min(known.backoffMs * 2, RECHECK_MAX_MS) : RECHECK_FIRST_MS;
    const next: Known = { fds, status: readStatus(p.pid), recheckAt: settled ? null : now + backoffMs, backoffMs };
    this.known.set(key, next);
    return next;
  }

  private utmp(): Map<number, UtmpFacts> | null {
    const records = readUtmp(this.opts.utmpPath);
    if (records === null) return null;
    const out = new Map<number, UtmpFacts>();
    for (const [pid, r] of records) out.set(pid, { mosh: parseMoshHost(r.host), time: r.time });
    return out;
  }
}
