// The simulated fleet hosts themselves (test/e2e/ns-host.ts): each host's daemon and CLI see only that
// host's real mosh sessions, neither host can signal the other's, a client attaches from outside, and this
// machine's own /dev/pts and /dev/ptmx are untouched while the hosts run and after. Run under the e2e lock.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Etcd } from './etcd.js';
import { attachClient, cleanupAll, ensureTestUsers, isAlive, waitForExit, type LogEvent } from './harness.js';
import { NsHost, nsSkipReason, rootPtyMounts, stopAllNsHosts, type SessionRow } from './ns-host.js';

const skip = nsSkipReason() ?? false;
const daemonConfig = ['scan_interval: 30s', 'defaults:', '  grace: 2s'];
const starts = (events: LogEvent[]) => events.filter((e) => e.event === 'session.start');
const rows = (list: SessionRow[]) => list.map((r) => [r.pid, r.user, r.tty].join(' ')).sort();

describe('simulated fleet hosts: PID, mount and UTS namespaces', { skip, timeout: 300_000 }, () => {
  let etcd: Etcd;
  const mountsBefore = skip ? [] : rootPtyMounts();

  before(async () => {
    ensureTestUsers();
    etcd = await Etcd.start();
  });
  after(async () => {
    await stopAllNsHosts();
    await cleanupAll();
    await etcd?.stop();
  });

  test("two hosts each see only their own sessions; neither daemon can see or signal the other's", async () => {
    const start = (host: string) => NsHost.start({ host, endpoints: [etcd.endpoint], daemonConfig });
    const [a, b] = await Promise.all([start('ns-a'), start('ns-b')]);
    assert.deepEqual(rootPtyMounts(), mountsBefore, "this machine's /dev/pts and /dev/ptmx mounts, hosts up");
    assert.equal((await a.exec(['hostname'])).stdout.trim(), 'ns-a');
    for (const h of [a, b]) h.fleet.start();
    const [da, db] = [await a.startDaemon(), await b.startDaemon()];
    for (const d of [da, db]) await d.waitForEvent((e) => e.event === 'daemon.start', 20_000);

    const aAlice = await a.startSession('mw-test-alice');
    const aBob = await a.startSession('mw-test-bob');
    const bAlice = await b.startSession('mw-test-alice');
    const bCarol = await b.startSession('mw-test-carol');
    // Each host numbers its ptys from 0 in its own devpts instance.
    assert.deepEqual([aAlice.tty, bAlice.tty], ['pts/0', 'pts/0']);
    assert.ok(fs.existsSync(aAlice.ptyPath), aAlice.ptyPath);
    // A client from outside, over the shared loopback, like a user's laptop.
    const client = await attachClient(aAlice);
    assert.ok(!client.clientExited());

    const own = (s: typeof aAlice) => [s.nsPid, s.user, s.tty].join(' ');
    assert.deepEqual(rows(await a.sessions()), [own(aAlice), own(aBob)].sort(), 'sessions --json on ns-a');
    assert.deepEqual(rows(await b.sessions()), [own(bAlice), own(bCarol)].sort(), 'sessions --json on ns-b');
    for (const [d, mine] of [
      [da, [aAlice, aBob]],
      [db, [bAlice, bCarol]],
    ] as const) {
      for (const s of mine) await d.waitForEvent((e) => e.event === 'session.start' && e.pid === s.nsPid, 20_000);
    }
    assert.equal(starts(da.events).length, 2, JSON.stringify(starts(da.events)));
    assert.equal(starts(db.events).length, 2, JSON.stringify(starts(db.events)));

    // As root inside ns-a, ns-b's sessions have no pid at all: nothing there can signal them.
    for (const s of [bAlice, bCarol]) {
      const r = await a.exec(['kill', '-0', String(s.pid)]);
      assert.notEqual(r.code, 0, `kill -0 ${s.pid} inside ns-a: ${r.stderr}`);
      assert.equal(fs.existsSync(`${a.root}/proc/${s.pid}`), false);
    }

    // ns-a revokes alice in its own revocation file: its alice ends, ns-b's alice lives on.
    const mark = da.events.length;
    fs.appendFileSync(`${a.fleet.dir}/revoked`, 'user:mw-test-alice\n', { mode: 0o600 });
    const ended = await da.waitForEvent((e) => e.event === 'session.terminate' && e.pid === aAlice.nsPid, 20_000, mark);
    assert.equal(ended.reason, 'revoked');
    assert.equal(await waitForExit(aAlice.pid, 10_000, aAlice.startTime), true);
    await da.waitForEvent((e) => e.event === 'session.end' && e.pid === aAlice.nsPid, 20_000, mark);
    assert.ok(isAlive(bAlice.pid, bAlice.startTime), "ns-b's alice lives");
    assert.ok(isAlive(aBob.pid, aBob.startTime) && isAlive(bCarol.pid, bCarol.startTime));
    assert.equal(da.events.filter((e) => e.event === 'session.terminate').length, 1);
    assert.equal(db.events.filter((e) => e.event === 'session.terminate').length, 0);
    assert.deepEqual(rows(await b.sessions()), [own(bAlice), own(bCarol)].sort(), 'ns-b unchanged');

    await Promise.all([a.stop(), b.stop()]);
    assert.ok(!a.up() && !b.up(), 'PID 1 of each host is gone');
    for (const s of [aBob, bAlice, bCarol]) assert.equal(isAlive(s.pid, s.startTime), false, `${s.pid} ended`);
    assert.deepEqual(rootPtyMounts(), mountsBefore, "this machine's /dev/pts and /dev/ptmx mounts, after");
  });
});
