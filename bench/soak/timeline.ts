// What the soak did, as the oracle needs it: written by the executor, read by the oracle. Every action
// carries the wall-clock interval [at0, at1] it took (Date.now() before and after), so the oracle can say
// what was certainly and what was possibly in force at any moment. No import from src/.

export interface SessionRecord {
  idx: number;
  user: string;
  uid: number;
  /** Every group of the user (`id -Gn`), primary included. */
  groups: string[];
  origin: string;
  client: boolean;
  pid: number;
  /** Field 22 of /proc/PID/stat. */
  startTime: string;
  /** HOST/PID-STARTTICKS, computed here (contract: the `session:` target). */
  id: string;
  /** The launch: before su started and after the launcher exited (the server then exists). */
  launchedAt: number;
  launchedBy: number;
  /** Pty atime set back to a whole second (ms), as root, with utimes. */
  setbacks: { at0: number; at1: number; atime: number }[];
  /** Keys typed into the attached client (tmux send-keys). */
  typings: { at0: number; at1: number }[];
  /** SIGSTOPped by the soak: it ignores SIGTERM from then on. */
  stoppedAt: number | null;
  /** The soak ended it itself (SIGTERM / client quit / SIGKILL if stopped). */
  endedBySoakAt: number | null;
  /** Liveness as polled: alive at lastAlive, seen gone at goneAt. */
  lastAlive: number;
  goneAt: number | null;
}

export interface RevocationRecord {
  key: string;
  kind: string;
  /** The target as written (bare names stay bare). */
  target: string;
  via: 'cli' | 'append';
  at0: number;
  at1: number;
  /**
   * When the line was written: the soak's own append returned, or (`revoke`) the file's mtime after it,
   * when no other write overlapped (the kernel's coarse clock: a few ms). null: not known exactly.
   */
  writtenAt: number | null;
  /** ms, parsed from the line as written; null: none. */
  until: number | null;
  /** When it was taken out of the file (unrevoke removes every line with an equal target). */
  removed: { at0: number; at1: number; how: 'unrevoke' | 'rename' } | null;
}

export interface ConfigRecord {
  at0: number;
  at1: number;
  idleTimeoutS: number;
  how: 'start' | 'write' | 'rename' | 'sighup';
}

export interface DaemonRecord {
  instance: number;
  pid: number;
  spawnedAt: number;
  /** Time of its daemon.start line (null if it never logged one). */
  upAt: number | null;
  /** When the soak sent SIGTERM (null: never). */
  termAt: number | null;
  exitedAt: number | null;
  code: number | null;
  signal: string | null;
}

export interface LogLine {
  instance: number;
  receivedAt: number;
  e: Record<string, unknown>;
}

export interface LookAlike {
  what: string;
  user: string;
  pid: number;
  startTime: string;
  aliveAtEnd: boolean | null;
}

export interface Timeline {
  start: number;
  end: number;
  warnBeforeS: number;
  graceS: number;
  sessions: SessionRecord[];
  revocations: RevocationRecord[];
  configs: ConfigRecord[];
  daemons: DaemonRecord[];
  lines: LogLine[];
  lookAlikes: LookAlike[];
  sighups: { at0: number; at1: number }[];
}

export function emptyTimeline(start: number, warnBeforeS: number, graceS: number): Timeline {
  return {
    start,
    end: start,
    warnBeforeS,
    graceS,
    sessions: [],
    revocations: [],
    configs: [],
    daemons: [],
    lines: [],
    lookAlikes: [],
    sighups: [],
  };
}
