// The plain data that flows host → sessions → decide → act.
import type { FleetConfig } from '../fleet/config.js';
import type { Cidr } from './cidr.js';

// Nothing here touches the clock, /proc or signals: times are epoch milliseconds handed in by the caller.

/** Attach state as mosh records it in utmp; `unknown` when utmp is missing or has no record for the session. */
export type SessionState = 'attached' | 'detached' | 'waiting' | 'unknown';

/** Why a session is kept, warned or ended. The names are binding (docs/contract.md, `verdict.reason`). */
export type Reason = 'ok' | 'exempt' | 'idle' | 'revoked' | 'max_age' | 'detached' | 'schedule' | 'manual';

/** The limits that can end a session on their own clock; each may carry a warning. */
export type TimedReason = 'idle' | 'max_age' | 'detached';

export type Action = 'keep' | 'warn' | 'terminate';

/**
 * A pty's inode times as read (epoch ms). `whole`: the nanoseconds are zero, as in every update the
 * kernel makes itself; a time set with utimes (touch) usually is not. See core/pty-trust.ts.
 */
export interface PtyTimes {
  atimeMs: number;
  mtimeMs: number;
  /** Changed by chmod (mesg), chown and utimes (touch); never by input or output. */
  ctimeMs: number;
  atimeWhole: boolean;
  mtimeWhole: boolean;
}

/** One live mosh session, as read from the host. */
export interface Session {
  /** `HOST/PID-STARTTICKS`: stable for the session's life, unique across hosts (docs/contract.md). */
  id: string;
  /** The server process that holds the pty master (stock mosh-server, or a renamed copy). */
  pid: number;
  /** Its name (comm): re-checked with the start time before every signal. */
  comm: string;
  /** Its executable (/proc/PID/exe), null if it cannot be read. */
  exe: string | null;
  /** Field 22 of /proc/PID/stat (clock ticks since boot): with pid, the session's identity. */
  startTicks: number;
  uid: number;
  /** Login name from NSS; null when it could not be resolved (then no rule can be matched safely). */
  user: string | null;
  /** Names of the session's groups (primary and supplementary); null when they could not be resolved. */
  groups: string[] | null;
  /** `pts/M`, or null while the pty cannot be resolved yet. */
  tty: string | null;
  startedAt: number;
  /** Ssh origin address at start (SSH_CONNECTION), null if unknown. */
  from: string | null;
  /** Address the client talks from now; null when detached, waiting or unknown. */
  client: string | null;
  /** Every client address seen for this session while the daemon watched it (a `from:` range matches any). */
  clients: string[];
  state: SessionState;
  /** When `state` last changed, per utmp (ut_tv); null if unknown. */
  stateSince: number | null;
  /** UDP port the server listens on, null if unknown. */
  port: number | null;
  /** The pty's times as read, or null if the pty could not be read. */
  pty: PtyTimes | null;
  /**
   * Last keystroke: the pty's atime (8-second granularity), as far as it can be trusted (a time set with
   * utimes is not input: core/pty-trust.ts); null if the pty could not be read.
   */
  lastInputAt: number | null;
  /** Last output: the pty's mtime, trusted likewise, our own warning writes discounted; null if unknown. */
  lastOutputAt: number | null;
}

/** A warning moshwarden has attempted to write to a session's terminal, once per limit period. */
export interface WarningRecord {
  reason: TimedReason;
  /** When the warning was attempted (written, or refused). */
  at: number;
  /** Whether it reached the terminal; `mesg n` refuses it, which changes nothing about the deadline. */
  delivered: boolean;
  /**
   * The activity time the warning was computed from (for idle: the last-activity time). Activity newer
   * than this means the user came back, so the warning no longer applies.
   */
  basis: number;
}

/** What the daemon remembers about a session between scans; plain data handed to `decide`. */
export interface SessionMemory {
  warnings: WarningRecord[];
}

export interface Limits {
  /** null = off. */
  idleTimeoutMs: number | null;
  countOutput: boolean;
  /** null = off: end at the deadline without a warning. */
  warnBeforeMs: number | null;
  graceMs: number;
  maxAgeMs: number | null;
  detachedTimeoutMs: number | null;
  exempt: boolean;
}

export interface Rule {
  /** Position in the config's `rules:` list, from 0; logged so an operator can tell which rule applied. */
  index: number;
  users: readonly string[];
  groups: readonly string[];
  /** Only the keys the rule sets; the rest come from `defaults`. */
  overrides: Partial<Limits>;
}

export type SweepTarget = 'detached' | 'all';

export interface Schedule {
  index: number;
  cron: string;
  timezone: string | null;
  terminate: SweepTarget;
  users: readonly string[];
  groups: readonly string[];
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** The fully-defaulted, frozen policy; produced once by config/schema.ts. */
export interface Policy {
  scanIntervalMs: number;
  dryRun: boolean;
  revocationFile: string;
  defaults: Limits;
  rules: readonly Rule[];
  schedules: readonly Schedule[];
  log: { level: LogLevel; auditFile: string | null };
  metrics: { textfile: string | null };
  /** The `fleet:` section (docs/fleet.md); absent on a host that is not part of a fleet. */
  fleet?: FleetConfig;
}

/** A parsed revocation entry (docs/contract.md, "Revocation file"). */
export type RevocationTarget =
  | { kind: 'user'; name: string }
  | { kind: 'uid'; uid: number }
  | { kind: 'group'; name: string }
  | { kind: 'from'; cidr: Cidr; text: string }
  /** One session, by its id `HOST/PID-STARTTICKS` (docs/fleet.md, "Terminating a session"). */
  | { kind: 'session'; host: string; pid: number; startTicks: number }
  /**
   * Never parsed from a file: the entry strict mode puts in force while the host is out of contact
   * with etcd (docs/fleet.md, "Strict mode"). It covers every session that is not exempt.
   */
  | { kind: 'fleet-strict' };

export interface Revocation {
  target: RevocationTarget;
  /** 1-based line in the revocation file. */
  line: number;
  reason: string | null;
  /** The entry lapses at this time; null = never. */
  until: number | null;
  /** Which list it is in force from (log lines): `file` (revocation_file), `fleet`, or `strict` mode. */
  source?: 'file' | 'fleet' | 'strict';
}

/** A limit that is running for a session: what it counts from, when it is reached, and how long it is. */
export interface RunningLimit {
  reason: TimedReason;
  /** The time the limit is counted from (last activity, start, detach); a newer basis voids a warning. */
  basis: number;
  /** basis + the limit. */
  deadline: number;
  /** The configured length (idle_timeout, max_age or detached_timeout), for the warning text. */
  limitMs: number;
  /** Whether the limit warns first: a detached session has nobody at the terminal to read a warning. */
  warns: boolean;
}

/** What decide says about one session. Every verdict carries its reason; the shapes say what follows. */
export type Verdict = KeepVerdict | WarnedVerdict | WarnVerdict | EndVerdict;

/** Nothing to do; `at` is when to look again (null: never, unless something changes). */
export interface KeepVerdict {
  action: 'keep';
  reason: 'ok' | 'exempt';
  at: number | null;
  /** The rule that set the limits, if any (index into `rules:`). */
  rule: number | null;
}

/** Warned already; the session ends at `at` unless the user comes back (a newer basis). */
export interface WarnedVerdict {
  action: 'keep';
  reason: TimedReason;
  at: number;
  rule: number | null;
  limit: RunningLimit;
  limits: Limits;
  warning: WarningRecord;
}

/** Write the warning now; the session then ends at `at`. */
export interface WarnVerdict {
  action: 'warn';
  reason: TimedReason;
  at: number;
  rule: number | null;
  limit: RunningLimit;
  limits: Limits;
}

/** End the session now. `limits` gives the grace period (and count_output, for idle_seconds). */
export type EndVerdict = { action: 'terminate'; at: number; rule: number | null; limits: Limits } & (
  | { reason: TimedReason; limit: RunningLimit; warning: WarningRecord | null }
  | { reason: 'revoked'; revocation: Revocation }
  | { reason: 'schedule' | 'manual' }
);
