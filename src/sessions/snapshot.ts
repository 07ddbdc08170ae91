// Reads what sessions/assemble.ts needs from the host, through src/host/: the process table, the open
// files of every process called mosh-server, utmp and the ptys. What never changes for one
// (pid, start time) — its open files at first sight, its ssh origin — is read once.
import {
  bootTimeMs,
  CLOCK_TICKS_PER_SECOND,
  ProcessTable,
  ptsFromTtyNr,
  ptyIndexFromFdinfo,
  readEnvVar,
  readStatus,
  scanFds,
  udpPortOf,
  type ProcStat,
} from '../host/proc.js';
import { statPty } from '../host/pty.js';
import { parseMoshHost, readUtmp } from '../host/utmp.js';
import { MOSH } from './assemble.js';
import type { CandidateFacts, FdFacts, ProcFacts, PtyFacts, Snapshot, UtmpFacts } from './snapshot-types.js';

export function facts(p: ProcStat): ProcFacts {
  return { ...p, pts: ptsFromTtyNr(p.ttyNr) };
}

export class Snapshotter {
  private readonly table = new ProcessTable();
  private readonly fdFacts = new Map<string, FdFacts>();
  private readonly bootMs = bootTimeMs();

  constructor(private readonly utmpPath?: string) {}

  take(full: boolean): Snapshot {
    const table = this.table.scan(full);
    // Names change on exec, so re-read every process that is or was called mosh-server, and its children.
    const named: ProcStat[] = [];
    for (const p of [...table.values()]) {
      if (p.comm !== MOSH) continue;
      const fresh = this.table.refresh(p.pid);
      if (fresh && fresh.comm === MOSH) named.push(fresh);
    }
    const namedPids = new Set(named.map((c) => c.pid));
    const children = new Map<number, ProcFacts[]>();
    for (const p of [...table.values()]) {
      if (!namedPids.has(p.ppid)) continue;
      const fresh = this.table.refresh(p.pid);
      if (fresh && fresh.ppid === p.ppid) children.set(p.ppid, [...(children.get(p.ppid) ?? []), facts(fresh)]);
    }

    const live = new Set<string>();
    const candidates: CandidateFacts[] = named.map((p) => {
      const key = `${p.pid}:${p.startTicks}`;
      live.add(key);
      return {
        proc: facts(p),
        children: children.get(p.pid) ?? [],
        fds: this.fdsOf(key, p),
        status: readStatus(p.pid),
      };
    });
    for (const key of this.fdFacts.keys()) if (!live.has(key)) this.fdFacts.delete(key);

    const ptys = new Map<string, PtyFacts | null>();
    for (const c of candidates) {
      const names = [c.fds.kind === 'ok' && c.fds.ptyIndex !== null ? `pts/${c.fds.ptyIndex}` : null];
      for (const k of c.children) names.push(k.pts);
      for (const tty of names) if (tty !== null && !ptys.has(tty)) ptys.set(tty, statPty(tty));
    }
    return { candidates, utmp: this.utmp(), ptys, bootMs: this.bootMs, ticksPerSecond: CLOCK_TICKS_PER_SECOND };
  }

  private fdsOf(key: string, p: ProcStat): FdFacts {
    const known = this.fdFacts.get(key);
    if (known) return known;
    const fds = scanFds(p.pid);
    let read: FdFacts;
    if (!fds.ok) {
      if (fds.code === 'ENOENT' || fds.code === 'ESRCH') return { kind: 'gone' }; // not cached: it is gone
      read = { kind: 'unreadable', code: fds.code, from: sshOrigin(p.pid) };
    } else {
      read = {
        kind: 'ok',
        ptmxFd: fds.ptmxFd,
        ptyIndex: fds.ptmxFd === null ? null : ptyIndexFromFdinfo(p.pid, fds.ptmxFd),
        port: fds.ptmxFd === null ? null : udpPortOf(p.pid, fds.socketInodes),
        from: fds.ptmxFd === null ? null : sshOrigin(p.pid),
      };
    }
    // Not cached without a pty master: the daemonized mosh-server is seen between its fork and its
    // forkpty now and then, and must be looked at again once it holds the master.
    if (read.kind !== 'ok' || read.ptmxFd !== null) this.fdFacts.set(key, read);
    return read;
  }

  private utmp(): Map<number, UtmpFacts> | null {
    const records = readUtmp(this.utmpPath);
    if (records === null) return null;
    const out = new Map<number, UtmpFacts>();
    for (const [pid, r] of records) out.set(pid, { mosh: parseMoshHost(r.host), time: r.time });
    return out;
  }
}

/** The ssh client's address the session was started from: the first word of SSH_CONNECTION. */
function sshOrigin(pid: number): string | null {
  return readEnvVar(pid, 'SSH_CONNECTION')?.split(' ')[0] ?? null;
}
