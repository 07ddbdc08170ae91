import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAuditLine, type HistoryEvent } from '../../../src/history/events.js';
import { HistoryBuilder, type HistoryRow } from '../../../src/history/reconstruct.js';
import { MIN, T0, attach, daemonStart, daemonStop, end, start, terminate } from './fixtures.js';

function rows(lines: string[], keep?: (r: HistoryRow) => boolean): HistoryRow[] {
  const b = new HistoryBuilder(keep);
  for (const l of lines) {
    const ev = parseAuditLine(l);
    if (typeof ev === 'string') throw new Error(`fixture line did not parse: ${l}`);
    b.push(ev as HistoryEvent);
  }
  return b.finish();
}

test('one session: start, a roaming client, revoked with its revocation entry', () => {
  const [r, ...rest] = rows([
    daemonStart(0),
    start(1, 42, 'mw-alice', 0, { state: 'attached', client: '198.51.100.9' }),
    attach(10, 42, 'mw-alice', '203.0.113.5'),
    attach(11, 42, 'mw-alice', '198.51.100.9'),
    terminate(20, 42, 'mw-alice', 'revoked', { revocation: { target: 'user:mw-alice', line: 2, reason: 'OPS-12' } }),
    end(20, 42, 'mw-alice', 'revoked', 20),
  ]);
  assert.equal(rest.length, 0);
  assert.equal(r!.user, 'mw-alice');
  assert.equal(r!.from, '198.51.100.7');
  assert.deepEqual(r!.clients, ['198.51.100.9', '203.0.113.5']);
  assert.equal(r!.startedAt, T0);
  assert.equal(r!.startLogged, true);
  assert.deepEqual(r!.ending, {
    kind: 'ended',
    at: T0 + 20 * MIN,
    reason: 'revoked',
    revocation: { target: 'user:mw-alice', line: 2, reason: 'OPS-12' },
  });
});

test('a daemon restart logs session.start again: merged into one row, not two', () => {
  const r = rows([daemonStart(0), start(1, 42, 'a', 0), daemonStop(30), daemonStart(31), start(31, 42, 'a', 0)]);
  assert.equal(r.length, 1);
  assert.deepEqual(r[0]!.ending, { kind: 'still_on' });
});

test('open at daemon.stop and not back after daemon.start: ended while the daemon was down, no end time invented', () => {
  const lines = [daemonStart(0), start(1, 42, 'a', 0), start(2, 43, 'b', 2), daemonStop(30), daemonStart(35)];
  const atFinish = rows([...lines, start(35, 43, 'b', 2)]);
  assert.deepEqual(atFinish.find((r) => r.pid === 42)!.ending, {
    kind: 'daemon_down',
    after: T0 + 30 * MIN,
    before: T0 + 35 * MIN,
  });
  assert.deepEqual(atFinish.find((r) => r.pid === 43)!.ending, { kind: 'still_on' }, 'b survived the restart');
  // Decided at the next restart too, and then the pid may be reused without confusion.
  const later = rows([...lines, daemonStop(50), daemonStart(51), start(52, 42, 'c', 52)]);
  assert.equal(later.length, 3);
  assert.equal(later.find((r) => r.user === 'a')!.ending.kind, 'daemon_down');
  assert.equal(later.find((r) => r.user === 'b')!.ending.kind, 'daemon_down');
  assert.deepEqual(later.find((r) => r.user === 'c')!.ending, { kind: 'still_on' });
});

test('a daemon that died without daemon.stop: the end lies after its last line', () => {
  // The daemon's last line (08:20, about another session) says 42 was still on then: it logged no end.
  const lines = [daemonStart(0), start(1, 42, 'a', 0), attach(7, 42, 'a', '10.0.0.1'), start(20, 43, 'b', 20)];
  const r = rows([...lines, daemonStart(40), start(40, 43, 'b', 20)]);
  assert.deepEqual(r.find((x) => x.pid === 42)!.ending, {
    kind: 'daemon_down',
    after: T0 + 20 * MIN,
    before: T0 + 40 * MIN,
  });
});

test('the log ends while the daemon is stopped: unknown, not "still on"', () => {
  const r = rows([daemonStart(0), start(1, 42, 'a', 0), daemonStop(30)]);
  assert.deepEqual(r[0]!.ending, { kind: 'unknown', after: T0 + 30 * MIN });
});

test('a session whose start was rotated away: start from session.end duration, marked as not logged', () => {
  const [r] = rows([attach(5, 42, 'a', '10.0.0.9'), end(60, 42, 'a', null, 90)]);
  assert.equal(r!.startLogged, false);
  assert.equal(r!.startedAt, T0 - 30 * MIN);
  assert.equal(r!.from, null);
  assert.deepEqual(r!.clients, ['10.0.0.9']);
  const [noEnd] = rows([attach(5, 43, 'b', '10.0.0.9')]);
  assert.equal(noEnd!.startedAt, null, 'nothing to derive it from: unknown');
});

test('why it ended: the end line, else the SIGTERM reason before it, else by itself', () => {
  const byTerm = rows([start(0, 42, 'a', 0), terminate(30, 42, 'a', 'idle'), end(30, 42, 'a', null, 30)]);
  assert.equal(byTerm[0]!.ending.kind === 'ended' && byTerm[0]!.ending.reason, 'idle');
  const itself = rows([start(0, 42, 'a', 0), end(30, 42, 'a', null, 30)]);
  assert.equal(itself[0]!.ending.kind === 'ended' && itself[0]!.ending.reason, null);
});

test('the end logged twice (daemon and `moshwarden terminate`), in either order: one row, reason manual', () => {
  for (const order of [
    [end(30, 42, 'a', null, 30), end(30, 42, 'a', 'manual', 30)],
    [end(30, 42, 'a', 'manual', 30), end(30, 42, 'a', null, 30)],
  ]) {
    const r = rows([start(0, 42, 'a', 0), ...order]);
    assert.equal(r.length, 1);
    assert.equal(r[0]!.ending.kind === 'ended' && r[0]!.ending.reason, 'manual');
  }
});

test('a reused pid without an end line: the old session ends unknown, the new one is its own row', () => {
  const r = rows([daemonStart(0), start(1, 42, 'a', 0), start(50, 42, 'b', 50)]);
  assert.deepEqual(
    r.map((x) => [x.user, x.ending.kind]),
    [
      ['b', 'still_on'],
      ['a', 'unknown'],
    ],
  );
});

test('an id, when both lines have one, must agree; without one the pid matches', () => {
  const withId = rows([
    start(0, 42, 'a', 0, { id: 'h/42-1' }),
    end(5, 42, 'a', null, 5).replace('"pid"', '"id":"h/42-2","pid"'),
  ]);
  assert.equal(withId.length, 2, 'another id is another session');
  const mixed = rows([start(0, 42, 'a', 0), end(5, 42, 'a', null, 5).replace('"pid"', '"id":"h/42-1","pid"')]);
  assert.equal(mixed.length, 1);
  assert.equal(mixed[0]!.id, 'h/42-1');
});

test('newest first; rows the filter drops are not kept', () => {
  const lines = [start(0, 1, 'a', 0), start(10, 2, 'b', 10), end(20, 1, 'a', null, 20)];
  assert.deepEqual(
    rows(lines).map((r) => r.user),
    ['b', 'a'],
  );
  assert.deepEqual(
    rows(lines, (r) => r.user === 'a').map((r) => r.user),
    ['a'],
  );
});
