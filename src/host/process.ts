// Host boundary: this process and its place on the machine — signals it receives and sends, its
// priority, its environment, exit.
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

/** Asks for `wanted` niceness (needs root or CAP_SYS_NICE); returns the niceness it runs at. */
export function raisePriority(wanted: number): number {
  try {
    if (os.getPriority() > wanted) os.setPriority(wanted);
  } catch {
    // not permitted: run at the priority we were given
  }
  return os.getPriority();
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
