// host → sessions: every live mosh session as plain data. A snapshot of the host (snapshot.ts), the
// rules that turn it into sessions (assemble.ts, pure), then names for uids and gids through NSS.
import type { Session } from '../core/types.js';
import type { NameLookup, NameResult } from '../host/nss.js';
import { assemble, type ScanProblem, type UnnamedSession } from './assemble.js';
import { Snapshotter, type SnapshotOptions } from './snapshot.js';

export type { ScanProblem };

export interface ScanResult {
  sessions: Session[];
  /** Sessions whose pty is not known yet, and new ptys nobody leads yet: worth a quick rescan. */
  pending: number;
  problems: ScanProblem[];
}

export interface DiscoverOptions extends SnapshotOptions {
  nss: NameLookup;
}

/**
 * A pty that appeared (inotify on /dev/pts) is looked for this long: a server may open it a moment
 * before it forks the child that leads it, and until then nothing says whose it is.
 */
const NEW_PTY_MS = 2_000;

export class Discovery {
  private readonly snapshots: Snapshotter;
  private readonly newPtys = new Map<string, number>();
  private readonly groupLists = new Map<string, string[] | null>();

  constructor(private readonly opts: DiscoverOptions) {
    this.snapshots = new Snapshotter(opts);
  }

  /** The host name in session ids (`fleet.host`, else the host name: docs/fleet.md). */
  setHost(host: string): void {
    this.snapshots.setHost(host);
  }

  /**
   * A pty appeared: the next scan lists /proc, and the scans look for its leader until one is found, or
   * for NEW_PTY_MS.
   */
  notePty(tty: string): void {
    this.snapshots.listNext();
    if (!this.newPtys.has(tty)) this.newPtys.set(tty, this.opts.monotonic());
  }

  /** A pty went away: the next scan lists /proc (its processes may have exited; a cheap scan sees no exits). */
  notePtyGone(): void {
    this.snapshots.listNext();
  }

  async scan(full: boolean): Promise<ScanResult> {
    if (full) this.groupLists.clear();
    const { sessions, pending, problems } = assemble(await this.snapshots.take(full));
    const now = this.opts.monotonic();
    const led = this.snapshots.ledPtys();
    for (const [tty, at] of this.newPtys) if (led.has(tty) || now - at > NEW_PTY_MS) this.newPtys.delete(tty);
    return {
      sessions: await Promise.all(sessions.map((s) => this.named(s))),
      pending: pending + this.newPtys.size,
      problems,
    };
  }

  private named(s: UnnamedSession): Session | Promise<Session> {
    const user = this.opts.nss.knownUser?.(s.uid);
    const groups = user === undefined ? undefined : this.knownGroups(s.gids);
    if (user !== undefined && groups !== undefined) {
      s.user = typeof user === 'string' ? user : null;
      s.groups = groups;
      return s;
    }
    return Promise.all([this.userName(s.uid), this.groupNames(s.gids)]).then(([u, g]) => {
      s.user = u;
      s.groups = g;
      return s;
    });
  }

  /**
   * The names of these gids if NSS has them all cached, else undefined. Kept per set of gids between
   * passes (2,000 sessions of one user share one list), and dropped at every full read.
   */
  private knownGroups(gids: number[]): string[] | null | undefined {
    const key = gids.join(',');
    const hit = this.groupLists.get(key);
    if (hit !== undefined) return hit;
    const names = gids.map((g) => this.opts.nss.knownGroup?.(g));
    if (names.some((n) => n === undefined)) return undefined;
    const list = groupList(names as NameResult[]);
    this.groupLists.set(key, list);
    return list;
  }

  private async userName(uid: number): Promise<string | null> {
    const name = await this.opts.nss.userName(uid);
    return typeof name === 'string' ? name : null;
  }

  /** All names, or null if any group could not be resolved (a rule on it could then not be decided). */
  private async groupNames(gids: number[]): Promise<string[] | null> {
    return groupList(await Promise.all([...new Set(gids)].map((g) => this.opts.nss.groupName(g))));
  }
}

/** The names of the groups that exist, or null if any could not be resolved. */
function groupList(names: NameResult[]): string[] | null {
  if (names.some((n) => n === null)) return null;
  return [...new Set(names.filter((n): n is string => typeof n === 'string'))];
}
