// Host boundary: this process and its place on the machine — signals it receives and sends, its
// priority, its environment, exit.
import fs from 'node:fs';
import os from 'node:os';

export type StopSignal = 'SIGHUP' | 'SIGTERM' | 'SIGINT';

/** process.kill: throws an errno error (ESRCH, EPERM) on failure. */
export function kill(pid: number, signal: 'SIGTERM' | 'SIGKILL'): void {
  process.kill(pid, signal);
}

/** Installs handlers for SIGHUP, SIGTERM and SIGINT (replacing bin/moshwarden.js's early SIGHUP guard). */
export function onSignals(handler: (signal: StopSignal) => void): void {
  process.removeAllListeners('SIGHUP');
  for (const sig of ['SIGHUP', 'SIGTERM', 'SIGINT'] as const) process.on(sig, () => handler(sig));
}

/**
 * Asks for `wanted` niceness (needs root or CAP_SYS_NICE) for every thread of this process; returns the
 * niceness it runs at. On Linux niceness is per thread: V8's garbage-collector helpers, started before
 * this call, kept niceness 0, and a scavenge waits for its helpers, so under a load of 200 exiting
 * servers 1 MiB scavenges held the loop 40-122 ms (docs/architecture.md, "Speed"). Threads started
 * later inherit the main thread's. systemd's `Nice=` sets it before exec, for every thread.
 */
export function raisePriority(wanted: number): number {
  for (const tid of threadIds()) {
    try {
      if (os.getPriority(tid) > wanted) os.setPriority(tid, wanted);
    } catch {
      // not permitted: run at the priority we were given
    }
  }
  return os.getPriority();
}

/** This process's threads (/proc/self/task), the main thread first. */
function threadIds(): number[] {
  try {
    const others = fs
      .readdirSync('/proc/self/task')
      .map(Number)
      .filter((t) => t !== process.pid);
    return [process.pid, ...others];
  } catch {
    return [process.pid];
  }
}

export const self = {
  pid: process.pid,
  uid: (): number | null => process.getuid?.() ?? null,
  env: (name: string): string | undefined => process.env[name],
  hostname: (): string => os.hostname(),
  nodeVersion: process.versions.node,
  /** Exits now with `code` (a backstop when something still holds the event loop). */
  exit: (code: number): never => process.exit(code),
};
