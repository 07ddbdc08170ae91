// The fleet revocation list in force on this host, and the etcd revision it reflects. It changes in two
// ways only: a full listing of `revoked/` replaces it (at start, after every reconnect or lost watch),
// and watch events after that listing's revision update it. An event at or below the revision already
// reflected is a replay and changes nothing. Pure: no node: imports.
import { decodeRevocation, type FleetEntry } from './entries.js';
import { keyTail } from './keys.js';
import type { KV, WatchEvent } from './port.js';

export interface Change {
  added: string[];
  removed: string[];
  /** Keys whose value changed (reason, until). */
  updated: string[];
  /** Keys newly skipped (bad value) with why; logged by the caller. */
  skipped: { key: string; message: string }[];
}

export const noChange = (c: Change) => c.added.length + c.removed.length + c.updated.length === 0;

export class RevocationList {
  private entries = new Map<string, FleetEntry>();
  private bad = new Map<string, string>();
  private rev = 0;

  constructor(private readonly revokedPrefix: string) {}

  revision(): number {
    return this.rev;
  }

  current(): FleetEntry[] {
    return [...this.entries.values()];
  }

  skippedCount(): number {
    return this.bad.size;
  }

  /** The list persisted by a previous run (the file), before any contact with etcd. */
  load(entries: readonly FleetEntry[], revision: number): void {
    this.entries = new Map(entries.map((e) => [e.key, e]));
    this.rev = revision;
  }

  /** A full listing at `revision`: replaces everything (what was lifted meanwhile goes, too). */
  replace(kvs: readonly KV[], revision: number): Change {
    const next = new Map<string, FleetEntry>();
    const bad = new Map<string, string>();
    for (const kv of kvs) {
      const d = this.decode(kv.key, kv.value, kv.modRevision);
      if (d === null) continue;
      if (d.ok) next.set(kv.key, d.entry);
      else bad.set(kv.key, d.message);
    }
    const change = diff(this.entries, next);
    change.skipped = [...bad].filter(([k, m]) => this.bad.get(k) !== m).map(([key, message]) => ({ key, message }));
    this.entries = next;
    this.bad = bad;
    this.rev = revision;
    return change;
  }

  /** Watch events, in order. */
  apply(events: readonly WatchEvent[], revision: number): Change {
    const next = new Map(this.entries);
    const skipped: Change['skipped'] = [];
    for (const ev of events) {
      if (ev.modRevision <= this.rev) continue; // already in the listing this watch started after
      next.delete(ev.key);
      this.bad.delete(ev.key);
      if (ev.type === 'delete') continue;
      const d = this.decode(ev.key, ev.value, ev.modRevision);
      if (d === null) continue;
      if (d.ok) next.set(ev.key, d.entry);
      else {
        this.bad.set(ev.key, d.message);
        skipped.push({ key: ev.key, message: d.message });
      }
    }
    const change = diff(this.entries, next);
    change.skipped = skipped;
    this.entries = next;
    this.rev = Math.max(this.rev, revision);
    return change;
  }

  private decode(key: string, value: string, modRevision: number) {
    const tail = keyTail(key, this.revokedPrefix);
    return tail === null ? null : decodeRevocation(key, tail, value, modRevision);
  }
}

function diff(before: ReadonlyMap<string, FleetEntry>, after: ReadonlyMap<string, FleetEntry>): Change {
  const c: Change = { added: [], removed: [], updated: [], skipped: [] };
  for (const [k, e] of after) {
    const old = before.get(k);
    if (!old) c.added.push(k);
    else if (old.reason !== e.reason || old.until !== e.until) c.updated.push(k);
  }
  for (const k of before.keys()) if (!after.has(k)) c.removed.push(k);
  return c;
}
