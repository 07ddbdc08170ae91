// Host boundary: file system watches (inotify through fs.watch). Measured choices in
// docs/architecture.md ("Watching files"): fs.watch on directories, not chokidar.
import fs from 'node:fs';
import nodePath from 'node:path';

/** What happened to a pty in /dev/pts: created or removed, or its attributes changed. */
export type PtyEvent = { kind: 'created' | 'removed'; tty: string | null } | { kind: 'attributes'; tty: string };

/**
 * Reports what happens in /dev/pts (inotify through fs.watch): a pty created or removed (`rename`: a new
 * mosh session is noticed at once, not at the next scan), and a pty's attributes changed (`change`:
 * chmod by `mesg`, chown, utimes of both times or of mtime; utimes of atime alone raises IN_ACCESS,
 * which fs.watch does not ask for). Input and output raise nothing (measured). Not chokidar: it turned a
 * pty number freed and re-used within 100 ms into `change`, and reported `change` for every burst of
 * output (48 events in 2.5 s from one busy pane).
 */
export function watchPtys(onEvent: (e: PtyEvent) => void, onError: (e: unknown) => void): { close(): Promise<void> } {
  const watcher = fs.watch('/dev/pts', { persistent: true }, (event, name) => {
    const tty = name !== null && /^\d+$/.test(name) ? `pts/${name}` : null;
    if (event === 'rename')
      onEvent({ kind: tty !== null && fs.existsSync(`/dev/${tty}`) ? 'created' : 'removed', tty });
    else if (tty !== null) onEvent({ kind: 'attributes', tty });
  });
  watcher.on('error', onError);
  return {
    close: async () => watcher.close(),
  };
}

/**
 * Calls `onEvent` on any change to the file at `path`: appended, truncated, chmod'ed, deleted, created,
 * or replaced by rename. It watches the file's directory (and, for a symlink, the target's directory)
 * with fs.watch, filtered by name: a directory watch survives the file being deleted or renamed over.
 * Measured here: chokidar watching the file itself stopped reporting after a delete, re-create and
 * rename-over in quick succession; the directory watch reported every step within 1 ms.
 * `ensure()` retries a watch that could not be set up (the directory did not exist yet); call it often.
 */
export class FileWatch {
  private watchers: fs.FSWatcher[] = [];
  /** Closed for good (the daemon is stopping): a scan still in flight must not set the watch up again. */
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly onEvent: () => void,
    private readonly onError: (e: unknown) => void,
  ) {
    this.ensure();
  }

  ensure(): void {
    if (this.closed || this.watchers.length > 0) return;
    const targets = new Map<string, string>([[nodePath.dirname(this.path), nodePath.basename(this.path)]]);
    try {
      const real = fs.realpathSync(this.path);
      targets.set(nodePath.dirname(real), nodePath.basename(real));
    } catch {
      // no file yet: its directory is enough
    }
    for (const [dir, name] of targets) {
      try {
        const w = fs.watch(dir, { persistent: true }, (_event, file) => {
          if (file === null || file === name) this.onEvent();
        });
        w.on('error', (e) => {
          this.drop();
          this.onError(e);
        });
        this.watchers.push(w);
      } catch (e) {
        this.drop();
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(e);
        return;
      }
    }
  }

  close(): void {
    this.closed = true;
    this.drop();
  }

  /** Drops the current watches; ensure() sets them up again. */
  private drop(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }
}
