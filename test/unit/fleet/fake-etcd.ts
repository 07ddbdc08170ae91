// An in-memory stand-in for etcd's semantics that the sync logic depends on: one revision counter,
// history replayed to a watch from its start revision, compaction that makes older history unavailable
// (a watch from there is refused), and partitions (every call fails, every watch is lost). The real
// etcd is in the e2e tests; this one lets the unit tests put a write exactly between two steps.
import type {
  EtcdPort,
  KV,
  LeaseHandle,
  LeaseHandlers,
  WatchEvent,
  WatchHandle,
  WatchHandlers,
} from '../../../src/fleet/port.js';

interface Watch {
  prefix: string;
  h: WatchHandlers;
}

export class FakeEtcd implements EtcdPort {
  readonly endpoint = 'fake://etcd';
  rev = 1;
  compactedAt = 0;
  down = false;
  store = new Map<string, KV>();
  history: WatchEvent[] = [];
  watches = new Set<Watch>();
  /** Runs right after a listing is answered, before the caller can watch: the race the design closes. */
  afterList: (() => void) | null = null;
  lists = 0;

  put(key: string, value: string): void {
    this.rev++;
    this.store.set(key, { key, value, modRevision: this.rev });
    this.emit({ type: 'put', key, value, modRevision: this.rev });
  }

  del(key: string): void {
    if (!this.store.has(key)) return;
    this.rev++;
    this.store.delete(key);
    this.emit({ type: 'delete', key, value: '', modRevision: this.rev });
  }

  compact(): void {
    this.compactedAt = this.rev;
  }

  partition(): void {
    this.down = true;
    for (const w of [...this.watches]) {
      this.watches.delete(w);
      w.h.lost('partition');
    }
  }

  heal(): void {
    this.down = false;
  }

  private emit(ev: WatchEvent): void {
    this.history.push(ev);
    for (const w of this.watches) if (ev.key.startsWith(w.prefix)) w.h.events([ev], this.rev);
  }

  async list(prefix: string) {
    if (this.down) throw new Error('unavailable');
    this.lists++;
    const res = { revision: this.rev, kvs: [...this.store.values()].filter((kv) => kv.key.startsWith(prefix)) };
    const hook = this.afterList;
    this.afterList = null;
    hook?.();
    return res;
  }

  watch(prefix: string, startRevision: number, h: WatchHandlers): WatchHandle {
    const w: Watch = { prefix, h };
    let cancelled = false;
    const ready = (async () => {
      await Promise.resolve();
      if (this.down) throw new Error('unavailable');
      if (startRevision <= this.compactedAt) throw new Error('required revision has been compacted');
      if (cancelled) throw new Error('canceled');
      const replay = this.history.filter((e) => e.modRevision >= startRevision && e.key.startsWith(prefix));
      this.watches.add(w);
      if (replay.length > 0) h.events(replay, this.rev);
    })();
    ready.catch(() => undefined);
    return {
      ready,
      cancel: () => {
        cancelled = true;
        this.watches.delete(w);
      },
    };
  }

  async compacted(_prefix: string, revision: number) {
    if (this.down) throw new Error('unavailable');
    return revision <= this.compactedAt;
  }

  async grantLease(_ttlSeconds: number, _h: LeaseHandlers): Promise<LeaseHandle> {
    if (this.down) throw new Error('unavailable');
    return { id: '1', revoke: async () => undefined, release: () => undefined };
  }

  async apply(
    _ops: { puts: { key: string; value: string }[]; deletes: string[] },
    _lease: string | null,
  ): Promise<number> {
    if (this.down) throw new Error('unavailable');
    return this.rev;
  }

  async putExpiring(key: string, value: string): Promise<number> {
    this.put(key, value);
    return this.rev;
  }

  close(): void {}
}
