// Which pids a cheap scan of the process table reads (host/process-table.ts). Pure: the numbers come
// from /proc/loadavg and /proc/sys/kernel/pid_max, read by the caller.
//
// The kernel hands out pids cyclically (alloc_pid → idr_alloc_cyclic): every process created since we
// last looked has a pid after the newest we saw then, up to the newest now, wrapping at pid_max. So when
// a few processes were created, reading /proc/PID/stat for just those pids finds them all, and listing
// all of /proc (≈ 1.6 µs an entry, 16 ms of CPU at 10,000 processes, most of the daemon's steady cost on
// a host where something starts a process every few seconds: docs/architecture.md, "Speed") is not
// needed. A probe does not see exits; the caller lists /proc again on a pty event (sessions come and go
// with their ptys) and once the probes since the last listing add up (stale entries stay bounded).
//
// The span alone can be fooled: a user who forks fast enough wraps the counter all the way round between
// two looks (32,768 pids in a few seconds), and the newest pid then lands near the last one, with their
// long-lived process outside the span. So the machine's fork counter (`processes` in /proc/stat) is
// compared with the span: every fork took one pid of the span, and in-use pids are skipped, so without a
// wrap forks ≤ span; more forks than the span means the counter went round (or forks came from outside
// our pid namespace, when the daemon runs in a container): then /proc is listed. Root writing
// /proc/sys/kernel/ns_last_pid (or clone3 with set_tid) in our namespace moves the counter by hand: a
// jump forward is a long span, a jump back looks like a wrap with a long span; both are listed.

export type ReadPlan =
  | { kind: 'none'; why: 'no new process' }
  | {
      kind: 'list';
      why: 'full' | 'asked' | 'first' | 'unknown' | 'long span' | 'more forks than pids' | 'probed enough';
    }
  | { kind: 'probe'; from: number; to: number; wrapAt: number | null; count: number };

export interface PlanInput {
  full: boolean;
  /** A listing was asked for (a pty appeared or vanished). */
  mustList: boolean;
  /** The newest pid when we last looked (listing or probe), or null before the first look. */
  last: number | null;
  /** The newest pid now (last field of /proc/loadavg), or null if unreadable. */
  newest: number | null;
  /** Processes created on the machine since the last look (/proc/stat), or null if unknown. */
  forks: number | null;
  /** pid_max (pids are below it), or null if unreadable; only needed when the counter wrapped. */
  pidMax: number | null;
  /** Entries in the table now. */
  tableSize: number;
  /** Pids probed since the last listing. */
  probedSinceList: number;
}

/** A span up to this long is always probed (≈ 15 µs a pid: less than one listing at ~10 processes). */
export const PROBE_MIN = 64;

/** The longest span probed: a tenth of the table (probing a pid costs ≈ 10 listed entries). */
export function probeLimit(tableSize: number): number {
  return Math.max(PROBE_MIN, Math.floor(tableSize / 10));
}

/** Probes since the last listing after which the next look lists (bounds the entries of exited processes). */
export function listAfter(tableSize: number): number {
  return Math.max(1_000, Math.floor(tableSize / 2));
}

export function planRead(i: PlanInput): ReadPlan {
  if (i.full) return { kind: 'list', why: 'full' };
  if (i.last === null) return { kind: 'list', why: 'first' };
  if (i.mustList) return { kind: 'list', why: 'asked' };
  if (i.newest === null || i.forks === null) return { kind: 'list', why: 'unknown' };
  if (i.forks === 0) return { kind: 'none', why: 'no new process' };
  let count: number;
  let wrapAt: number | null = null;
  if (i.newest === i.last) return { kind: 'list', why: 'more forks than pids' }; // a full cycle
  if (i.newest > i.last) count = i.newest - i.last;
  else {
    // Wrapped (or moved back): (last, pidMax) then [1, newest].
    if (i.pidMax === null || i.pidMax <= i.last) return { kind: 'list', why: 'unknown' };
    wrapAt = i.pidMax;
    count = i.pidMax - 1 - i.last + i.newest;
  }
  if (count > probeLimit(i.tableSize)) return { kind: 'list', why: 'long span' };
  if (i.forks > count) return { kind: 'list', why: 'more forks than pids' };
  if (i.probedSinceList + count > listAfter(i.tableSize)) return { kind: 'list', why: 'probed enough' };
  return { kind: 'probe', from: i.last + 1, to: i.newest, wrapAt, count };
}

/** The pids of a probe plan, in allocation order. */
export function* probedPids(p: { from: number; to: number; wrapAt: number | null }): Generator<number> {
  if (p.wrapAt === null) {
    for (let pid = p.from; pid <= p.to; pid++) yield pid;
    return;
  }
  for (let pid = p.from; pid < p.wrapAt; pid++) yield pid;
  for (let pid = 1; pid <= p.to; pid++) yield pid;
}
