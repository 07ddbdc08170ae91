// Keeps the fleet revocation list in step with etcd's `revoked/` without ever missing a change:
//
//   list revoked/ (revision R) → write the list if it changed → watch from R + 1 → apply events → ...
//   watch lost, canceled or compacted, list failed → back off (200 ms doubling to 2 s) → list again
//
// A watch is never resumed: every (re)connect starts from a full listing, so what was revoked or lifted
// while this host was cut off, and history compacted meanwhile, cannot be missed (docs/fleet.md,
// "Never missing a revocation"). Until the first listing succeeds, the list loaded from the file written
// by the previous run stays in force. Time comes in through `timers`; the network through the port.
import type { FleetEntry } from './entries.js';
import { noChange, type Change, type RevocationList } from './list.js';
import type { EtcdPort } from './port.js';

export interface Timers {
  now(): number;
  after(ms: number, fn: () => void): { cancel(): void };
}

export interface FleetLog {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}

export type SyncState = 'connecting' | 'connected' | 'disconnected';

export interface SyncDeps {
  port: EtcdPort;
  list: RevocationList;
  revokedPrefix: string;
  timers: Timers;
  log: FleetLog;
  /** Writes the list (atomically); rejects when it could not. */
  write(entries: FleetEntry[], revision: number): Promise<void>;
  /** Told on every change of state, contact or list. */
  onStatus(): void;
  /** Told when contact is (re)established: what was published before may be gone (publish.ts). */
  onConnect(): void;
  /** Whether the file on disk already holds the loaded list (else the first listing writes it). */
  fileInSync: boolean;
  backoff?: { initialMs: number; maxMs: number };
  watchReadyTimeoutMs?: number;
}

export class RevocationSync {
  state: SyncState = 'connecting';
  lastContact: number | null = null;
  lastError: string | null = null;
  fileError: string | null = null;
  private stopped = false;
  private readonly stopSignal: Promise<null>;
  private signalStop!: () => void;
  private watchCancel: (() => void) | null = null;
  private fileInSync: boolean;
  private writing: Promise<void> | null = null;
  private pendingWrite: { trigger: string; change: Change } | null = null;
  private delayMs = 0;

  constructor(private readonly d: SyncDeps) {
    this.fileInSync = d.fileInSync;
    this.stopSignal = new Promise((resolve) => (this.signalStop = () => resolve(null)));
  }

  /** Runs until stop(). */
  async run(): Promise<void> {
    const { initialMs, maxMs } = this.d.backoff ?? { initialMs: 200, maxMs: 2_000 };
    while (!this.stopped) {
      const outcome = await this.cycle();
      if (this.stopped) break;
      // A watch that had been running (or was compacted) lists again at once; failures back off.
      this.delayMs = outcome === 'failed' ? Math.min(maxMs, Math.max(initialMs, this.delayMs * 2)) : 0;
      if (this.delayMs > 0) await this.sleep(this.delayMs);
    }
    this.watchCancel?.();
    await this.writing;
  }

  stop(): void {
    this.stopped = true;
    this.signalStop();
  }

  /** Marks contact with etcd (any answer: a listing, a watch event, a lease keepalive). */
  contact(): void {
    this.lastContact = this.d.timers.now();
  }

  /** One listing and the watch after it; resolves when the watch is over. */
  private async cycle(): Promise<'failed' | 'lost' | 'stopped'> {
    const { port, list, revokedPrefix, log } = this.d;
    const before = list.revision();
    let snap;
    try {
      snap = await port.list(revokedPrefix);
    } catch (e) {
      this.disconnected(`list ${revokedPrefix} failed: ${(e as Error).message}`);
      return 'failed';
    }
    if (this.stopped) return 'stopped';
    this.contact();
    if (this.state !== 'connected') {
      log.info(
        { event: 'fleet.connect', endpoint: port.endpoint, revision: snap.revision },
        'in contact with etcd: listing the revocations',
      );
    }
    const reconnected = this.state !== 'connected';
    this.state = 'connected';
    this.lastError = null;
    if (reconnected) this.d.onConnect();
    const change = list.replace(snap.kvs, snap.revision);
    this.logSkipped(change);
    // Only for the log: whether a resumed watch would have lost events (it is never resumed).
    const compacted =
      before > 0 && snap.revision > before && (await port.compacted(revokedPrefix, before + 1).catch(() => false));
    if (compacted)
      log.warn(
        { event: 'fleet.compacted', endpoint: port.endpoint, revision: before },
        'history since the last revision seen was compacted; the listing covers it',
      );
    await this.requestWrite('list', change);
    if (this.stopped) return 'stopped';

    let lostWith: ((m: string) => void) | null = null;
    const lost = new Promise<string>((resolve) => (lostWith = resolve));
    const watch = port.watch(revokedPrefix, snap.revision + 1, {
      events: (events, revision) => {
        this.contact();
        const c = list.apply(events, revision);
        this.logSkipped(c);
        if (noChange(c)) this.d.onStatus();
        else void this.requestWrite('watch', c);
      },
      lost: (m) => lostWith!(m),
    });
    this.watchCancel = () => watch.cancel();
    const timeout = this.d.watchReadyTimeoutMs ?? 10_000;
    const timer = this.d.timers.after(timeout, () => watch.cancel());
    try {
      await Promise.race([watch.ready, this.stopSignal]);
    } catch (e) {
      this.disconnected(`watch from revision ${snap.revision + 1} not created: ${(e as Error).message}`);
      return 'failed';
    } finally {
      timer.cancel();
    }
    if (this.stopped) return 'stopped';
    this.contact();
    this.delayMs = 0;
    this.d.onStatus();
    const why = await Promise.race([lost, this.stopSignal]);
    if (why === null) return 'stopped';
    this.disconnected(why);
    return 'lost';
  }

  private disconnected(message: string): void {
    this.watchCancel?.();
    this.watchCancel = null;
    if (this.state === 'connected')
      this.d.log.warn(
        { event: 'fleet.disconnect', endpoint: this.d.port.endpoint, revision: this.d.list.revision(), message },
        'lost contact with etcd; the last list stays in force',
      );
    else if (this.lastError !== message)
      this.d.log.warn({ event: 'fleet.error', endpoint: this.d.port.endpoint, message }, message);
    if (this.state === 'connected') this.state = 'disconnected'; // 'connecting' until the first contact
    this.lastError = message;
    this.d.onStatus();
  }

  private logSkipped(c: Change): void {
    for (const s of c.skipped)
      this.d.log.warn(
        { event: 'fleet.skip', key: s.key, message: s.message },
        `revocation ${s.key} skipped: ${s.message}`,
      );
  }

  /** Writes the list now, or right after the write in progress; changes in between are merged. */
  private requestWrite(trigger: string, change: Change): Promise<void> {
    if (noChange(change) && this.fileInSync && !this.pendingWrite) {
      this.d.onStatus();
      return this.writing ?? Promise.resolve();
    }
    const p = this.pendingWrite;
    this.pendingWrite = p
      ? {
          trigger: p.trigger,
          change: {
            added: [...p.change.added, ...change.added],
            removed: [...p.change.removed, ...change.removed],
            updated: [...p.change.updated, ...change.updated],
            skipped: [],
          },
        }
      : { trigger, change };
    this.writing ??= this.writeLoop();
    return this.writing;
  }

  private async writeLoop(): Promise<void> {
    while (this.pendingWrite) {
      const { trigger, change } = this.pendingWrite;
      this.pendingWrite = null;
      const entries = this.d.list.current();
      const revision = this.d.list.revision();
      try {
        await this.d.write(entries, revision);
        this.fileInSync = true;
        this.fileError = null;
        this.d.log.info(
          {
            event: 'fleet.sync',
            endpoint: this.d.port.endpoint,
            revision,
            trigger,
            entries: entries.length,
            added: change.added,
            removed: change.removed,
            updated: change.updated,
          },
          'fleet revocation file written',
        );
      } catch (e) {
        this.fileInSync = false;
        const message = `cannot write the fleet revocation file: ${(e as Error).message}`;
        if (this.fileError !== message) this.d.log.error({ event: 'fleet.error', message }, message);
        this.fileError = message;
        if (!this.stopped) {
          // Try again shortly with whatever the list is by then.
          this.pendingWrite ??= { trigger: 'retry', change };
          await this.sleep(1_000);
        }
      }
      this.d.onStatus();
      if (this.stopped) break;
    }
    this.writing = null;
  }

  private async sleep(ms: number): Promise<void> {
    let t: { cancel(): void } | null = null;
    await Promise.race([new Promise<void>((resolve) => (t = this.d.timers.after(ms, resolve))), this.stopSignal]);
    t!.cancel();
  }
}
