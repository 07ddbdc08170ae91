import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FleetEntry } from '../../../src/fleet/entries.js';
import { RevocationList } from '../../../src/fleet/list.js';
import { RevocationSync } from '../../../src/fleet/sync.js';
import { FakeEtcd } from './fake-etcd.js';

const R = '/mw/revoked/';
const val = (target: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ target, reason: null, until: null, by: 't', at: 'now', ...extra });

function setup(opts: { loaded?: FleetEntry[]; loadedRevision?: number; failWrites?: number } = {}) {
  const etcd = new FakeEtcd();
  const list = new RevocationList(R);
  if (opts.loaded) list.load(opts.loaded, opts.loadedRevision ?? 1);
  const written: string[][] = [];
  const logs: Record<string, unknown>[] = [];
  let failWrites = opts.failWrites ?? 0;
  const log = {
    info: (f: Record<string, unknown>) => logs.push(f),
    warn: (f: Record<string, unknown>) => logs.push(f),
    error: (f: Record<string, unknown>) => logs.push(f),
  };
  const sync = new RevocationSync({
    port: etcd,
    list,
    revokedPrefix: R,
    timers: {
      now: () => Date.now(),
      after: (ms, fn) => {
        const t = setTimeout(fn, ms);
        return { cancel: () => clearTimeout(t) };
      },
    },
    log,
    fileInSync: opts.loaded !== undefined,
    write: async (entries) => {
      if (failWrites-- > 0) throw new Error('ENOSPC');
      written.push(entries.map((e) => e.key.slice(R.length)).sort());
    },
    onStatus: () => undefined,
    onConnect: () => undefined,
    backoff: { initialMs: 1, maxMs: 5 },
  });
  const file = () => written[written.length - 1] ?? null;
  const inEtcd = () =>
    [...etcd.store.keys()]
      .filter((k) => k.startsWith(R))
      .map((k) => k.slice(R.length))
      .sort();
  return { etcd, list, sync, written, logs, file, inEtcd };
}

async function until(probe: () => boolean, what: string, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('RevocationSync', () => {
  test('a put made between the listing and the watch is not missed (watch from revision + 1)', async () => {
    const t = setup();
    t.etcd.put(`${R}user:a`, val('user:a'));
    t.etcd.afterList = () => t.etcd.put(`${R}user:b`, val('user:b'));
    const run = t.sync.run();
    await until(() => t.file()?.length === 2, 'both entries');
    assert.deepEqual(t.file(), ['user:a', 'user:b']);
    t.sync.stop();
    await run;
  });

  test('a delete right at the listing revision boundary is applied, and replays below it change nothing', async () => {
    const t = setup();
    t.etcd.put(`${R}user:a`, val('user:a'));
    t.etcd.afterList = () => t.etcd.del(`${R}user:a`);
    const run = t.sync.run();
    await until(() => JSON.stringify(t.file()) === '[]', 'a deleted');
    // An event the listing already reflected (same or lower revision) is ignored.
    t.list.apply([{ type: 'put', key: `${R}user:zzz`, value: val('user:zzz'), modRevision: 1 }], 1);
    assert.deepEqual(t.list.current(), []);
    t.sync.stop();
    await run;
  });

  test('after a partition, what was revoked and lifted meanwhile is exactly what is in force', async () => {
    const t = setup();
    for (const n of ['a', 'b', 'c']) t.etcd.put(`${R}user:${n}`, val(`user:${n}`));
    const run = t.sync.run();
    await until(() => t.file()?.length === 3, 'three');
    t.etcd.partition();
    await until(() => t.sync.state === 'disconnected', 'disconnected');
    // Written by an admin through another etcd member while this host is cut off.
    t.etcd.down = false;
    t.etcd.del(`${R}user:a`);
    t.etcd.put(`${R}user:d`, val('user:d'));
    t.etcd.put(`${R}user:b`, val('user:b', { reason: 'edited' }));
    t.etcd.down = true;
    t.etcd.heal();
    await until(() => JSON.stringify(t.file()) === JSON.stringify(t.inEtcd()), 'file == etcd');
    assert.deepEqual(t.file(), ['user:b', 'user:c', 'user:d']);
    assert.equal(t.list.current().find((e) => e.key === `${R}user:b`)?.reason, 'edited');
    assert.ok(t.logs.some((l) => l.event === 'fleet.disconnect'));
    assert.ok(t.logs.filter((l) => l.event === 'fleet.connect').length >= 2);
    t.sync.stop();
    await run;
  });

  test('history compacted while cut off: the service lists again instead of resuming, 0 missed', async () => {
    const t = setup();
    t.etcd.put(`${R}user:a`, val('user:a'));
    const run = t.sync.run();
    await until(() => t.file()?.length === 1, 'one');
    t.etcd.partition();
    t.etcd.down = false;
    for (let i = 0; i < 20; i++) t.etcd.put(`${R}user:n${i}`, val(`user:n${i}`));
    t.etcd.del(`${R}user:a`);
    t.etcd.compact();
    t.etcd.down = true;
    t.etcd.heal();
    await until(() => JSON.stringify(t.file()) === JSON.stringify(t.inEtcd()), 'file == etcd');
    assert.equal(t.file()!.length, 20);
    assert.ok(
      t.logs.some((l) => l.event === 'fleet.compacted'),
      'the compaction is noticed and logged',
    );
    t.sync.stop();
    await run;
  });

  test('the persisted list stays in force while etcd is down, and the first listing replaces it', async () => {
    const loaded = new RevocationList(R);
    loaded.replace([{ key: `${R}user:old`, value: val('user:old'), modRevision: 1 }], 1);
    const t = setup({ loaded: loaded.current(), loadedRevision: 1 });
    t.etcd.down = true;
    const run = t.sync.run();
    await until(() => t.etcd.lists === 0 && t.sync.lastError !== null, 'a failed listing');
    assert.equal(t.written.length, 0, 'nothing written before etcd answers');
    assert.deepEqual(
      t.list.current().map((e) => e.key),
      [`${R}user:old`],
    );
    assert.equal(t.sync.state, 'connecting');
    t.etcd.down = false;
    t.etcd.put(`${R}user:new`, val('user:new'));
    await until(() => JSON.stringify(t.file()) === '["user:new"]', 'replaced by the listing');
    t.sync.stop();
    await run;
  });

  test('a value that does not decode is skipped and logged, the rest applies', async () => {
    const t = setup();
    t.etcd.put(`${R}user:a`, val('user:b'));
    t.etcd.put(`${R}from:10.0.0.5/8`, val('from:10.0.0.5/8'));
    t.etcd.put(`${R}user:c`, 'not json');
    t.etcd.put(`${R}user:d`, val('user:d', { until: '2030-01-01T00:00:00' }));
    t.etcd.put(`${R}user:ok`, val('user:ok'));
    const run = t.sync.run();
    await until(() => t.file() !== null, 'written');
    assert.deepEqual(t.file(), ['user:ok']);
    assert.equal(t.logs.filter((l) => l.event === 'fleet.skip').length, 4);
    assert.equal(t.list.skippedCount(), 4);
    t.sync.stop();
    await run;
  });

  test('a failed write is logged once and retried with the list as it is by then', async () => {
    const t = setup({ failWrites: 1 });
    t.etcd.put(`${R}user:a`, val('user:a'));
    const run = t.sync.run();
    await until(() => t.sync.fileError !== null, 'the error');
    t.etcd.put(`${R}user:b`, val('user:b'));
    await until(() => t.file()?.length === 2, 'retried', 3_000);
    assert.equal(t.logs.filter((l) => l.event === 'fleet.error').length, 1);
    assert.equal(t.sync.fileError, null);
    t.sync.stop();
    await run;
  });
});
