// Host boundary: what the daemon loop and the `terminate` command act through — the clock, timers,
// signals with the identity check before each one, and pty writes (daemon/loop.ts, LoopHost).
import type { Target } from '../act/terminate.js';
import { clock } from './clock.js';
import { kill } from './process.js';
import { isSameProcess } from './proc.js';
import { writeToPty } from './pty.js';

export const system = {
  ...clock,
  kill,
  /** Only mosh-server processes are ever signalled. */
  isSame: (t: Target): boolean => isSameProcess(t.pid, t.startTicks, 'mosh-server'),
  write: writeToPty,
};
