// What a candidate's open files say (through host/proc.ts): the pty master, a UDP socket, the ssh
// origin in its environment, its executable. Read once per process and kept (snapshot.ts).
import { ptyIndexFromFdinfo, readEnvVar, readExe, scanFds, udpPortOf } from '../host/proc-files.js';
import type { FdFacts } from './snapshot-types.js';

export function readFdFacts(pid: number): FdFacts {
  const fds = scanFds(pid);
  if (!fds.ok) {
    if (fds.code === 'ENOENT' || fds.code === 'ESRCH') return { kind: 'gone' };
    return { kind: 'unreadable', code: fds.code, from: sshOrigin(pid) };
  }
  if (fds.ptmxFd === null) return { kind: 'ok', ptmxFd: null, ptyIndex: null, port: null, from: null, exe: null };
  return {
    kind: 'ok',
    ptmxFd: fds.ptmxFd,
    ptyIndex: ptyIndexFromFdinfo(pid, fds.ptmxFd),
    port: udpPortOf(pid, fds.socketInodes),
    from: sshOrigin(pid),
    exe: readExe(pid),
  };
}

/** The ssh client's address the session was started from: the first word of SSH_CONNECTION. */
function sshOrigin(pid: number): string | null {
  return readEnvVar(pid, 'SSH_CONNECTION')?.split(' ')[0] ?? null;
}
