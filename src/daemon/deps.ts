// What the daemon loop (loop.ts) is given: the host it acts through, the scan, the log, the revocations.
import type { EndDeps } from '../act/end.js';
import type { PtyTimes, Revocation, Session } from '../core/types.js';
import type { Logger } from '../log/events.js';
import type { ScanResult } from '../sessions/discover.js';
import type { RunnerHost } from './runner.js';

/** What the loop needs from the host: the clock, timers, signals and pty writes (host/system.ts). */
export interface LoopHost extends Omit<EndDeps, 'log' | 'dryRun' | 'defer'>, RunnerHost {
  /**
   * Milliseconds since boot, counting suspend (/proc/uptime): what a jump of the wall clock is measured
   * against. Not the monotonic clock, which stops during a suspend: an hour asleep is an hour of idleness.
   */
  sinceBoot(): number;
  /** The pty's times now (host/pty.ts statPty). */
  readPty(tty: string): PtyTimes | null;
  /** Waits while a batch of SIGTERMs still has turns to go (host/clock.ts `settle`): a pass acts after it. */
  settle?(): Promise<void> | void;
  /** Watches event-loop blocks until `stop()`, which returns the longest in ms (host/clock.ts). */
  watchBlocks?(): { stop(): number };
}

export interface DaemonDeps {
  scan(full: boolean): Promise<ScanResult>;
  host: LoopHost;
  log: Logger;
  /** The revocations in force (every source merged: revocation/sources.ts). */
  revocations(): readonly Revocation[];
  /** A warning was refused (EACCES): `mesg n`, or a daemon that can write no pty (service/problems.ts). */
  onWarnRefused?(): void;
  /** Told after each pass: the sessions as the daemon now sees them, and how long the scan took (metrics). */
  onPass?(sessions: readonly Session[], scanMs: number, now: number): void;
  /** Told after a session was forgotten (it ended); between passes too. */
  onEnded?(now: number): void;
  /** How often a pass reads all of /proc (default: daemon/runner.ts FULL_SCAN_EVERY_MS). */
  fullScanEveryMs?: number;
}

export function sessionKey(s: Pick<Session, 'pid' | 'startTicks'>): string {
  return `${s.pid}:${s.startTicks}`;
}
