// The revocation file as a revocation source: the store (store.ts) kept in step with the file by a
// watch on its directory, plus an identity check on every pass (a lost or coalesced watch event costs
// at most one pass, never a revocation).
import type { Revocation } from '../core/types.js';
import type { Logger } from '../log/events.js';
import type { RevocationSource } from './sources.js';
import type { ReadResult } from '../host/revocation-file.js';
import { RevocationStore, type SourceName } from './store.js';

/** A watch on one file (host/watch.ts FileWatch): `ensure` re-arms it, `close` ends it. */
export interface Watch {
  ensure(): void;
  close(): void;
}

export interface FileSourceDeps {
  log: Logger;
  /** Told after the list in force changed. */
  onChange(): void;
  watch(path: string, onEvent: () => void, onError: (e: unknown) => void): Watch;
  setTimer(fn: () => void, ms: number): { cancel(): void };
  /** `file` (default) or `fleet` (the fleet revocation file, read under its own trust rule: `read`). */
  source?: SourceName;
  read?(path: string): ReadResult;
}

/** inotify folds an unread event into an identical one; a second look shortly after catches a write
 * that landed while we were reading. */
const FOLLOW_UP_MS = 100;

export class FileSource implements RevocationSource {
  readonly name: SourceName;
  private readonly store: RevocationStore;
  private watch: Watch;

  constructor(
    path: string,
    private readonly deps: FileSourceDeps,
  ) {
    this.name = deps.source ?? 'file';
    this.store = new RevocationStore(path, {
      log: deps.log,
      onChange: deps.onChange,
      source: this.name,
      ...(deps.read ? { read: deps.read } : {}),
    });
    this.store.refresh(true);
    this.watch = this.watchFile(path);
  }

  current(): readonly Revocation[] {
    return this.store.current();
  }

  path(): string {
    return this.store.getPath();
  }

  /** Another file (config reload): its list replaces the old one only once it reads well. */
  setPath(path: string): void {
    if (path === this.store.getPath()) return;
    this.store.setPath(path);
    this.watch.close();
    this.watch = this.watchFile(path);
  }

  refresh(): void {
    this.watch.ensure();
    this.store.refresh();
  }

  close(): void {
    this.watch.close();
  }

  private watchFile(path: string): Watch {
    return this.deps.watch(
      path,
      () => {
        this.store.refresh();
        this.deps.setTimer(() => this.store.refresh(), FOLLOW_UP_MS);
      },
      (e) =>
        this.deps.log.warn(
          { event: 'watch.error', source: this.name, path, err: e },
          'revocation file watch failed; the file is still checked every scan',
        ),
    );
  }
}
