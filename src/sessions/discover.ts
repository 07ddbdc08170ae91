// host → sessions: every live mosh session as plain data. A snapshot of the host (snapshot.ts), the
// rules that turn it into sessions (assemble.ts, pure), then names for uids and gids through NSS.
import type { Session } from '../core/types.js';
import type { NameLookup } from '../host/nss.js';
import { assemble, type ScanProblem, type UnnamedSession } from './assemble.js';
import { Snapshotter } from './snapshot.js';

export type { ScanProblem };

export interface ScanResult {
  sessions: Session[];
  /** Sessions found whose pty is not known yet (just forked): worth a quick rescan. */
  pending: number;
  problems: ScanProblem[];
}

export interface DiscoverOptions {
  nss: NameLookup;
  utmpPath?: string;
}

export class Discovery {
  private readonly snapshots: Snapshotter;

  constructor(private readonly opts: DiscoverOptions) {
    this.snapshots = new Snapshotter(opts.utmpPath);
  }

  async scan(full: boolean): Promise<ScanResult> {
    const { sessions, pending, problems } = assemble(this.snapshots.take(full));
    return { sessions: await Promise.all(sessions.map((s) => this.named(s))), pending, problems };
  }

  private async named({ gids, ...s }: UnnamedSession): Promise<Session> {
    const [user, groups] = await Promise.all([this.userName(s.uid), this.groupNames(gids)]);
    return { ...s, user, groups };
  }

  private async userName(uid: number): Promise<string | null> {
    const name = await this.opts.nss.userName(uid);
    return typeof name === 'string' ? name : null;
  }

  /** All names, or null if any group could not be resolved (a rule on it could then not be decided). */
  private async groupNames(gids: number[]): Promise<string[] | null> {
    const names = await Promise.all([...new Set(gids)].map((g) => this.opts.nss.groupName(g)));
    if (names.some((n) => n === null)) return null;
    return names.filter((n): n is string => typeof n === 'string');
  }
}
