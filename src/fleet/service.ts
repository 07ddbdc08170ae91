// `moshwarden fleet`: the fleet service. Keeps the fleet revocation file in step with etcd (sync.ts),
// publishes this host's sessions from the daemon's sessions file (publish.ts), and keeps the status
// file current. The machine comes in through `io` (files, watches, timers); etcd through the port.
import { sameIdentity, statIdentity, type FileIdentity } from '../host/revocation-file.js';
import type { FleetConfig } from './config.js';
import type { FleetEntry } from './entries.js';
import { parseFile, renderFile } from './file-format.js';
import { keyLayout, revokedKey, type KeyLayout } from './keys.js';
import { RevocationList } from './list.js';
import type { EtcdPort } from './port.js';
import { Publisher, type SessionsRead } from './publish.js';
import { parseSessionsFile } from './sessions-file.js';
import { iso, STATUS_REFRESH_MS, STATUS_VERSION, type FleetStatus } from './status.js';
import { RevocationSync, type FleetLog, type Timers } from './sync.js';
import { parseFleetTarget } from './target.js';
import type { TrustedRead } from '../host/atomic.js';

export interface ServiceIo {
  timers: Timers;
  pid: number;
  version: string;
  writeFile(path: string, text: string, mode: number): Promise<void>;
  /** Our own file (the persisted list): its text, or null when missing; throws when unreadable. */
  readOwn(path: string): string | null;
  readTrusted(path: string, maxBytes: number): TrustedRead;
  /** Calls back on any change to the file at path (directory watch); close() stops. */
  watch(path: string, onEvent: () => void): { ensure(): void; close(): void };
}

export const FILE_MODE = 0o600;
export const STATUS_MODE = 0o644;
const MAX_SESSIONS_FILE_BYTES = 64 * 1024 * 1024;

export interface RunningService {
  sync: RevocationSync;
  publisher: Publisher;
  list: RevocationList;
  /** Stops cleanly: the watch, the lease (revoked: the host leaves the list at once), a last status. */
  stop(): Promise<void>;
  done: Promise<void>;
}

export function startFleetService(cfg: FleetConfig, port: EtcdPort, log: FleetLog, io: ServiceIo): RunningService {
  const layout = keyLayout(cfg.prefix);
  const list = new RevocationList(layout.revoked);
  const startedAt = io.timers.now();

  // The list the previous run wrote stays in force until etcd answers (docs/fleet.md).
  let fileInSync = false;
  try {
    const text = io.readOwn(cfg.revocationFile);
    const persisted = text === null ? null : parseFile(text, cfg.prefix);
    if (text !== null && persisted === null)
      log.warn(
        { event: 'fleet.error', path: cfg.revocationFile, message: 'not a fleet revocation file of this prefix' },
        `${cfg.revocationFile} is not a fleet revocation file for ${cfg.prefix}; it is replaced at the first listing`,
      );
    if (persisted) {
      list.load(
        persisted.entries.map((e) => persistedEntry(e, layout, persisted.revision)).filter((e) => e !== null),
        persisted.revision,
      );
      fileInSync = true;
      log.info(
        {
          event: 'fleet.load',
          path: cfg.revocationFile,
          revision: persisted.revision,
          entries: persisted.entries.length,
        },
        'the last list is in force until etcd answers',
      );
    }
  } catch (e) {
    log.error(
      { event: 'fleet.error', path: cfg.revocationFile, message: String(e) },
      `cannot read ${cfg.revocationFile}`,
    );
  }

  let status: () => void = () => undefined;
  const sync = new RevocationSync({
    port,
    list,
    revokedPrefix: layout.revoked,
    timers: io.timers,
    log,
    fileInSync,
    write: (entries: FleetEntry[], revision: number) => {
      const { text, dropped } = renderFile(entries, revision, cfg.prefix);
      for (const e of dropped)
        log.warn(
          { event: 'fleet.skip', key: e.key, message: 'would not read back as the same entry' },
          `revocation ${e.key} skipped`,
        );
      return io.writeFile(cfg.revocationFile, text, FILE_MODE);
    },
    onStatus: () => status(),
    onConnect: () => publisher.resync(),
  });

  let lastSessions: FileIdentity | null = null;
  const readSessions = (): SessionsRead => {
    const id = statIdentity(cfg.sessionsFile);
    if (id !== null && sameIdentity(id, lastSessions)) return { kind: 'unchanged' };
    const r = io.readTrusted(cfg.sessionsFile, MAX_SESSIONS_FILE_BYTES);
    if (!r.ok) {
      lastSessions = null;
      return r.missing ? { kind: 'missing' } : { kind: 'error', message: r.message };
    }
    lastSessions = r.identity;
    const parsed = parseSessionsFile(r.text, cfg.host);
    return typeof parsed === 'string'
      ? { kind: 'error', message: `${cfg.sessionsFile}: ${parsed}` }
      : { kind: 'ok', snapshot: parsed };
  };
  const publisher = new Publisher({
    port,
    layout,
    host: cfg.host,
    leaseTtlSeconds: cfg.leaseTtlMs / 1000,
    timers: io.timers,
    log,
    readSessions,
    onContact: () => sync.contact(),
    onStatus: () => status(),
    hostFacts: { since: iso(startedAt), version: io.version },
  });

  // The status file: rewritten when something in it changes, and every STATUS_REFRESH_MS for last_contact.
  let state: string = sync.state;
  let stateSince = startedAt;
  let stopped = false;
  let lastWritten = '';
  let writing: Promise<void> | null = null;
  let again = false;
  const snapshot = (): FleetStatus => {
    const s = stopped ? 'stopped' : sync.state;
    if (s !== state) {
      state = s;
      stateSince = io.timers.now();
    }
    return {
      version: STATUS_VERSION,
      host: cfg.host,
      pid: io.pid,
      state: s,
      endpoint: port.endpoint,
      revision: list.revision(),
      entries: list.current().length,
      skipped: list.skippedCount(),
      last_contact: iso(sync.lastContact),
      state_since: iso(stateSince)!,
      started_at: iso(startedAt)!,
      written_at: '',
      revocation_file: cfg.revocationFile,
      file_error: sync.fileError,
      last_error: sync.lastError ?? publisher.lastError,
      sessions_published: publisher.sessions,
      lease: publisher.leaseId(),
      lease_ttl_seconds: cfg.leaseTtlMs / 1000,
      strict_seconds: cfg.strictMs === null ? null : cfg.strictMs / 1000,
    };
  };
  const writeStatus = (force: boolean): Promise<void> => {
    const s = snapshot();
    const key = JSON.stringify({ ...s, last_contact: null });
    if (!force && key === lastWritten) return writing ?? Promise.resolve();
    again = true;
    writing ??= (async () => {
      while (again) {
        again = false;
        const now = snapshot();
        lastWritten = JSON.stringify({ ...now, last_contact: null });
        now.written_at = iso(io.timers.now())!;
        await io.writeFile(cfg.statusFile, JSON.stringify(now, null, 2) + '\n', STATUS_MODE).catch((e: Error) => {
          log.error(
            { event: 'fleet.error', path: cfg.statusFile, message: e.message },
            `cannot write ${cfg.statusFile}`,
          );
        });
      }
      writing = null;
    })();
    return writing;
  };
  status = () => void writeStatus(false);

  const watch = io.watch(cfg.sessionsFile, () => publisher.kick());
  let tick: { cancel(): void } | null = null;
  const refresh = () => {
    watch.ensure();
    publisher.kick(); // a change the watch missed is seen here (readSessions compares the file's identity)
    void writeStatus(true);
    tick = io.timers.after(STATUS_REFRESH_MS, refresh);
  };
  void writeStatus(true);
  publisher.kick();
  tick = io.timers.after(STATUS_REFRESH_MS, refresh);
  const done = sync.run();

  return {
    sync,
    publisher,
    list,
    done,
    async stop() {
      stopped = true;
      tick?.cancel();
      watch.close();
      sync.stop();
      await done;
      await publisher.stop(true);
      await writeStatus(true);
      port.close();
    },
  };
}

function persistedEntry(
  e: { target: string; reason: string | null; until: number | null },
  layout: KeyLayout,
  revision: number,
): FleetEntry | null {
  const target = parseFleetTarget(e.target);
  if (typeof target === 'string') return null;
  return {
    key: revokedKey(layout, e.target),
    target,
    reason: e.reason,
    until: e.until,
    by: null,
    at: null,
    modRevision: revision,
  };
}
