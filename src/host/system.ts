// The one boundary between moshwarden and the machine: clock, timers, signals, pty writes, watchers.
// Everything above this file receives these as parameters, so tests can hand in their own.
import { watch, type FSWatcher } from 'chokidar';
import { isSameProcess } from './proc.js';
import { writeToPty } from './pty.js';
import type { Target } from '../act/terminate.js';

export const system = {
  now: (): number => Date.now(),
  sleep: (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)),
  setTimer(fn: () => void, ms: number): { cancel(): void } {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
  kill: (pid: number, signal: 'SIGTERM' | 'SIGKILL'): void => {
    process.kill(pid, signal);
  },
  /** Only mosh-server processes are ever signalled. */
  isSame: (t: Target): boolean => isSameProcess(t.pid, t.startTicks, 'mosh-server'),
  write: writeToPty,
};

/**
 * Calls `onNew` when a pty appears in /dev/pts (inotify CREATE): a new mosh session is noticed at once,
 * not at the next scan.
 */
export function watchPtys(onNew: () => void, onError: (e: unknown) => void): FSWatcher {
  const watcher = watch('/dev/pts', { depth: 0, ignoreInitial: true, persistent: true });
  watcher.on('add', onNew);
  watcher.on('error', onError);
  return watcher;
}

/**
 * Calls `onEvent` on any change to `path` (written, replaced by rename, deleted, created). chokidar
 * coalesces close events, so the caller treats each as "re-read now and once more shortly".
 */
export function watchFile(path: string, onEvent: () => void, onError: (e: unknown) => void): FSWatcher {
  const watcher = watch(path, { ignoreInitial: true, persistent: true });
  watcher.on('all', onEvent);
  watcher.on('error', onError);
  return watcher;
}
