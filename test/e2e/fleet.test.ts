// The fleet service against a real etcd (no mocks): revocations reach the file, survive an etcd restart,
// a partition and a compaction while cut off with none missed and none lifted still in force, the list
// persisted by a previous run is in force before etcd answers, a killed host's keys vanish with its
// lease, and the admin commands work end to end. No mosh sessions are needed; run under the e2e lock.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, beforeEach, describe, test } from 'node:test';
import { parseRevocations } from '../../src/revocation/parse.js';
import { Etcd, etcdSkipReason, Proxy } from './etcd.js';
import { FleetHost, session, sleep, until } from './fleet-host.js';

const skip = etcdSkipReason() ?? false;
const P = '/moshwarden/v1/';
const value = (target: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ target, reason: null, until: null, by: 'test', at: new Date().toISOString(), ...extra });

describe('fleet service with a real etcd', { skip, timeout: 600_000 }, () => {
  let etcd: Etcd;
  const hosts: FleetHost[] = [];
  const proxies: Proxy[] = [];
  const newHost = (name: string, endpoints = [etcd.endpoint], leaseTtl = '3s') => {
    const h = new FleetHost({ host: name, endpoints, leaseTtl });
    hosts.push(h);
    return h;
  };
  const put = (target: string, extra: Record<string, unknown> = {}) =>
    etcd.ctl(['put', `${P}revoked/${target}`, value(target, extra)]);
  const del = (target: string) => etcd.ctl(['del', `${P}revoked/${target}`]);
  /** The targets etcd holds under revoked/. */
  const etcdTargets = async () =>
    (await etcd.ctl(['get', '--prefix', `${P}revoked/`, '--keys-only']))
      .split('\n')
      .filter(Boolean)
      .map((k) => k.slice(`${P}revoked/`.length))
      .sort();
  const fileTargets = (h: FleetHost) => (h.fileLines() ?? []).map((l) => l.split(' ')[0]!).sort();
  const sameAsEtcd = async (h: FleetHost, timeoutMs: number) => {
    const want = await etcdTargets();
    await until(
      () => JSON.stringify(fileTargets(h)) === JSON.stringify(want),
      timeoutMs,
      `${h.o.host}'s file to hold ${want.join(' ')} (has ${fileTargets(h).join(' ')})`,
    );
  };

  before(async () => {
    etcd = await Etcd.start();
  });
  beforeEach(async () => {
    await etcd.ctl(['del', '--prefix', P]); // every test starts from an empty fleet
  });
  after(async () => {
    for (const h of hosts) await h.cleanup();
    for (const p of proxies) await p.close();
    await etcd?.stop();
  });

  test('a put reaches the file, a delete removes it, a bad value is skipped and logged', async () => {
    const h = newHost('put-1');
    h.start();
    await h.waitEvent('fleet.sync', 20_000);
    await put('user:mw-alice', { reason: 'offboarding "OPS-12"', until: '2099-01-01T00:00:00Z' });
    await put('from:203.0.113.0/24');
    await put('session:web-17/4242-1234567');
    await etcd.ctl(['put', `${P}revoked/user:mw-bob`, value('user:mw-carol')]); // key and value disagree
    await etcd.ctl(['put', `${P}revoked/from:10.0.0.5/8`, value('from:10.0.0.5/8')]); // would widen: refused
    await until(
      () => (h.fileLines() ?? []).length === 3 && h.events('fleet.skip').length === 2,
      10_000,
      'three lines, two skipped',
    );
    const text = fs.readFileSync(h.revocationFile, 'utf8');
    assert.match(text, /^# revision=\d+ prefix=\/moshwarden\/v1\/ entries=3$/m);
    // What the daemon's own parser makes of it: every entry, exactly as meant.
    const parsed = parseRevocations(text);
    assert.deepEqual(
      parsed.entries.map((e) => [e.target.kind, e.reason, e.until]),
      [
        ['from', null, null],
        ['session', null, null],
        ['user', 'offboarding "OPS-12"', Date.parse('2099-01-01T00:00:00Z')],
      ],
    );
    assert.equal(parsed.errors.length, 0, 'the daemon parses session: lines too');
    assert.match(text, /^session:web-17\/4242-1234567$/m);
    const st = fs.statSync(h.revocationFile);
    assert.equal(st.mode & 0o777, 0o600);
    const skipped = h.events('fleet.skip').map((l) => l.key);
    assert.ok(
      skipped.includes(`${P}revoked/user:mw-bob`) && skipped.includes(`${P}revoked/from:10.0.0.5/8`),
      JSON.stringify(skipped),
    );
    await del('user:mw-alice');
    await until(() => !(h.fileLines() ?? []).some((l) => l.startsWith('user:mw-alice')), 10_000, 'the line removed');
    await etcd.ctl(['del', '--prefix', `${P}revoked/`]);
    await until(() => h.fileLines()?.length === 0, 10_000, 'empty list');
    assert.equal(await h.stop(), 0, 'SIGTERM stops it with exit 0');
  });

  test('etcd stopped and restarted: what was revoked and lifted right after the restart is all in force', async () => {
    const h = newHost('restart-1');
    h.start();
    await h.waitEvent('fleet.sync', 20_000);
    await put('user:before-1');
    await put('user:before-2');
    await sameAsEtcd(h, 10_000);
    const mark = h.lines.length;
    await etcd.down();
    await h.waitEvent('fleet.disconnect', 20_000, () => true, mark);
    await etcd.up();
    // Made before the service is back in contact: the relist must bring every one of them.
    for (let i = 0; i < 10; i++) await put(`user:during-${i}`);
    await del('user:before-1');
    await sameAsEtcd(h, 15_000);
    assert.ok(h.events('fleet.connect').length >= 2);
    await h.stop();
    await etcd.ctl(['del', '--prefix', `${P}revoked/`]);
  });

  test('partition and a forced compaction while cut off: 0 missed, none lifted still in force', async () => {
    const proxy = await Proxy.start(etcd.clientPort);
    proxies.push(proxy);
    const h = newHost('cutoff-1', [proxy.endpoint]);
    h.start();
    await h.waitEvent('fleet.sync', 20_000);
    for (let i = 0; i < 5; i++) await put(`user:old-${i}`);
    await sameAsEtcd(h, 10_000);

    // 1. A partition with revocations made and lifted meanwhile.
    let mark = h.lines.length;
    proxy.cut();
    await h.waitEvent('fleet.disconnect', 20_000, () => true, mark);
    for (let i = 0; i < 5; i++) await put(`user:cut-${i}`);
    await del('user:old-0');
    await del('user:old-1');
    let healed = Date.now();
    proxy.heal();
    await sameAsEtcd(h, 15_000);
    const catchUp1 = Date.now() - healed;

    // 2. Cut off again; 20 changes, then history compacted past what the host last saw.
    mark = h.lines.length;
    proxy.cut();
    await h.waitEvent('fleet.disconnect', 20_000, () => true, mark);
    for (let i = 0; i < 20; i++) await put(`user:compacted-${i}`);
    await del('user:old-2');
    await del('user:cut-0');
    await put('user:old-3', { reason: 'changed while cut off' });
    await etcd.ctl(['compact', String(await etcd.revision())]);
    healed = Date.now();
    proxy.heal();
    await sameAsEtcd(h, 15_000);
    const catchUp2 = Date.now() - healed;
    assert.ok(
      (h.fileLines() ?? []).includes('user:old-3 reason="changed while cut off"'),
      'an entry changed meanwhile is rewritten',
    );
    await h.waitEvent('fleet.compacted', 5_000, () => true, mark);
    process.stdout.write(
      `# catch-up after heal: ${catchUp1} ms (partition), ${catchUp2} ms (partition + compaction)\n`,
    );
    await h.stop();
    await etcd.ctl(['del', '--prefix', `${P}revoked/`]);
  });

  test('the list persisted by the last run is in force before etcd answers (start with etcd down)', async () => {
    const proxy = await Proxy.start(etcd.clientPort);
    proxies.push(proxy);
    const h = newHost('boot-1', [proxy.endpoint]);
    h.start();
    await h.waitEvent('fleet.sync', 20_000);
    await put('user:persisted');
    await sameAsEtcd(h, 10_000);
    await h.stop();
    const before = fs.readFileSync(h.revocationFile, 'utf8');
    proxy.cut();
    h.start();
    const load = await h.waitEvent('fleet.load', 10_000);
    assert.equal(load.entries, 1);
    await until(
      () => h.status()?.state === 'connecting' && h.status()?.entries === 1,
      10_000,
      'status: connecting, 1 entry',
    );
    await sleep(1_500);
    assert.equal(fs.readFileSync(h.revocationFile, 'utf8'), before, 'the file is left as it was');
    await put('user:while-down');
    proxy.heal();
    await sameAsEtcd(h, 15_000);
    await until(() => h.status()?.state === 'connected', 5_000, 'status: connected');
    await h.stop();
    await etcd.ctl(['del', '--prefix', `${P}revoked/`]);
  });

  test("a SIGKILLed host's session and host keys vanish within the lease TTL; a lost lease is republished", async () => {
    const proxy = await Proxy.start(etcd.clientPort);
    proxies.push(proxy);
    const h = newHost('lease-1', [proxy.endpoint], '3s');
    h.writeSessions([session('lease-1', 100, 'mw-alice'), session('lease-1', 101, 'mw-bob')]);
    h.start();
    const keys = async () =>
      (await etcd.ctl(['get', '--prefix', P, '--keys-only'])).split('\n').filter((k) => k.includes('lease-1'));
    await until(async () => undefined, 1, 'noop').catch(() => undefined);
    for (let i = 0; i < 100 && (await keys()).length < 3; i++) await sleep(100);
    assert.equal((await keys()).length, 3, 'host key and two sessions');

    // A session ends: its key goes; one starts: its key comes.
    h.writeSessions([session('lease-1', 101, 'mw-bob'), session('lease-1', 102, 'mw-carol')]);
    for (let i = 0; i < 100 && !(await keys()).some((k) => k.endsWith('/102-1102')); i++) await sleep(50);
    assert.deepEqual((await keys()).sort(), [
      `${P}hosts/lease-1`,
      `${P}sessions/lease-1/101-1101`,
      `${P}sessions/lease-1/102-1102`,
    ]);

    // Cut off for longer than the TTL: etcd drops the keys; after the heal they are published again.
    proxy.cut();
    for (let i = 0; i < 100 && (await keys()).length > 0; i++) await sleep(100);
    assert.equal((await keys()).length, 0, 'keys expired with the lease');
    proxy.heal();
    for (let i = 0; i < 200 && (await keys()).length < 3; i++) await sleep(100);
    assert.equal((await keys()).length, 3, 'republished after the lease was lost');

    await h.stop('SIGKILL');
    const killedAt = Date.now();
    for (let i = 0; i < 100 && (await keys()).length > 0; i++) await sleep(100);
    const gone = Date.now() - killedAt;
    assert.equal((await keys()).length, 0);
    assert.ok(gone <= 3_000 + 2_000, `gone ${gone} ms after SIGKILL (TTL 3 s)`);
    process.stdout.write(`# keys of a SIGKILLed host gone after ${gone} ms (lease TTL 3 s)\n`);
  });

  test('admin commands end to end: revoke/unrevoke/revocations/sessions/terminate --fleet', async () => {
    const a = newHost('adm-a');
    const b = newHost('adm-b');
    a.writeSessions([session('adm-a', 200, 'mw-alice'), session('adm-a', 201, 'mw-bob')]);
    b.writeSessions([session('adm-b', 300, 'mw-alice')]);
    a.start();
    b.start();
    await a.waitEvent('fleet.sync', 20_000);
    await b.waitEvent('fleet.sync', 20_000);

    let r = await a.cli(['revoke', '--fleet', 'mw-alice', '--reason', 'offboarding', '--until', '2h']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /revoked user:mw-alice until .* fleet-wide/);
    await until(
      () =>
        a.fileLines()?.some((l) => l.startsWith('user:mw-alice reason="offboarding" until=')) &&
        b.fileLines()?.some((l) => l.startsWith('user:mw-alice')),
      10_000,
      'both hosts',
    );
    const lease = JSON.parse(await etcd.ctl(['get', `${P}revoked/user:mw-alice`, '-w', 'json'])) as {
      kvs: { lease?: number }[];
    };
    assert.ok((lease.kvs[0]!.lease ?? 0) !== 0, 'an entry with until is on a lease: etcd deletes it once lapsed');
    r = await a.cli(['revoke', '--fleet', 'from:2001:0DB8::/32']);
    assert.equal(r.code, 0, r.stderr);
    r = await a.cli(['revoke', '--fleet', 'from:10.0.0.5/8']);
    assert.equal(r.code, 2, 'a range with host bits set is refused');
    r = await a.cli(['revocations', '--fleet', '--json']);
    const list = JSON.parse(r.stdout) as { entries: { target: string; by: string; at: string }[] };
    assert.deepEqual(list.entries.map((e) => e.target).sort(), ['from:2001:0DB8::/32', 'user:mw-alice']);
    assert.ok(
      list.entries.every((e) => e.by && e.at),
      'by and at recorded',
    );
    r = await a.cli(['unrevoke', '--fleet', 'from:2001:db8::/32']);
    assert.match(r.stdout, /removed 1 fleet revocation/, 'ranges compare by value');

    await until(() => true, 1, '');
    r = await a.cli(['sessions', '--fleet', '--json']);
    let rows = JSON.parse(r.stdout) as { id: string; host: string; user: string }[];
    for (let i = 0; i < 50 && rows.length < 3; i++) {
      await sleep(100);
      rows = JSON.parse((await a.cli(['sessions', '--fleet', '--json'])).stdout) as typeof rows;
    }
    assert.deepEqual(
      rows.map((x) => [x.host, x.id, x.user]),
      [
        ['adm-a', 'adm-a/200-1200', 'mw-alice'],
        ['adm-a', 'adm-a/201-1201', 'mw-bob'],
        ['adm-b', 'adm-b/300-1300', 'mw-alice'],
      ],
    );
    r = await a.cli(['sessions', '--fleet']);
    assert.match(r.stdout, /^HOST\s+ID\s+USER/m);
    assert.match(r.stdout, /^adm-b\s+adm-b\/300-1300\s+mw-alice/m);

    // terminate --fleet: host b (standing in for its daemon) ends the session once its file revokes it.
    const ending = (async () => {
      await until(
        () => b.fileLines()?.some((l) => l.startsWith('session:adm-b/300-1300 ')),
        10_000,
        'session revoked on b',
      );
      b.writeSessions([]);
    })();
    r = await a.cli(['terminate', '--fleet', 'adm-b/300-1300', '--reason', 'suspicious']);
    await ending;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /session adm-b\/300-1300 is gone/);
    assert.ok(!a.fileLines()?.some((l) => l.startsWith('session:adm-a/')), 'no other session was touched');
    r = await a.cli(['terminate', '--fleet', 'adm-b/999-1']);
    assert.equal(r.code, 2, 'an id that is not a live session is refused');

    r = await a.cli(['fleet', 'status', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const st = JSON.parse(r.stdout) as { state: string; entries: number; host: string };
    assert.equal(st.state, 'connected');
    assert.equal(st.host, 'adm-a');
    await a.stop();
    r = await a.cli(['fleet', 'status']);
    assert.equal(r.code, 1, 'stopped: not connected');
    await b.stop();
  });
});
