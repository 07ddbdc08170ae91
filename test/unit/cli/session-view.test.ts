import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sessionJson, sessionsTable } from '../../../src/cli/session-view.js';
import type { Verdict } from '../../../src/core/types.js';
import { MIN, T, policy, session } from './fixtures.js';

const keep: Verdict = { action: 'keep', reason: 'ok', at: T + 48 * MIN, rule: null };

test('sessions --json: the contract fields, and detached_since only while detached', () => {
  const j = sessionJson(session({}), keep, policy, T);
  assert.deepEqual(
    {
      pid: j.pid,
      user: j.user,
      uid: j.uid,
      tty: j.tty,
      age: j.age_seconds,
      from: j.from,
      client: j.client,
      state: j.state,
      idle: j.idle_seconds,
      out: j.last_output_seconds,
    },
    {
      pid: 4242,
      user: 'mw-alice',
      uid: 1001,
      tty: 'pts/3',
      age: 3600,
      from: '198.51.100.7',
      client: null,
      state: 'detached',
      idle: 1200,
      out: 60,
    },
  );
  assert.equal(j.detached_since, new Date(T - 12 * MIN).toISOString());
  assert.deepEqual(j.verdict, { action: 'keep', reason: 'ok', at: new Date(T + 48 * MIN).toISOString(), rule: null });
  assert.equal(
    sessionJson(session({ state: 'attached', client: '198.51.100.9' }), keep, policy, T).detached_since,
    null,
  );
});

test('the table shows how long a session has been detached, and the client of an attached one', () => {
  const table = sessionsTable(
    [
      { session: session({}), verdict: keep },
      { session: session({ pid: 7, state: 'attached', client: '198.51.100.9' }), verdict: keep },
    ],
    policy,
    T,
  );
  const [header, detached, attached] = table.split('\n');
  assert.match(header!, /^PID\s+USER\s+TTY\s+FROM\s+STATE\s+IDLE\s+AGE\s+VERDICT$/);
  assert.match(detached!, /detached 12m/);
  assert.match(attached!, /attached 198\.51\.100\.9/);
});

test('--wide adds the session id as the last column; the required columns keep their places', () => {
  const s = session({ id: 'web-1/4242-99' });
  const [header, row] = sessionsTable([{ session: s, verdict: keep }], policy, T, undefined, { wide: true }).split(
    '\n',
  );
  assert.match(header!, /^PID\s+USER\s+TTY\s+FROM\s+STATE\s+IDLE\s+AGE\s+VERDICT\s+ID$/);
  assert.match(row!, /\sweb-1\/4242-99$/);
  assert.doesNotMatch(sessionsTable([{ session: s, verdict: keep }], policy, T), /web-1\/4242-99/);
});
