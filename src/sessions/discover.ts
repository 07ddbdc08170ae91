// host → sessions: every live mosh session as plain data.
//
// A mosh session is the `mosh-server` process that holds the pty master. Its forked child (the session
// leader on the pty slave) carries the same name until the first client connects, then execs the shell;
// de-duplicate by keeping only the process with /dev/ptmx open (DESIGN.md).
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
import type { NameLookup } from '../host/nss.js';
import { parseMoshHost, readUtmp, type UtmpRecord } from '../host/utmp.js';
import type { Session, SessionState } from '../core/types.js';

export interface ScanProblem {
  /** What could not be read, e.g. `fd` (list /proc/PID/fd), `utmp`. */
  what: string;
  code: string;
}

export interface ScanResult {
  sessions: Session[];
  /** Sessions found whose pty is not known yet (just forked): worth a quick rescan. */
  pending: number;
  problems: ScanProblem[];
}

/** What never changes for one (pid, start time): read once. */
interface Fixed {
  from: string | null;
  port: number | null;
  ptmxFd: number | null;
  /** Once known, a session's pty never changes. */
  tty: string | null;
}

export interface DiscoverOptions {
  nss: NameLookup;
  utmpPath?: string;
}

const MOSH = 'mosh-server';

export class Discovery {
  private readonly table = new ProcessTable();
  private readonly fixed = new Map<string, Fixed>();
  private readonly boot = bootTimeMs();

  constructor(private readonly opts: DiscoverOptions) {}

  async scan(full: boolean): Promise<ScanResult> {
    const problems: ScanProblem[] = [];
    const table = this.table.scan(full);

    // Names change on exec, so re-read every process that is or was called mosh-server, and its children.
    const candidates: ProcStat[] = [];
    for (const p of [...table.values()]) {
      if (p.comm !== MOSH) continue;
      const fresh = this.table.refresh(p.pid);
      if (fresh && fresh.comm === MOSH && fresh.state !== 'Z') candidates.push(fresh);
    }
    const candidatePids = new Set(candidates.map((c) => c.pid));
    const children = new Map<number, ProcStat[]>();
    for (const p of table.values()) {
      if (!candidatePids.has(p.ppid)) continue;
      const fresh = this.table.refresh(p.pid);
      if (fresh && fresh.ppid === p.ppid) children.set(p.ppid, [...(children.get(p.ppid) ?? []), fresh]);
    }

    const utmp = readUtmp(this.opts.utmpPath);
    if (utmp === null) problems.push({ what: 'utmp', code: 'ENOENT' });

    // First: which candidates hold the pty master (or lead a pty child): the session processes.
    const found: { proc: ProcStat; key: string; leader: ProcStat | undefined; fixed: Fixed }[] = [];
    for (const proc of candidates) {
      const key = `${proc.pid}:${proc.startTicks}`;
      const kids = children.get(proc.pid) ?? [];
      // The forkpty child: the one child that is session leader on a pty slave.
      const leader = kids.find((k) => ptsFromTtyNr(k.ttyNr) !== null && k.ttyNr !== proc.ttyNr);

      let fixed = this.fixed.get(key);
      if (!fixed) {
        const fds = scanFds(proc.pid);
        if (!fds.ok) {
          if (fds.code === 'ENOENT' || fds.code === 'ESRCH') continue; // gone mid-scan
          problems.push({ what: 'fd', code: fds.code });
          // Without ptrace rights the pty master is invisible; a mosh-server whose child leads a pty of its
          // own is the session all the same (the pre-exec child has no children; the launcher's child has no pty).
          if (!leader) continue;
          fixed = { from: sshOrigin(proc.pid), port: null, ptmxFd: null, tty: null };
        } else {
          if (fds.ptmxFd === null) continue; // the pre-exec child or the launcher: not the session
          fixed = {
            from: sshOrigin(proc.pid),
            port: udpPortOf(proc.pid, fds.socketInodes),
            ptmxFd: fds.ptmxFd,
            tty: null,
          };
        }
        this.fixed.set(key, fixed);
      }
      found.push({ proc, key, leader, fixed });
    }

    // A child of a session that is itself named mosh-server and holds /dev/ptmx is never a session of its
    // own: it is the fork that runs libutempter's helper on attach/detach (the helper needs the master),
    // named mosh-server until it execs. Measured: a scan woken by the utmp change saw it as a new
    // "waiting" session, gone 5 ms later. (The launcher is a parent, but not a session: its child counts.)
    const sessionPids = new Set(found.map((f) => f.proc.pid));
    const sessions: Session[] = [];
    let pending = 0;
    const live = new Set<string>();
    for (const { proc, key, leader, fixed } of found) {
      if (sessionPids.has(proc.ppid)) continue;
      live.add(key);

      if (fixed.tty === null) fixed.tty = this.resolveTty(proc, fixed, leader);
      const tty = fixed.tty;
      if (tty === null) pending++;

      const status = readStatus(proc.pid);
      if (!status) continue; // vanished
      const record = utmp?.get(proc.pid);
      const { state, client, since } = attachState(record, leader);
      const times = tty === null ? null : statPty(tty);
      const [user, groups] = await Promise.all([
        this.userName(status.uid),
        this.groupNames([status.gid, ...status.groups]),
      ]);

      sessions.push({
        pid: proc.pid,
        startTicks: proc.startTicks,
        uid: status.uid,
        user,
        groups,
        tty,
        startedAt: this.boot + (proc.startTicks * 1000) / CLOCK_TICKS_PER_SECOND,
        from: fixed.from,
        client,
        state,
        stateSince: since,
        port: fixed.port,
        lastInputAt: times ? times.atimeMs : null,
        lastOutputAt: times ? times.mtimeMs : null,
      });
    }
    for (const key of this.fixed.keys()) if (!live.has(key)) this.fixed.delete(key);
    return { sessions, pending, problems };
  }

  /** The pty master's fdinfo names the pty where the kernel prints tty-index; else the forkpty child's tty. */
  private resolveTty(proc: ProcStat, fixed: Fixed, leader: ProcStat | undefined): string | null {
    const index = fixed.ptmxFd === null ? null : ptyIndexFromFdinfo(proc.pid, fixed.ptmxFd);
    if (index !== null) return `pts/${index}`;
    return leader ? ptsFromTtyNr(leader.ttyNr) : null;
  }

  private async userName(uid: number): Promise<string | null> {
    const name = await this.opts.nss.userName(uid);
    return typeof name === 'string' ? name : null;
  }

  /** All names, or null if any group could not be resolved (a rule on it could then not be decided). */
  private async groupNames(gids: number[]): Promise<string[] | null> {
    const names = await Promise.all([...new Set(gids)].map((g) => this.opts.nss.groupName(g)));
    if (names.some((n) => n === null)) return null;
    return names.filter((n): n is string => typeof n === 'string');
  }
}

/** The ssh client's address the session was started from: the first word of SSH_CONNECTION. */
function sshOrigin(pid: number): string | null {
  return readEnvVar(pid, 'SSH_CONNECTION')?.split(' ')[0] ?? null;
}

function attachState(
  record: UtmpRecord | undefined,
  leader: ProcStat | undefined,
): { state: SessionState; client: string | null; since: number | null } {
  // Until the first client packet the forkpty child has not exec'd the shell yet (and just after the
  // fork it may not exist at all): utmp already says "mosh [PID]" then, which must not read as detached.
  // Only that child counts: another child named mosh-server is the short-lived utempter fork.
  if (leader === undefined || leader.comm === MOSH)
    return { state: 'waiting', client: null, since: record?.time ?? null };
  const host = record ? parseMoshHost(record.host) : null;
  if (!record || !host) return { state: 'unknown', client: null, since: null };
  return host.attached
    ? { state: 'attached', client: host.client, since: record.time }
    : { state: 'detached', client: null, since: record.time };
}
