// Host boundary: what the daemon loop and the `terminate` command act through — the clock, timers,
// signals with the identity check before each one, and pty writes (daemon/loop.ts, LoopHost).
import type { Target } from '../act/terminate.js';
import { clock } from './clock.js';
import { kill } from './process.js';
import { isSameProcess, uptimeMs } from './proc.js';
import { statPty, writeToPty } from './pty.js';

export const system = {
  ...clock,
  /** Boot time counting suspend, 10 ms steps: jumps of the wall clock are seen against it. */
  sinceBoot: uptimeMs,
  kill,
  /** Only the process decided about: same pid, start time and name, not a zombie. */
  isSame: (t: Target): boolean => isSameProcess(t.pid, t.startTicks, t.comm),
  write: writeToPty,
  readPty: statPty,
};
