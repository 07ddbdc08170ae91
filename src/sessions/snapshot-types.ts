// The plain data a scan reads from the host, before any rule is applied (sessions/assemble.ts applies
// them). Types only: this file is imported by the pure assembly and by the code that reads /proc.
import type { PtyTimes } from '../core/types.js';

/** One process as /proc/PID/stat shows it, with its controlling tty decoded. */
export interface ProcFacts {
  pid: number;
  ppid: number;
  comm: string;
  /** One-letter state: R, S, D, Z (zombie), T (stopped), ... */
  state: string;
  /** Clock ticks after boot; with pid, a process's identity. */
  startTicks: number;
  /** Session id: equal to pid for a session leader (the process a pty was made for). */
  session: number;
  /** tty_nr as the kernel encodes it (0 = none). */
  ttyNr: number;
  /** `pts/M` when tty_nr is a Unix98 pty slave, else null. */
  pts: string | null;
}

/** What a candidate's open files say; read once per (pid, start time), as none of it changes. */
export type FdFacts =
  | {
      kind: 'ok';
      /** The fd holding /dev/ptmx (the pty master), or null: then not a session process. */
      ptmxFd: number | null;
      /** `tty-index:` of that fd's fdinfo (not printed by every kernel), or null. */
      ptyIndex: number | null;
      /** Local port of a UDP socket it holds, or null. */
      port: number | null;
      /** First word of SSH_CONNECTION in its environment, or null. */
      from: string | null;
      /** Its executable (/proc/PID/exe), or null. */
      exe: string | null;
    }
  /** /proc/PID/fd cannot be listed (no CAP_SYS_PTRACE/CAP_DAC_READ_SEARCH): the pty master is invisible. */
  | { kind: 'unreadable'; code: string; from: string | null }
  /** The process exited while we looked. */
  | { kind: 'gone' };

/** Real uid, primary gid and supplementary groups (/proc/PID/status): no NSS needed. */
export interface StatusFacts {
  uid: number;
  gid: number;
  groups: number[];
}

/** A process that may be a session, with everything the rules look at. */
export interface CandidateFacts {
  /**
   * `name`: it is called mosh-server (the fast path). `behaviour`: whatever its name, it holds a pty
   * master and a UDP socket, and its child leads a pty (a renamed or rebuilt server).
   */
  via: 'name' | 'behaviour';
  proc: ProcFacts;
  children: ProcFacts[];
  fds: FdFacts;
  /** null when it vanished before its status could be read. */
  status: StatusFacts | null;
}

/** What mosh wrote in utmp for a session pid: attached with a client, or not; and when it changed. */
export interface UtmpFacts {
  /** null when the record is not a mosh record. */
  mosh: { attached: true; client: string } | { attached: false } | null;
  time: number;
}

export interface Snapshot {
  /** This host's name, for session ids. */
  host: string;
  candidates: CandidateFacts[];
  /** utmp records by pid, or null when utmp is missing or unreadable. */
  utmp: ReadonlyMap<number, UtmpFacts> | null;
  /** Times of every pty a candidate's fdinfo or children name; null when it could not be stat'ed. */
  ptys: ReadonlyMap<string, PtyTimes | null>;
  /** When the snapshot was taken (wall clock, epoch ms). */
  takenAt: number;
  /** Boot time (epoch ms), to turn start ticks into dates. */
  bootMs: number;
  ticksPerSecond: number;
}
