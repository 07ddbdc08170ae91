// The daemon's side of the sessions file: what it writes (read back by the fleet service's own parser),
// and when (a change, not the passage of time), with an injected clock and write.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import type { Policy, Verdict } from '../../../src/core/types.js';
import { parseConfig } from '../../../src/config/load.js';
import { parseSessionsFile, renderSessionsFile, sessionsChangeKey } from '../../../src/fleet/sessions-file.js';
import { SessionsWriter } from '../../../src/service/sessions-writer.js';
import { MIN, T0, sessionAt } from '../fixtures.js';

const KEEP: Verdict = { action: 'keep', reason: 'ok', at: null, rule: null };

function policy(fleet: boolean): Policy {
  const r = parseConfig(
    fleet ? 'fleet:\n  endpoints: [http://127.0.0.1:2379]\n  host: web-1\n  sessions_file: /run/x/s.json\n' : '',
    'c.yaml',
    'web-1',
  );
  assert.ok(r.ok);
  return r.policy;
}

const alice = sessionAt({ id: 'web-1/100-1', pid: 100, startTicks: 1 });
const bob = sessionAt({ id: 'web-1/200-7', pid: 200, startTicks: 7, user: 'mw-bob', uid: 1002 });

describe('sessions file: content', () => {
  test('the fleet service reads back every element with its id, as the sessions --json element', () => {
    const text = renderSessionsFile(
      'web-1',
      [
        { session: bob, verdict: KEEP },
        { session: alice, verdict: null },
      ],
      policy(true),
      T0 + MIN,
    );
    const back = parseSessionsFile(text, 'web-1');
    assert.ok(typeof back !== 'string');
    assert.deepEqual(back.refused, []);
    assert.deepEqual(
      back.sessions.map((s) => s.id),
      ['web-1/100-1', 'web-1/200-7'],
    );
    const first = JSON.parse(back.sessions[0]!.value) as Record<string, unknown>;
    assert.equal(first.user, 'mw-alice');
    assert.equal(first.age_seconds, 60);
    assert.equal(first.verdict, null, 'not decided yet');
    assert.equal(back.writtenAt, new Date(T0 + MIN).toISOString());
  });

  test('the change key ignores time, and sees starts, ends, state and verdict changes', () => {
    const key = (rows: Parameters<typeof sessionsChangeKey>[1]) => sessionsChangeKey('web-1', rows);
    const base = key([{ session: alice, verdict: KEEP }]);
    assert.equal(
      key([{ session: { ...alice, lastInputAt: T0 + 5 * MIN }, verdict: { ...KEEP, at: T0 + 9 * MIN } }]),
      base,
    );
    assert.notEqual(key([]), base);
    assert.notEqual(
      key([
        { session: alice, verdict: KEEP },
        { session: bob, verdict: KEEP },
      ]),
      base,
    );
    assert.notEqual(key([{ session: { ...alice, state: 'detached', client: null }, verdict: KEEP }]), base);
    assert.notEqual(key([{ session: alice, verdict: { ...KEEP, reason: 'exempt' } }]), base);
    assert.notEqual(key([{ session: alice, verdict: { ...KEEP, rule: 0 } }]), base);
    assert.notEqual(sessionsChangeKey('web-2', [{ session: alice, verdict: KEEP }]), base);
  });
});

describe('sessions file: SessionsWriter', () => {
  function harness() {
    const writes: { path: string; text: string; mode: number }[] = [];
    const lines: Record<string, unknown>[] = [];
    let fail: string | null = null;
    const log = pino({ base: undefined, timestamp: false }, { write: (l: string) => lines.push(JSON.parse(l)) });
    const writer = new SessionsWriter({
      log,
      write: (path, text, mode) => {
        if (fail) throw Object.assign(new Error(fail), { code: fail });
        writes.push({ path, text, mode });
      },
    });
    return { writer, writes, lines, failWith: (code: string | null) => (fail = code) };
  }

  test('writes at the first pass, then only when something changed, 0644', () => {
    const h = harness();
    const p = policy(true);
    h.writer.update(p, [{ session: alice, verdict: KEEP }], T0);
    h.writer.update(p, [{ session: alice, verdict: KEEP }], T0 + 10 * MIN);
    assert.equal(h.writes.length, 1);
    assert.equal(h.writes[0]!.path, '/run/x/s.json');
    assert.equal(h.writes[0]!.mode, 0o644);
    h.writer.update(p, [], T0 + 11 * MIN);
    assert.equal(h.writes.length, 2);
    assert.deepEqual(JSON.parse(h.writes[1]!.text).sessions, []);
  });

  test('without a fleet: section nothing is written', () => {
    const h = harness();
    h.writer.update(policy(false), [{ session: alice, verdict: KEEP }], T0);
    assert.equal(h.writes.length, 0);
  });

  test('a failed write is said once and tried again on the next pass', () => {
    const h = harness();
    const p = policy(true);
    h.failWith('EACCES');
    h.writer.update(p, [], T0);
    h.writer.update(p, [], T0 + 1);
    assert.equal(h.lines.filter((l) => l.event === 'daemon.problem' && l.what === 'sessions_file').length, 1);
    h.failWith(null);
    h.writer.update(p, [], T0 + 2);
    assert.equal(h.writes.length, 1);
  });
});
