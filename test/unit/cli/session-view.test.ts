import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sessionJson, sessionsTable } from '../../../src/cli/session-view.js';
import type { Policy, Session, Verdict } from '../../../src/core/types.js';

const MIN = 60_000;
const T = Date.UTC(2026, 10, 24, 9, 0, 0);
const policy: Policy = {
  scanIntervalMs: 5000,
  dryRun: false,
  revocationFile: '/x',
  rules: [],
  schedules: [],
  defaults: {
    idleTimeoutMs: 30 * MIN,
    countOutput: false,
    warnBeforeMs: 2 * MIN,
    graceMs: 10_000,
    maxAgeMs: null,
    detachedTimeoutMs: 60 * MIN,
    exempt: false,
  },
  log: { level: 'info', auditFile: null },
  metrics: { textfile: null },
};
const session = (over: Partial<Session>): Session => ({
  pid: 4242,
  startTicks: 1,
  uid: 1001,
  user: 'mw-alice',
  groups: ['mw-alice'],
  tty: 'pts/3',
  startedAt: T - 60 * MIN,
  from: '198.51.100.7',
  client: null,
  state: 'detached',
  stateSince: T - 12 * MIN,
  port: 60001,
  lastInputAt: T - 20 * MIN,
  lastOutputAt: T - MIN,
  id: 'web-17/4242-1',
  comm: 'mosh-server',
  exe: '/usr/bin/mosh-server',
  clients: [],
  pty: null,
  ...over,
});
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
