// The fleet end to end (issue 12): three simulated hosts (test/e2e/ns-host.ts), each a real daemon and a
// real fleet service in its own PID and mount namespaces with real mosh sessions of the test users, one
// real etcd; the admin commands run from outside, as an operator's would. Run under the e2e lock.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Etcd } from './etcd.js';
import { sleep } from './fleet-host.js';
import {
  attachClient,
  cleanupAll,
  ensureTestUsers,
  isAlive,
  waitForExit,
  type Client,
  type MoshSession,
} from './harness.js';
import { NsHost, nsSkipReason, rootPtyMounts, stopAllNsHosts } from './ns-host.js';

const skip = nsSkipReason() ?? false;
const P = '/moshwarden/v1/';
const TTL_S = 3;

interface FleetRow {
  host: string;
  id: string;
  user: string;
}

describe('the fleet on three simulated hosts', { skip, timeout: 600_000 }, () => {
  let etcd: Etcd;
  const mountsBefore = skip ? [] : rootPtyMounts();
  let h1: NsHost, h2: NsHost, h3: NsHost;
  /** Sessions by name: a1 = alice on fleet-1, c3 = carol on fleet-3, ... */
  const s: Record<string, MoshSession> = {};
  const hostOf: Record<string, NsHost> = {};
  /** A client on every session, from outside: a mosh-server that never had one exits after 60 s. */
  const clients: Record<string, Client> = {};

  const id = (name: string) => `${hostOf[name]!.name}/${s[name]!.nsPid}-${s[name]!.startTime}`;
  const row = (name: string): FleetRow => ({ host: hostOf[name]!.name, id: id(name), user: s[name]!.user });
  const admin = (args: string[]) => h1.fleet.cli(args); // from outside the namespaces
  const fleetRows = async (): Promise<FleetRow[]> => {
    const r = await admin(['sessions', '--fleet', '--json']);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as FleetRow[]).map(({ host, id, user }) => ({ host, id, user }));
  };
  const sorted = (rows: FleetRow[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));
  /** Polls `sessions --fleet --json` until it is exactly `want`; returns how long that took. */
  const fleetListIs = async (want: FleetRow[], timeoutMs: number): Promise<number> => {
    const t0 = Date.now();
    let got: FleetRow[] = [];
    while (Date.now() - t0 < timeoutMs) {
      got = sorted(await fleetRows());
      if (JSON.stringify(got) === JSON.stringify(sorted(want))) return Date.now() - t0;
      await sleep(200);
    }
    assert.deepEqual(got, sorted(want), 'sessions --fleet');
    return Date.now() - t0;
  };
  const alive = (name: string) => isAlive(s[name]!.pid, s[name]!.startTime);

  before(async () => {
    ensureTestUsers();
    etcd = await Etcd.start();
    const start = (host: string) =>
      NsHost.start({
        host,
        endpoints: [etcd.endpoint],
        leaseTtl: `${TTL_S}s`,
        daemonConfig: ['scan_interval: 30s', 'defaults:', '  grace: 2s'],
      });
    [h1, h2, h3] = await Promise.all([start('fleet-1'), start('fleet-2'), start('fleet-3')]);
    for (const h of [h1, h2, h3]) {
      h.fleet.start();
      await h.startDaemon();
    }
    for (const h of [h1, h2, h3]) {
      await h.fleet.waitEvent('fleet.sync', 30_000);
      await h.daemon!.waitForEvent((e) => e.event === 'daemon.start', 30_000);
    }
    const plan: [string, NsHost, string][] = [
      ['a1', h1, 'mw-test-alice'],
      ['b1', h1, 'mw-test-bob'],
      ['a2', h2, 'mw-test-alice'],
      ['c2', h2, 'mw-test-carol'],
      ['b3', h3, 'mw-test-bob'],
      ['c3', h3, 'mw-test-carol'],
    ];
    for (const [name, h, user] of plan) {
      s[name] = await h.startSession(user);
      hostOf[name] = h;
    }
    for (const [name] of plan) clients[name] = await attachClient(s[name]!);
  });
  after(async () => {
    await stopAllNsHosts();
    await cleanupAll();
    await etcd?.stop();
    assert.deepEqual(rootPtyMounts(), mountsBefore, "this machine's /dev/pts and /dev/ptmx are untouched");
  });

  test("sessions --fleet lists every host's sessions with the right host and id", async () => {
    await fleetListIs(['a1', 'b1', 'a2', 'c2', 'b3', 'c3'].map(row), 20_000);
    // The ids are the daemons' own: what each host's `sessions --json` says.
    for (const h of [h1, h2, h3]) {
      const ids = (await h.sessions()).map((r) => r.id).sort();
      const mine = Object.keys(s).filter((n) => hostOf[n] === h);
      assert.deepEqual(ids, mine.map(id).sort(), `${h.name}: sessions --json ids`);
    }
    const table = await admin(['sessions', '--fleet']);
    assert.match(table.stdout, /^HOST\s+ID\s+USER/m);
    for (const n of ['a1', 'c2', 'b3'])
      assert.match(table.stdout, new RegExp(`^${hostOf[n]!.name}\\s+${id(n)}\\s+${s[n]!.user}`, 'm'));
  });

  test('revoke --fleet user:X from outside ends X on every host and spares the others; unrevoke lifts it', async () => {
    const marks = new Map([h1, h2, h3].map((h) => [h, h.daemon!.events.length]));
    const r = await admin(['revoke', '--fleet', 'user:mw-test-alice', '--reason', 'offboarding OPS-12']);
    assert.equal(r.code, 0, r.stderr);
    for (const n of ['a1', 'a2']) {
      const h = hostOf[n]!;
      const e = await h.daemon!.waitForEvent(
        (x) => x.event === 'session.terminate' && x.pid === s[n]!.nsPid,
        20_000,
        marks.get(h),
      );
      assert.equal(e.reason, 'revoked', JSON.stringify(e));
      assert.equal(await waitForExit(s[n]!.pid, 15_000, s[n]!.startTime), true, `${n} ended`);
    }
    for (const n of ['a1', 'a2']) await clients[n]!.waitForText('[mosh is exiting.]', 15_000);
    await fleetListIs(['b1', 'c2', 'b3', 'c3'].map(row), 20_000);
    for (const n of ['b1', 'c2', 'b3', 'c3']) assert.ok(alive(n), `${n} lives`);
    assert.equal(h3.daemon!.events.slice(marks.get(h3)).filter((e) => e.event === 'session.terminate').length, 0);

    // Lifted: a new session of alice lives again on every host's daemon's watch.
    const u = await admin(['unrevoke', '--fleet', 'user:mw-test-alice']);
    assert.equal(u.code, 0, u.stderr);
    for (const h of [h1, h2, h3]) {
      const deadline = Date.now() + 20_000;
      while ((h.fleet.fileLines() ?? ['?']).length > 0 && Date.now() < deadline) await sleep(50);
      assert.deepEqual(h.fleet.fileLines(), [], `${h.name}: the fleet file is empty again`);
    }
    const mark = h2.daemon!.events.length;
    s.a2b = await h2.startSession('mw-test-alice');
    hostOf.a2b = h2;
    clients.a2b = await attachClient(s.a2b);
    await h2.daemon!.waitForEvent((e) => e.event === 'session.start' && e.pid === s.a2b!.nsPid, 20_000, mark);
    await fleetListIs(['b1', 'c2', 'a2b', 'b3', 'c3'].map(row), 20_000);
    assert.ok(alive('a2b'), 'after unrevoke a new session of alice lives');
    assert.equal(h2.daemon!.events.slice(mark).filter((e) => e.event === 'session.terminate').length, 0);
  });

  test('terminate --fleet ID ends exactly that one session', async () => {
    const marks = [h1, h2, h3].map((h) => h.daemon!.events.length);
    const r = await admin(['terminate', '--fleet', id('c3'), '--reason', 'suspicious']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /is gone/);
    assert.equal(await waitForExit(s.c3!.pid, 15_000, s.c3!.startTime), true, 'c3 ended');
    const e = await h3.daemon!.waitForEvent(
      (x) => x.event === 'session.terminate' && x.pid === s.c3!.nsPid,
      5_000,
      marks[2],
    );
    assert.equal(e.reason, 'revoked', JSON.stringify(e));
    for (const n of ['b1', 'c2', 'a2b', 'b3']) assert.ok(alive(n), `${n} lives`);
    const terminated = [h1, h2, h3].flatMap((h, i) =>
      h.daemon!.events.slice(marks[i]).filter((x) => x.event === 'session.terminate'),
    );
    assert.equal(terminated.length, 1, JSON.stringify(terminated));
    await fleetListIs(['b1', 'c2', 'a2b', 'b3'].map(row), 20_000);
  });

  test('a host whose services are SIGKILLed leaves sessions --fleet by itself (its lease expires)', async () => {
    await fleetListIs(['b1', 'c2', 'a2b', 'b3'].map(row), 20_000);
    await h2.stopDaemon('SIGKILL');
    await h2.fleet.stop('SIGKILL');
    const killedAt = Date.now();
    // Nobody deletes fleet-2's keys: only the lease's expiry (TTL 3 s) can take them away.
    const took = await fleetListIs(['b1', 'b3'].map(row), 30_000);
    const hosts = await etcd.ctl(['get', '--prefix', `${P}hosts/`, '--keys-only']);
    assert.deepEqual(hosts.split('\n').filter(Boolean).sort(), [`${P}hosts/fleet-1`, `${P}hosts/fleet-3`]);
    process.stdout.write(
      `# fleet-2 gone from sessions --fleet ${Date.now() - killedAt} ms after SIGKILL (poll ${took} ms; lease TTL ${TTL_S} s)\n`,
    );
    // Its sessions were not ended: only the services died.
    assert.ok(alive('c2') && alive('a2b'), "fleet-2's sessions live on without its services");
  });
});
