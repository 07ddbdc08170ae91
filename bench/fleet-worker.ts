// One worker process of the fleet benchmark (bench/fleet.ts): runs N simulated hosts, each a fleet
// engine of its own (its own etcd client and connection, revocation sync, host lease, revocation file),
// and reports to the parent when each host's file was written, with the revision it holds.
import path from 'node:path';
import { keyLayout } from '../src/fleet/keys.js';
import { RevocationList } from '../src/fleet/list.js';
import { Publisher } from '../src/fleet/publish.js';
import { renderFile } from '../src/fleet/file-format.js';
import { RevocationSync } from '../src/fleet/sync.js';
import { writeFileAtomic } from '../src/host/atomic.js';
import { connectEtcd } from '../src/host/etcd.js';

interface Start {
  kind: 'start';
  endpoint: string;
  prefix: string;
  dir: string;
  first: number;
  count: number;
  leaseTtlSeconds: number;
}

const now = () => performance.timeOrigin + performance.now();
/** FLEET_SHARED=1: the hosts of one worker share grpc-js's connection (not what separate hosts do). */
const shared = process.env.FLEET_SHARED === '1';
const timers = {
  now: () => Date.now(),
  after: (ms: number, fn: () => void) => {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
};
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const send = (m: unknown) => process.send!(m);
// Reports go to the driver in one message per turn of the event loop, not one per host.
let batch: unknown[] = [];
const report = (m: unknown) => {
  if (batch.length === 0)
    setImmediate(() => {
      send({ kind: 'batch', items: batch });
      batch = [];
    });
  batch.push(m);
};
const stops: (() => Promise<void>)[] = [];

async function startHost(o: Start, i: number): Promise<void> {
  const host = `bench-${i}`;
  const layout = keyLayout(o.prefix);
  const real = connectEtcd({ endpoints: [o.endpoint], ca: null, cert: null, key: null, ownConnections: !shared });
  // When the watch event arrived, to tell etcd's fan-out from this process's own work.
  let eventAt = 0;
  const port: typeof real = {
    ...real,
    endpoint: real.endpoint,
    watch: (prefix, rev, h) =>
      real.watch(prefix, rev, {
        events: (evs, r) => {
          eventAt = now();
          h.events(evs, r);
        },
        lost: h.lost,
      }),
  };
  const list = new RevocationList(layout.revoked);
  const file = path.join(o.dir, `${host}.revoked`);
  let ready: () => void;
  const connected = new Promise<void>((r) => (ready = r));
  const publisher = new Publisher({
    port,
    layout,
    host,
    leaseTtlSeconds: o.leaseTtlSeconds,
    timers,
    log: quiet,
    readSessions: () => ({ kind: 'missing' }),
    onContact: () => sync.contact(),
    onStatus: () => undefined,
    hostFacts: { bench: true },
  });
  const sync: RevocationSync = new RevocationSync({
    port,
    list,
    revokedPrefix: layout.revoked,
    timers,
    log: quiet,
    fileInSync: false,
    write: async (entries, revision) => {
      await writeFileAtomic(file, renderFile(entries, revision, o.prefix).text, 0o600);
      report({ kind: 'written', host: i, revision, at: now(), eventAt });
      ready();
    },
    onStatus: () => undefined,
    onConnect: () => publisher.resync(),
  });
  const done = sync.run();
  await connected;
  stops.push(async () => {
    sync.stop();
    await done;
    await publisher.stop(true);
    port.close();
  });
}

process.on('message', async (m: Start | { kind: 'ping'; t: number } | { kind: 'stop' } | { kind: 'cpu' }) => {
  if (m.kind === 'ping') return send({ kind: 'pong', t: m.t, at: now() });
  if (m.kind === 'cpu') {
    const u = process.cpuUsage();
    return send({ kind: 'cpu', ms: (u.user + u.system) / 1000 });
  }
  if (m.kind === 'stop') {
    await Promise.all(stops.map((s) => s()));
    send({ kind: 'stopped' });
    process.disconnect();
    setTimeout(() => process.exit(0), 100); // a clean exit (writes a --cpu-prof profile)
    return;
  }
  const before = process.memoryUsage().rss;
  // A few at a time: 1,000 hosts connecting in the same millisecond is not what a fleet does either.
  for (let i = 0; i < m.count; i += 10) {
    await Promise.all(Array.from({ length: Math.min(10, m.count - i) }, (_, k) => startHost(m, m.first + i + k)));
  }
  send({ kind: 'started', rssBefore: before, rssAfter: process.memoryUsage().rss, count: m.count });
});
