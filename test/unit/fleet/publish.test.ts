import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { keyLayout } from '../../../src/fleet/keys.js';
import type { LeaseHandle, LeaseHandlers } from '../../../src/fleet/port.js';
import { Publisher, type SessionsRead } from '../../../src/fleet/publish.js';
import { FakeEtcd } from './fake-etcd.js';

class Recorder extends FakeEtcd {
  applied: { puts: string[]; deletes: string[]; lease: string | null }[] = [];
  leases: LeaseHandlers[] = [];
  override async apply(ops: { puts: { key: string; value: string }[]; deletes: string[] }, lease: string | null) {
    if (this.down) throw new Error('unavailable');
    this.applied.push({ puts: ops.puts.map((p) => p.key), deletes: ops.deletes, lease });
    for (const p of ops.puts) this.put(p.key, p.value);
    for (const d of ops.deletes) this.del(d);
    return this.rev;
  }
  override async grantLease(_ttl: number, h: LeaseHandlers): Promise<LeaseHandle> {
    if (this.down) throw new Error('unavailable');
    this.leases.push(h);
    return { id: String(this.leases.length), revoke: async () => undefined, release: () => undefined };
  }
}

const L = keyLayout('/p/');
const settle = () => new Promise((r) => setTimeout(r, 20));

function setup() {
  const etcd = new Recorder();
  let read: SessionsRead = { kind: 'missing' };
  const p = new Publisher({
    port: etcd,
    layout: L,
    host: 'web-1',
    leaseTtlSeconds: 10,
    timers: { now: () => 0, after: (ms, fn) => ({ cancel: clearTimeout.bind(null, setTimeout(fn, ms)) }) },
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    readSessions: () => {
      const r = read;
      read = { kind: 'unchanged' };
      return r;
    },
    onContact: () => undefined,
    onStatus: () => undefined,
    hostFacts: { since: 'start' },
  });
  const sessions = (...ids: string[]) => {
    read = {
      kind: 'ok',
      snapshot: { writtenAt: 'w', refused: [], sessions: ids.map((id) => ({ id, value: `{"id":"${id}"}` })) },
    };
  };
  return { etcd, p, sessions };
}

describe('Publisher', () => {
  test('publishes on the lease, then only what changed; stale keys of an earlier run go', async () => {
    const t = setup();
    t.etcd.put('/p/sessions/web-1/9-9', '{"old":true}'); // left by a run that was killed
    t.sessions('web-1/1-1', 'web-1/2-2');
    t.p.kick();
    await settle();
    assert.deepEqual(t.etcd.applied, [
      {
        puts: ['/p/sessions/web-1/1-1', '/p/sessions/web-1/2-2', '/p/hosts/web-1'],
        deletes: ['/p/sessions/web-1/9-9'],
        lease: '1',
      },
    ]);
    t.sessions('web-1/2-2', 'web-1/3-3');
    t.p.kick();
    await settle();
    assert.deepEqual(t.etcd.applied[1], {
      puts: ['/p/sessions/web-1/3-3'], // the host's value (2 sessions) did not change
      deletes: ['/p/sessions/web-1/1-1'],
      lease: '1',
    });
    t.p.kick(); // nothing changed: nothing written
    await settle();
    assert.equal(t.etcd.applied.length, 2);
    assert.equal(t.p.sessions, 2);
  });

  test('after a reconnect or a lost lease, everything is written again', async () => {
    const t = setup();
    t.sessions('web-1/1-1');
    t.p.kick();
    await settle();
    t.p.resync();
    await settle();
    assert.deepEqual(t.etcd.applied[1]!.puts, ['/p/sessions/web-1/1-1', '/p/hosts/web-1']);
    t.etcd.leases[0]!.lost('expired');
    await settle();
    assert.deepEqual(t.etcd.applied[2], { puts: ['/p/sessions/web-1/1-1', '/p/hosts/web-1'], deletes: [], lease: '2' });
  });

  test('a failed write is retried until it lands', async () => {
    const t = setup();
    t.etcd.down = true;
    t.sessions('web-1/1-1');
    t.p.kick();
    await settle();
    assert.equal(t.etcd.applied.length, 0);
    assert.match(t.p.lastError!, /unavailable/);
    t.etcd.down = false;
    await new Promise((r) => setTimeout(r, 600));
    assert.deepEqual(t.etcd.applied[0]!.puts, ['/p/sessions/web-1/1-1', '/p/hosts/web-1']);
    assert.equal(t.p.lastError, null);
    await t.p.stop(false);
  });
});
