// What the fleet logic needs from etcd, as plain data: the one seam between the engine (sync.ts,
// publish.ts, the admin commands) and the network. etcd.ts implements it with the etcd3 client; the
// unit tests hand in their own. Pure: no node: imports.

export interface KV {
  key: string;
  value: string;
  modRevision: number;
}

export interface ListResult {
  /** The store's revision the listing reflects. */
  revision: number;
  kvs: KV[];
}

export interface WatchEvent {
  type: 'put' | 'delete';
  key: string;
  value: string;
  modRevision: number;
}

export interface WatchHandlers {
  /** Changes, in order; `revision` is the response header's revision. */
  events(events: WatchEvent[], revision: number): void;
  /** The watch is over (stream lost, canceled by etcd, compacted): called at most once, never after cancel(). */
  lost(message: string): void;
}

export interface WatchHandle {
  /** Resolves once etcd has created the watch; rejects if it is lost before. */
  ready: Promise<void>;
  cancel(): void;
}

export interface LeaseHandlers {
  /** The lease is gone (expired while cut off, revoked): its keys are gone with it. */
  lost(message: string): void;
  /** A keepalive was answered. */
  alive(): void;
}

export interface LeaseHandle {
  id: string;
  /** Deletes the lease and so every key on it. */
  revoke(): Promise<void>;
  /** Stops keeping it alive; it expires after its TTL. */
  release(): void;
}

export interface EtcdPort {
  /** Human-readable list of the endpoints, for logs and status. */
  readonly endpoint: string;
  list(prefix: string): Promise<ListResult>;
  watch(prefix: string, startRevision: number, handlers: WatchHandlers): WatchHandle;
  /** Whether history at `revision` has been compacted away (a watch from it cannot replay). */
  compacted(prefix: string, revision: number): Promise<boolean>;
  grantLease(ttlSeconds: number, handlers: LeaseHandlers): Promise<LeaseHandle>;
  /** Puts (on `leaseId`, when given) and deletes in one transaction; all or nothing. */
  apply(ops: { puts: { key: string; value: string }[]; deletes: string[] }, leaseId: string | null): Promise<number>;
  /** One put, on a lease of its own that lives `ttlSeconds` and is never kept alive (null: no lease). */
  putExpiring(key: string, value: string, ttlSeconds: number | null): Promise<number>;
  close(): void;
}

/** The most operations one transaction carries (etcd's --max-txn-ops defaults to 128). */
export const MAX_TXN_OPS = 100;
