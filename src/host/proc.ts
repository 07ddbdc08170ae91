// Reading /proc: the pids in it, one process's stat line, the pid counter, uptime (the table built from
// them is host/process-table.ts).
// Plain synchronous reads into one reused buffer: they are the cheapest syscalls Node offers here
// (measured: open+read+close ≈ 15 µs a process on the dev VM, readdir of /proc ≈ 1.4 µs a process).
import fs from 'node:fs';
import { statUnchanged } from './stat-compare.js';

export interface ProcStat {
  pid: number;
  comm: string;
  /** One-letter state: R, S, D, Z (zombie), T (stopped), ... */
  state: string;
  ppid: number;
  /** Session id (field 6): equal to pid for a session leader, like the shell a pty was made for. */
  session: number;
  /** Controlling tty as the kernel encodes it (0 = none). */
  ttyNr: number;
  /** `pts/M` when tty_nr is a Unix98 pty slave, else null (decoded once, when the stat is read). */
  pts: string | null;
  /** Clock ticks after boot; with pid, a process's identity. */
  startTicks: number;
}

/** USER_HZ: fixed at 100 in the kernel ABI for every architecture Debian ships; Node has no sysconf. */
export const CLOCK_TICKS_PER_SECOND = 100;

const statBuffer = Buffer.allocUnsafe(4096);

export function readSmall(path: string): string | null {
  const n = readIntoBuffer(path);
  return n === null ? null : statBuffer.toString('latin1', 0, n);
}

/** Reads a small file into statBuffer; the bytes read, or null. */
function readIntoBuffer(path: string): number | null {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path, 'r');
    return fs.readSync(fd, statBuffer, 0, statBuffer.length, 0);
  } catch {
    return null; // the process vanished, or we may not look: both mean "not this one"
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Parses /proc/PID/stat. comm may contain spaces and parentheses, so split at the LAST ')'. */
export function parseStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return null;
  const pid = Number(text.slice(0, open - 1));
  if (!Number.isInteger(pid)) return null;
  // Field 3 (state) starts at close + 2. Walk the spaces to the fields we need instead of split(' '):
  // this runs for every process on the host, and 50 strings per process is most of a scan's garbage.
  const starts: number[] = [];
  let at = close + 2;
  for (let field = 3; field <= 22; field++) {
    starts.push(at);
    const space = text.indexOf(' ', at);
    if (space === -1) {
      if (field < 22) return null;
      break;
    }
    at = space + 1;
  }
  const fieldAt = (n: number) => {
    const from = starts[n - 3]!;
    const to = text.indexOf(' ', from);
    return text.slice(from, to === -1 ? undefined : to);
  };
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: text[close + 2]!,
    ppid: Number(fieldAt(4)),
    session: Number(fieldAt(6)),
    ttyNr: Number(fieldAt(7)),
    pts: ptsFromTtyNr(Number(fieldAt(7))),
    startTicks: Number(fieldAt(22)),
  };
}

export function readStat(pid: number): ProcStat | null {
  return restat(pid, undefined);
}

/**
 * Reads a process's stat again; `known` itself if nothing a scan looks at changed (no garbage made:
 * host/stat-compare.ts), a new entry if something did, null if it cannot be read (gone).
 */
export function restat(pid: number, known: ProcStat | undefined): ProcStat | null {
  const n = readIntoBuffer(`/proc/${pid}/stat`);
  if (n === null) return null;
  if (known !== undefined && statUnchanged(statBuffer, n, known)) return known;
  return parseStat(statBuffer.toString('latin1', 0, n));
}

/** Numeric entries of /proc. */
export function listPids(): number[] {
  return [...pidsOf(fs.readdirSync('/proc'))];
}

function* pidsOf(names: Iterable<string>): Generator<number> {
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) yield Number(name);
  }
}

/**
 * The names in /proc, read a batch at a time (opendir + getdents), so that a caller may pause between
 * batches: one readdirSync of /proc at 10,000 processes held the event loop 11-20 ms (bench/).
 */
function* procEntries(): Generator<string> {
  const dir = fs.opendirSync('/proc', { bufferSize: LIST_BATCH });
  try {
    for (let e = dir.readSync(); e !== null; e = dir.readSync()) yield e.name;
  } finally {
    dir.closeSync();
  }
}

const LIST_BATCH = 256;

/** The pids in /proc, listed a batch at a time (see procEntries). */
export function procPids(): Generator<number> {
  return pidsOf(procEntries());
}

/**
 * The most recently allocated pid in our pid namespace (last field of /proc/loadavg): with the one seen
 * at the last look, the span of pids created since (host/pid-span.ts).
 */
export function lastPid(): number | null {
  const text = readSmall('/proc/loadavg');
  const m = text === null ? null : /(\d+)\s*$/.exec(text);
  return m ? Number(m[1]) : null;
}

/**
 * Processes (and threads) created since boot, on the whole machine (`processes` in /proc/stat). Each
 * took a pid from our counter too, unless it was made outside our pid namespace (host/pid-span.ts).
 */
export function forksSinceBoot(): number | null {
  let text: string;
  try {
    text = fs.readFileSync('/proc/stat', 'latin1'); // per-CPU and per-IRQ lines: may exceed readSmall's buffer
  } catch {
    return null;
  }
  const m = /\nprocesses (\d+)/.exec(text);
  return m ? Number(m[1]) : null;
}

/**
 * Whether pid is a process (the leader of its thread group) and not another thread of one. /proc/TID of
 * any thread can be read though /proc lists only processes, and a thread's stat looks like a process's:
 * its own name (which its owner sets), its process's tty and session, and that process's parent for
 * ppid. Null if it cannot be read (gone).
 */
export function isProcess(pid: number): boolean | null {
  const text = readSmall(`/proc/${pid}/status`);
  const m = text === null ? null : /^Tgid:\s*(\d+)$/m.exec(text);
  return m ? Number(m[1]) === pid : null;
}

/** pid_max: every pid is below it (read when the pid counter wrapped, as root may change it). */
export function pidMax(): number | null {
  const text = readSmall('/proc/sys/kernel/pid_max');
  const n = text === null ? NaN : Number(text.trim());
  return Number.isInteger(n) && n > 0 ? n : null;
}

/** Says when a long piece of work should let the event loop run (host/clock.ts makes one). */
export interface Slicer {
  pause(): Promise<void> | void;
}

/** Decodes tty_nr into a `pts/M` name when it is a Unix98 pty slave (majors 136-143), else null. */
export function ptsFromTtyNr(ttyNr: number): string | null {
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major < 136 || major > 143) return null;
  return `pts/${(major - 136) * 256 + minor}`;
}

/**
 * Seconds since boot, counting suspend (/proc/uptime, 10 ms steps): the clock start times (field 22 of
 * stat) are counted on. `btime` of /proc/stat is whole seconds, which put every started_at 0.6 s early.
 */
export function uptimeMs(): number {
  const text = readSmall('/proc/uptime');
  const m = text === null ? null : /^(\d+)\.(\d+)/.exec(text);
  if (!m) throw new Error('/proc/uptime cannot be read');
  return Number(m[1]) * 1000 + Number(m[2]!.padEnd(3, '0').slice(0, 3));
}

/**
 * Re-reads a process's identity right before a signal: same pid, same start time, same name, and not a
 * zombie (a zombie is already dead; signalling it is meaningless and its pid may be reaped any moment).
 */
export function isSameProcess(pid: number, startTicks: number, comm: string): boolean {
  const now = readStat(pid);
  return now !== null && now.startTicks === startTicks && now.comm === comm && now.state !== 'Z';
}
