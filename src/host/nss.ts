// Names for uids and gids through NSS (getent), so LDAP/SSSD users resolve like local ones.
// Never os.userInfo(): it describes the current process, not the uid asked about.
import { execFile } from 'node:child_process';

/** A name; `false` when NSS says there is no such id; null when NSS could not tell (timeout, error). */
export type NameResult = string | false | null;

export interface NameLookup {
  userName(uid: number): Promise<NameResult>;
  groupName(gid: number): Promise<NameResult>;
  /** The cached name while it is fresh, else undefined: a pass over 2,000 sessions needs no promises. */
  knownUser?(uid: number): NameResult | undefined;
  knownGroup?(gid: number): NameResult | undefined;
}

interface Entry {
  name: NameResult;
  expires: number;
}

export interface NssOptions {
  /** How long a found name is trusted. */
  ttlMs?: number;
  /** How long a failed lookup is remembered, so a down directory is not asked every scan. */
  negativeTtlMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

function getent(db: 'passwd' | 'group', key: number, timeoutMs: number): Promise<NameResult> {
  return new Promise((resolve) => {
    execFile('getent', [db, String(key)], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout) => {
      // getent exits 2 when the key is not found; a timeout, a signal or a missing getent tell nothing.
      if (err) return resolve(err.code === 2 ? false : null);
      const name = stdout.split(':', 1)[0];
      resolve(name ? name : null);
    });
  });
}

export function createNss(opts: NssOptions = {}): NameLookup {
  const ttl = opts.ttlMs ?? 300_000;
  const negativeTtl = opts.negativeTtlMs ?? 30_000;
  const timeout = opts.timeoutMs ?? 2_000;
  const now = opts.now ?? Date.now;
  const caches = { passwd: new Map<number, Entry>(), group: new Map<number, Entry>() };
  const pending = new Map<string, Promise<NameResult>>();

  const lookup = async (db: 'passwd' | 'group', key: number): Promise<NameResult> => {
    const hit = caches[db].get(key);
    if (hit && hit.expires > now()) return hit.name;
    const id = `${db}:${key}`;
    let p = pending.get(id);
    if (!p) {
      p = getent(db, key, timeout).then((found) => {
        // A directory that stops answering does not make a known uid nameless: keep the last name.
        const name = found === null && hit ? hit.name : found;
        caches[db].set(key, { name, expires: now() + (typeof found === 'string' ? ttl : negativeTtl) });
        pending.delete(id);
        return name;
      });
      pending.set(id, p);
    }
    return p;
  };

  const known = (db: 'passwd' | 'group', key: number): NameResult | undefined => {
    const hit = caches[db].get(key);
    return hit && hit.expires > now() ? hit.name : undefined;
  };
  return {
    userName: (uid) => lookup('passwd', uid),
    groupName: (gid) => lookup('group', gid),
    knownUser: (uid) => known('passwd', uid),
    knownGroup: (gid) => known('group', gid),
  };
}
