// The etcd3 client behind the fleet's port (src/fleet/port.ts): the network boundary of the fleet service
// and the admin commands. What is tuned here and why (measured: docs/fleet.md, "Reconnecting"):
// - gRPC reconnect backoff 200 ms → 2 s (the defaults took 10.9 s to catch up after a 3 s partition);
// - no retry or circuit breaker inside the client: the engine's own loop retries (list, then watch from
//   revision + 1), and a breaker that stays open 5 s after three failures would only delay it;
// - a deadline on every unary call, so a list sent into a silent partition fails instead of hanging;
// - gRPC keepalive pings, so a connection that silently stopped carrying packets is noticed;
// - watches are never resumed by the client: a lost watch is reported (lost()) and cancelled, and the
//   engine lists again (a resume from a compacted revision drops the watcher and replays nothing).
import { ConstantBackoff, ExponentialBackoff, handleWhen, noop, retry, type IBackoff } from 'cockatiel';
import { Etcd3, isRecoverableError, type IKeyValue, type IOptions, type IWatchResponse } from 'etcd3';
import type {
  EtcdPort,
  KV,
  LeaseHandle,
  LeaseHandlers,
  ListResult,
  WatchHandle,
  WatchHandlers,
} from '../fleet/port.js';

export interface EtcdOptions {
  endpoints: readonly string[];
  ca: Buffer | null;
  cert: Buffer | null;
  key: Buffer | null;
  /** Deadline of every unary call (list, put, txn, lease grant). */
  callTimeoutMs?: number;
  /**
   * Give this client connections of its own instead of sharing grpc-js's process-wide pool: only the
   * benchmark needs it, to simulate many hosts (each with its own connection) in one process.
   */
  ownConnections?: boolean;
}

const text = (b: Buffer | undefined) => (b ? b.toString('utf8') : '');
const kv = (k: IKeyValue): KV => ({ key: text(k.key), value: text(k.value), modRevision: Number(k.mod_revision) });

export function connectEtcd(o: EtcdOptions): EtcdPort {
  const callTimeoutMs = o.callTimeoutMs ?? 5_000;
  const options: IOptions = {
    hosts: [...o.endpoints],
    dialTimeout: callTimeoutMs,
    grpcOptions: {
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.min_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2_000,
      // etcd refuses pings more often than every 5 s (--grpc-keepalive-min-time): 6 s, 3 s to answer.
      'grpc.keepalive_time_ms': 6_000,
      'grpc.keepalive_timeout_ms': 3_000,
      ...(o.ownConnections ? { 'grpc.use_local_subchannel_pool': 1 } : {}),
    },
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    faultHandling: {
      host: () => noop,
      // With several endpoints, a failed call goes to the next one at once; with one, it fails.
      global: retry(handleWhen(isRecoverableError), {
        maxAttempts: Math.max(0, o.endpoints.length - 1),
        backoff: new ConstantBackoff(0),
      }),
      // etcd3 types this as a backoff but uses it as cockatiel's factory (its own default is one).
      watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2_000 }) as unknown as IBackoff<unknown>,
    },
  };
  if (o.ca || o.cert || o.key) {
    options.credentials = {
      rootCertificate: o.ca ?? Buffer.alloc(0),
      ...(o.key ? { privateKey: o.key } : {}),
      ...(o.cert ? { certChain: o.cert } : {}),
    };
  }
  const client = new Etcd3(options);

  return {
    endpoint: o.endpoints.join(','),

    async list(prefix: string): Promise<ListResult> {
      const res = await client.getAll().prefix(prefix).exec();
      return { revision: Number(res.header.revision), kvs: res.kvs.map(kv) };
    },

    watch(prefix: string, startRevision: number, h: WatchHandlers): WatchHandle {
      const watcher = client.watch().prefix(prefix).startRevision(String(startRevision)).watcher();
      let done = false;
      let created = false;
      let settle: { resolve(): void; reject(e: Error): void } | null = null;
      const ready = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
      ready.catch(() => undefined); // a caller that stopped waiting must not see an unhandled rejection
      const finish = (message: string) => {
        if (done) return;
        done = true;
        void watcher.cancel().catch(() => undefined);
        if (!created) settle!.reject(new Error(message));
        else h.lost(message);
      };
      watcher.on('connected', () => {
        if (done) return;
        created = true;
        settle!.resolve();
      });
      watcher.on('data', (res: IWatchResponse) => {
        if (done) return;
        h.events(
          res.events.map((e) => ({ type: e.type === 'Delete' ? 'delete' : 'put', ...kv(e.kv) })),
          Number(res.header.revision),
        );
      });
      watcher.on('disconnected', (e: Error) => finish(`watch stream lost: ${e.message}`));
      watcher.on('error', (e: Error) => finish(`watch canceled by etcd: ${e.message}`));
      watcher.on('end', () => finish('watch ended'));
      return {
        ready,
        cancel() {
          if (done) return;
          done = true;
          if (!created) settle!.reject(new Error('canceled'));
          void watcher.cancel().catch(() => undefined);
        },
      };
    },

    async compacted(prefix: string, revision: number): Promise<boolean> {
      try {
        await client.getAll().prefix(prefix).revision(revision).limit(1).exec();
        return false;
      } catch (e) {
        if (/compacted/.test(String((e as Error).message))) return true;
        throw e;
      }
    },

    async grantLease(ttlSeconds: number, h: LeaseHandlers): Promise<LeaseHandle> {
      const lease = client.lease(ttlSeconds);
      lease.on('keepaliveSucceeded', () => h.alive());
      const id = await lease.grant();
      lease.on('lost', (e: Error) => h.lost(e.message));
      return {
        id,
        revoke: () => lease.revoke(),
        release: () => lease.release(),
      };
    },

    async apply(ops, leaseId): Promise<number> {
      const res = await client.kv.txn({
        compare: [],
        success: [
          ...ops.puts.map((p) => ({
            request_put: {
              key: Buffer.from(p.key),
              value: Buffer.from(p.value),
              ...(leaseId !== null ? { lease: leaseId } : {}),
            },
          })),
          ...ops.deletes.map((k) => ({ request_delete_range: { key: Buffer.from(k) } })),
        ],
        failure: [],
      });
      return Number(res.header.revision);
    },

    async putExpiring(key: string, value: string, ttlSeconds: number | null): Promise<number> {
      if (ttlSeconds === null) return Number((await client.put(key).value(value).exec()).header.revision);
      const lease = client.lease(ttlSeconds, { autoKeepAlive: false });
      try {
        return Number((await lease.put(key).value(value).exec()).header.revision);
      } finally {
        lease.release();
      }
    },

    close: () => client.close(),
  };
}
