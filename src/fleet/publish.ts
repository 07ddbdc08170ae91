// Publishes this host and its sessions on the host's lease: `hosts/<host>` and `sessions/<id>` for every
// session in the daemon's sessions file. Only what changed is written (one transaction per change,
// chunked); after a reconnect or a lost lease everything is written again, and keys of a previous run
// that are not live any more are deleted. When this service dies the lease expires (lease_ttl) and the
// host's keys vanish with it (docs/fleet.md, "Sessions").
import { hostKey, hostSessionsPrefix, sessionKey, type KeyLayout } from './keys.js';
import { MAX_TXN_OPS, type EtcdPort, type LeaseHandle } from './port.js';
import type { SessionsSnapshot } from './sessions-file.js';
import type { FleetLog, Timers } from './sync.js';

export type SessionsRead =
  | { kind: 'ok'; snapshot: SessionsSnapshot }
  | { kind: 'missing' }
  | { kind: 'unchanged' }
  | { kind: 'error'; message: string };

export interface PublishDeps {
  port: EtcdPort;
  layout: KeyLayout;
  host: string;
  leaseTtlSeconds: number;
  timers: Timers;
  log: FleetLog;
  /** Reads the sessions file; `unchanged` when it is the one read last time. */
  readSessions(): SessionsRead;
  /** A lease keepalive was answered. */
  onContact(): void;
  onStatus(): void;
  /** Fixed facts about this service for `hosts/<host>`. */
  hostFacts: Record<string, unknown>;
}

export class Publisher {
  sessions = 0;
  lastError: string | null = null;
  private lease: LeaseHandle | null = null;
  private leaseToken: object | null = null;
  /** What etcd holds for us, key → value; null = unknown (write everything). */
  private published: Map<string, string> | null = null;
  private desired = new Map<string, string>();
  private desiredSessions = new Map<string, string>();
  private fileState = 'missing';
  private writtenAt: string | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private retry: { cancel(): void } | null = null;
  private delayMs = 0;
  private stopped = false;

  constructor(private readonly d: PublishDeps) {}

  /** Something may have changed (the sessions file, a reconnect): reconcile soon. */
  kick(): void {
    if (this.stopped) return;
    this.again = true;
    this.running ??= this.loop();
  }

  /** After a reconnect: etcd may have lost writes we believe made; write everything again. */
  resync(): void {
    this.published = null;
    this.kick();
  }

  leaseId(): string | null {
    return this.lease?.id ?? null;
  }

  /** Stops; with `revoke`, deletes the lease so the host leaves the fleet list at once. */
  async stop(revoke: boolean): Promise<void> {
    this.stopped = true;
    this.retry?.cancel();
    await this.running;
    const lease = this.lease;
    this.lease = null;
    if (lease && revoke) await lease.revoke().catch(() => lease.release());
    else lease?.release();
  }

  private async loop(): Promise<void> {
    while (this.again && !this.stopped) {
      this.again = false;
      try {
        await this.reconcile();
        this.delayMs = 0;
        this.lastError = null;
      } catch (e) {
        const message = `publishing to etcd failed: ${(e as Error).message}`;
        if (this.lastError !== message) this.d.log.warn({ event: 'fleet.error', message }, message);
        this.lastError = message;
        this.published = null; // a failed or timed-out transaction may or may not have landed
        this.delayMs = Math.min(2_000, Math.max(200, this.delayMs * 2));
        this.retry = this.d.timers.after(this.delayMs, () => this.kick());
      }
      this.d.onStatus();
    }
    this.running = null;
  }

  /** Reads the sessions file (if it changed) into `desired`: the session keys, then the host key. */
  private readDesired(): void {
    const r = this.d.readSessions();
    if (r.kind === 'error') {
      // A file we cannot trust or read says nothing: keep publishing what we last knew.
      if (this.fileState !== r.message) this.d.log.warn({ event: 'fleet.error', message: r.message }, r.message);
      this.fileState = r.message;
    } else if (r.kind !== 'unchanged') {
      const sessions = r.kind === 'ok' ? r.snapshot.sessions : [];
      if (r.kind === 'ok')
        for (const why of r.snapshot.refused)
          this.d.log.warn({ event: 'fleet.skip', message: why }, `session not published: ${why}`);
      this.fileState = r.kind;
      this.writtenAt = r.kind === 'ok' ? r.snapshot.writtenAt : null;
      this.desiredSessions = new Map(sessions.map((x) => [sessionKey(this.d.layout, x.id), x.value]));
    }
    this.sessions = this.desiredSessions.size;
    this.desired = new Map(this.desiredSessions);
    this.desired.set(
      hostKey(this.d.layout, this.d.host),
      JSON.stringify({
        host: this.d.host,
        ...this.d.hostFacts,
        sessions: this.sessions,
        sessions_file: this.fileState,
        sessions_written_at: this.writtenAt,
      }),
    );
  }

  private async reconcile(): Promise<void> {
    this.readDesired();
    if (!this.lease) {
      this.published = null;
      const token = {};
      this.leaseToken = token;
      const lease = await this.d.port.grantLease(this.d.leaseTtlSeconds, {
        lost: (message) => {
          if (this.leaseToken !== token) return; // an old lease, already replaced
          this.d.log.warn({ event: 'fleet.lease_lost', message }, 'lease lost; publishing again on a new one');
          this.lease = null;
          this.published = null;
          this.kick();
        },
        alive: () => this.d.onContact(),
      });
      if (this.leaseToken !== token || this.stopped) {
        lease.release();
        throw new Error('lease lost while it was granted');
      }
      this.lease = lease;
      this.d.onContact();
    }
    const lease = this.lease;
    if (this.published === null) {
      // Keys of an earlier run (or written before a failure) that are not live any more must go.
      const mine = await this.d.port.list(hostSessionsPrefix(this.d.layout, this.d.host));
      this.published = new Map(mine.kvs.map((kv) => [kv.key, '\u0000stale'])); // forces a put of what stays
    }
    const puts = [...this.desired]
      .filter(([k, v]) => this.published!.get(k) !== v)
      .map(([key, value]) => ({ key, value }));
    const deletes = [...this.published.keys()].filter((k) => !this.desired.has(k));
    // Sessions first, the host key last: a reader that sees the host sees its sessions.
    const hk = hostKey(this.d.layout, this.d.host);
    puts.sort((a, b) => Number(a.key === hk) - Number(b.key === hk));
    const ops = [...deletes.map((k) => ({ del: k })), ...puts.map((p) => ({ put: p }))];
    for (let i = 0; i < ops.length; i += MAX_TXN_OPS) {
      const chunk = ops.slice(i, i + MAX_TXN_OPS);
      await this.d.port.apply(
        {
          puts: chunk.flatMap((o) => ('put' in o ? [o.put] : [])),
          deletes: chunk.flatMap((o) => ('del' in o ? [o.del] : [])),
        },
        lease.id,
      );
      for (const o of chunk) {
        if ('put' in o) this.published.set(o.put.key, o.put.value);
        else this.published.delete(o.del);
      }
      this.d.onContact();
    }
  }
}
