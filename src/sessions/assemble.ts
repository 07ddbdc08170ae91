// snapshot → sessions: which processes are mosh sessions, their pty, owner and attach state. Pure: the
// rules below were each learnt the hard way (docs/architecture.md, "Who is a mosh session").
import { sessionIdText } from '../fleet/session-id.js';
import type { Session, SessionState } from '../core/types.js';
import type { CandidateFacts, ProcFacts, Snapshot, UtmpFacts } from './snapshot-types.js';

/**
 * A session before its uid and gids are given names (NSS is asynchronous and may fail): `user` and
 * `groups` are null until discover.ts fills them in, in place (a pass over 2,000 sessions copies none).
 */
export type UnnamedSession = Session & { gids: number[] };

export interface ScanProblem {
  /** What could not be read, e.g. `fd` (list /proc/PID/fd), `utmp`. */
  what: string;
  code: string;
}

export interface Assembled {
  sessions: UnnamedSession[];
  /** Sessions found whose pty is not known yet (just forked): worth a quick rescan. */
  pending: number;
  problems: ScanProblem[];
}

/** The name mosh-server keeps, also in the forkpty child until it execs the shell. */
export const MOSH = 'mosh-server';

/**
 * The forkpty child: the one child that leads a pty of its own (its controlling tty is a pty slave
 * other than the parent's). The launcher's child and the utempter fork have no pty of their own.
 */
export function ptyLeader(c: Pick<CandidateFacts, 'proc' | 'children'>): ProcFacts | undefined {
  return c.children.find((k) => k.pts !== null && k.ttyNr !== c.proc.ttyNr);
}

export function assemble(snap: Snapshot): Assembled {
  const problems: ScanProblem[] = [];
  if (snap.utmp === null) problems.push({ what: 'utmp', code: 'ENOENT' });

  // First: which candidates hold the pty master (or lead a pty child): the session processes.
  const found: { c: CandidateFacts; leader: ProcFacts | undefined }[] = [];
  let pending = 0;
  for (const c of snap.candidates) {
    if (c.proc.state === 'Z') continue; // already dead; its pid may be reaped and reused any moment
    const leader = ptyLeader(c);
    if (c.fds.kind === 'gone') continue;
    // Found by what it does rather than its name: it must do all of it, or it is tmux, screen, sshd or
    // `script` (pty masters without a UDP socket) — or anything else that is not a mosh server.
    if (c.via === 'behaviour' && (c.fds.kind !== 'ok' || c.fds.ptmxFd === null || c.fds.port === null || !leader)) {
      continue;
    }
    if (c.fds.kind === 'unreadable') {
      problems.push({ what: 'fd', code: c.fds.code });
      // Without ptrace rights the pty master is invisible; a mosh-server whose child leads a pty of its
      // own is the session all the same (the pre-exec child has no children; the launcher's child has no pty).
      if (!leader) continue;
    } else if (c.fds.ptmxFd === null) {
      continue; // the pre-exec child or the launcher: not the session
    } else if (c.children.length === 0 && snap.takenAt - startedAt(snap, c.proc) < YOUNG_MS) {
      // The master, but no child at all, and just started: the forkpty child before it closes the master
      // it inherited (or the utempter fork). A server has its child from the moment forkpty returns, so
      // this is no session (yet): look again soon. The parent rule below does not cover it once its
      // server is gone: the soak saw a server revoked the moment it appeared and, 4 ms later, its orphaned
      // child (same tick, ppid 1) taken for a new session and SIGTERMed (bench/RELIABILITY.md, seed
      // 134846043). Only while young: a server that has outlived its child (a shell that left a
      // background job holding the pty) is still a session.
      pending++;
      continue;
    }
    found.push({ c, leader });
  }

  // A child of a session that is itself named mosh-server and holds /dev/ptmx is never a session of its
  // own: it is the fork that runs libutempter's helper on attach/detach (the helper needs the master),
  // named mosh-server until it execs. Measured: a scan woken by the utmp change saw it as a new
  // "waiting" session, gone 5 ms later. (The launcher is a parent, but not a session: its child counts.)
  const sessionPids = new Set(found.map((f) => f.c.proc.pid));
  const sessions: UnnamedSession[] = [];
  for (const { c, leader } of found) {
    if (sessionPids.has(c.proc.ppid)) continue;
    if (c.status === null) continue; // vanished
    const index = c.fds.kind === 'ok' ? c.fds.ptyIndex : null;
    const tty = index !== null ? `pts/${index}` : (leader?.pts ?? null);
    if (tty === null) pending++;
    const { state, client, since } = attachState(
      snap.utmp?.get(c.proc.pid),
      leader,
      c.proc.comm,
      mayBeWaiting(snap.takenAt - snap.bootMs, c.proc.startTicks, snap.ticksPerSecond),
    );
    const times = tty === null ? null : (snap.ptys.get(tty) ?? null);
    sessions.push({
      id: sessionIdText({ host: snap.host, pid: c.proc.pid, startTicks: c.proc.startTicks }),
      pid: c.proc.pid,
      comm: c.proc.comm,
      exe: c.fds.kind === 'ok' ? c.fds.exe : null,
      startTicks: c.proc.startTicks,
      uid: c.status.uid,
      user: null,
      groups: null,
      gids: [c.status.gid, ...c.status.groups],
      tty,
      startedAt: startedAt(snap, c.proc),
      from: c.fds.kind === 'gone' ? null : c.fds.from,
      client,
      clients: client === null ? [] : [client],
      state,
      stateSince: since,
      port: c.fds.kind === 'ok' ? c.fds.port : null,
      pty: times,
      lastInputAt: times ? times.atimeMs : null,
      lastOutputAt: times ? times.mtimeMs : null,
    });
  }
  return { sessions, pending, problems };
}

/** A process without a child this young may be a forkpty child that has not let go of the master yet. */
const YOUNG_MS = 2_000;

function startedAt(snap: Snapshot, p: ProcFacts): number {
  return snap.bootMs + (p.startTicks * 1000) / snap.ticksPerSecond;
}

/**
 * mosh-server gives up waiting for its first client 60 s after it starts (../shared/DESIGN.md, and
 * docs/architecture.md "Attach state"); with a margin for a slow exit, an older server is not waiting.
 */
const WAITING_MAX_MS = 75_000;

/** Whether a server started at `startTicks` is young enough to be waiting, `sinceBootMs` after boot. */
export function mayBeWaiting(sinceBootMs: number, startTicks: number, ticksPerSecond: number): boolean {
  return sinceBootMs - (startTicks * 1000) / ticksPerSecond < WAITING_MAX_MS;
}

function attachState(
  record: UtmpFacts | undefined,
  leader: ProcFacts | undefined,
  serverComm: string,
  young: boolean,
): { state: SessionState; client: string | null; since: number | null } {
  // Until the first client packet the forkpty child has not exec'd the shell yet (and just after the
  // fork it may not exist at all): utmp already says "mosh [PID]" then, which must not read as detached.
  // Only that child counts: another child with the server's name is the short-lived utempter fork.
  // Only while the server is young: the leader's name is its owner's to choose (a shell can rename itself
  // `mosh-server`), and a server that outlived its shell has no leader; either must not read "waiting"
  // for good, which the detached limit does not apply to.
  if ((leader === undefined || leader.comm === serverComm) && young) {
    return { state: 'waiting', client: null, since: record?.time ?? null };
  }
  if (!record || !record.mosh) return { state: 'unknown', client: null, since: null };
  return record.mosh.attached
    ? { state: 'attached', client: record.mosh.client, since: record.time }
    : { state: 'detached', client: null, since: record.time };
}
