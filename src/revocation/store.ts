// The revocations in force, kept in step with the file. Fail closed: a file that cannot be read or is
// unsafe never lifts a revocation — the last good list stays until a good file replaces it.
//
// File watches coalesce events that come close together (chokidar: docs/architecture.md; inotify folds an unread
// event into an identical one), so every event means "re-read now, and once more shortly"; every scan
// also compares the file's identity.
import type { Revocation } from '../core/types.js';
import type { Logger } from '../log/events.js';
import { targetText } from './parse.js';
import {
  readRevocationFile,
  sameIdentity,
  statIdentity,
  type FileIdentity,
  type ReadResult,
} from '../host/revocation-file.js';

export type SourceName = NonNullable<Revocation['source']>;

/** Bad lines logged one by one per read; the rest are counted in one line. */
export const MAX_LOGGED_ERRORS = 20;

export interface RevocationStoreDeps {
  log: Logger;
  /** Told after the list in force changed (entries added, removed or edited). */
  onChange(): void;
  /** `file` (default) or `fleet`: on every log line and every entry. */
  source?: SourceName;
  /** How the file is read and checked; default: the revocation file's rule, owned by root. */
  read?(path: string): ReadResult;
}

export class RevocationStore {
  private entries: readonly Revocation[] = [];
  private identity: FileIdentity | null = null;
  /** The last problem logged, so a lasting one (an unsafe mode) is logged once, not every scan. */
  private lastProblem: string | null = null;
  private loaded = false;

  constructor(
    private path: string,
    private readonly deps: RevocationStoreDeps,
  ) {}

  current(): readonly Revocation[] {
    return this.entries;
  }

  /** Points at another file (config reload). Its list replaces the old one only once it reads well. */
  setPath(path: string): void {
    if (path === this.path) return;
    this.path = path;
    this.identity = null;
    this.lastProblem = null;
    this.refresh(true);
  }

  getPath(): string {
    return this.path;
  }

  /** Re-reads the file if it changed since the last good read (or always, with force). */
  refresh(force = false): void {
    const now = statIdentity(this.path);
    if (!force && now !== null && sameIdentity(now, this.identity)) return;
    if (!force && now === null && this.lastProblem !== null) return; // still missing: already said so
    const res = (this.deps.read ?? readRevocationFile)(this.path);
    if (!res.ok) {
      if (res.missing && !this.loaded) {
        this.problem('missing', `${this.path} does not exist: no revocations in force`, 'info');
        this.loaded = true;
        return;
      }
      const kept = `keeping the last good list (${this.entries.length} entr${this.entries.length === 1 ? 'y' : 'ies'})`;
      this.problem(res.message, `${res.message}; ${kept}`, 'error');
      return;
    }
    this.identity = res.identity;
    this.lastProblem = null;
    this.loaded = true;
    const { errors, pendingBytes } = res.parsed;
    const entries = res.parsed.entries.map((e) => ({ ...e, source: this.source() }));
    // One log line each for the first bad lines only: a file of thousands of them must not flood the log
    // and block the loop on every re-read (bench/RESULTS.md, "Revocation file"); revocation.load counts all.
    for (const e of errors.slice(0, MAX_LOGGED_ERRORS))
      this.deps.log.warn(
        { event: 'revocation.error', source: this.source(), path: this.path, line: e.line, message: e.message },
        'bad revocation line skipped',
      );
    if (errors.length > MAX_LOGGED_ERRORS) {
      const message = `${errors.length - MAX_LOGGED_ERRORS} more bad lines skipped, not logged one by one`;
      this.deps.log.warn(
        { event: 'revocation.error', source: this.source(), path: this.path, line: null, message },
        message,
      );
    }
    const changed = !sameEntries(this.entries, entries);
    this.entries = Object.freeze(entries);
    this.deps.log.info(
      {
        event: 'revocation.load',
        source: this.source(),
        path: this.path,
        entries: entries.length,
        errors: errors.length,
        pending_bytes: pendingBytes,
      },
      'revocations loaded',
    );
    if (changed) this.deps.onChange();
  }

  private source(): SourceName {
    return this.deps.source ?? 'file';
  }

  private problem(key: string, message: string, level: 'info' | 'error'): void {
    if (this.lastProblem === key) return;
    this.lastProblem = key;
    this.identity = null; // whatever comes next must be read
    this.deps.log[level](
      {
        event: level === 'error' ? 'revocation.error' : 'revocation.load',
        source: this.source(),
        path: this.path,
        line: null,
        message,
        entries: this.entries.length,
        errors: 0,
      },
      message,
    );
  }
}

function key(r: Revocation): string {
  return `${targetText(r.target)}|${r.until}|${r.reason}`;
}

function sameEntries(a: readonly Revocation[], b: readonly Revocation[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((r, i) => key(r) === key(b[i]!) && r.line === b[i]!.line);
}
