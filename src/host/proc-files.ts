// Host boundary: what one process has open and carries — its fds (the pty master, sockets), fdinfo,
// environment, executable, status and UDP ports. Reading another user's needs CAP_SYS_PTRACE and
// CAP_DAC_READ_SEARCH (docs/architecture.md, "Privileges").
import fs from 'node:fs';
import { readSmall } from './proc.js';

export type FdScan = { ok: true; ptmxFd: number | null; socketInodes: number[] } | { ok: false; code: string };

/** Which fd holds the pty master, and the socket inodes (for the UDP port). Needs CAP_SYS_PTRACE for others. */
export function scanFds(pid: number): FdScan {
  let names: string[];
  try {
    names = fs.readdirSync(`/proc/${pid}/fd`);
  } catch (e) {
    return { ok: false, code: (e as NodeJS.ErrnoException).code ?? 'EIO' };
  }
  let ptmxFd: number | null = null;
  const socketInodes: number[] = [];
  for (const name of names) {
    let target: string;
    try {
      target = fs.readlinkSync(`/proc/${pid}/fd/${name}`);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
      if (code === 'ENOENT') continue; // the fd closed between readdir and readlink
      return { ok: false, code };
    }
    if (target === '/dev/ptmx' || target === '/dev/pts/ptmx') ptmxFd = Number(name);
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) socketInodes.push(Number(m[1]));
  }
  return { ok: true, ptmxFd, socketInodes };
}

/** `tty-index:` from the pty master's fdinfo (not printed by every kernel: the dev VM's 6.18 omits it). */
export function ptyIndexFromFdinfo(pid: number, fd: number): number | null {
  const text = readSmall(`/proc/${pid}/fdinfo/${fd}`);
  const m = text === null ? null : /^tty-index:\s*(\d+)$/m.exec(text);
  return m ? Number(m[1]) : null;
}

export interface ProcStatus {
  uid: number;
  gid: number;
  groups: number[];
}

/** Real uid, primary gid and supplementary groups from /proc/PID/status: no NSS needed. */
export function readStatus(pid: number): ProcStatus | null {
  const text = readSmall(`/proc/${pid}/status`);
  if (text === null) return null;
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1] ?? null;
  const uid = field('Uid');
  const gid = field('Gid');
  if (uid === null || gid === null) return null;
  const groups = (field('Groups') ?? '').split(/\s+/).filter(Boolean).map(Number);
  return { uid: Number(uid.split(/\s+/)[0]), gid: Number(gid.split(/\s+/)[0]), groups };
}

/** One variable of /proc/PID/environ (needs ptrace-read rights); null if absent or unreadable. */
export function readEnvVar(pid: number, name: string): string | null {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(`/proc/${pid}/environ`);
  } catch {
    return null;
  }
  const prefix = `${name}=`;
  for (const entry of buf.toString('utf8').split('\0')) if (entry.startsWith(prefix)) return entry.slice(prefix.length);
  return null;
}

/** The executable a process runs (/proc/PID/exe; needs ptrace rights for other users), or null. */
export function readExe(pid: number): string | null {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return null;
  }
}

/** Local UDP port of a socket inode, from /proc/PID/net/udp{,6} (the process's own network namespace). */
export function udpPortOf(pid: number, inodes: readonly number[]): number | null {
  if (inodes.length === 0) return null;
  const wanted = new Set(inodes);
  for (const file of ['udp', 'udp6']) {
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${pid}/net/${file}`, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (cols.length > 9 && wanted.has(Number(cols[9]))) return parseInt(cols[1]!.split(':')[1]!, 16);
    }
  }
  return null;
}
