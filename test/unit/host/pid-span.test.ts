import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listAfter, planRead, probedPids, probeLimit, type PlanInput } from '../../../src/host/pid-span.js';

const base: PlanInput = {
  full: false,
  mustList: false,
  last: 5_000,
  newest: 5_000,
  forks: 0,
  pidMax: 32_768,
  tableSize: 10_000,
  probedSinceList: 0,
};

test('planRead: nothing when no process was created since the last look', () => {
  assert.deepEqual(planRead(base), { kind: 'none', why: 'no new process' });
});

test('planRead: a listing when asked, first, full, or when the pid counter cannot be read', () => {
  assert.equal(planRead({ ...base, full: true }).kind, 'list');
  assert.deepEqual(planRead({ ...base, mustList: true }), { kind: 'list', why: 'asked' });
  assert.deepEqual(planRead({ ...base, last: null }), { kind: 'list', why: 'first' });
  assert.deepEqual(planRead({ ...base, newest: null, forks: 1 }), { kind: 'list', why: 'unknown' });
  assert.deepEqual(planRead({ ...base, newest: 5_001, forks: null }), { kind: 'list', why: 'unknown' });
});

test('planRead: a few new pids are probed, exactly the ones after the last look', () => {
  const plan = planRead({ ...base, newest: 5_003, forks: 3 });
  assert.equal(plan.kind, 'probe');
  assert.deepEqual([...probedPids(plan as Extract<typeof plan, { kind: 'probe' }>)], [5_001, 5_002, 5_003]);
});

test('planRead: a wrap of the counter probes the end of the range, then from 1', () => {
  const plan = planRead({ ...base, last: 32_765, newest: 2, forks: 4 });
  assert.equal(plan.kind, 'probe');
  assert.deepEqual([...probedPids(plan as Extract<typeof plan, { kind: 'probe' }>)], [32_766, 32_767, 1, 2]);
  // pid_max unknown, or below the last pid seen (root lowered it): list
  const wrapped = { ...base, last: 32_765, newest: 2, forks: 4 };
  assert.deepEqual(planRead({ ...wrapped, pidMax: null }), { kind: 'list', why: 'unknown' });
  assert.deepEqual(planRead({ ...wrapped, pidMax: 30_000 }), { kind: 'list', why: 'unknown' });
});

test('planRead: a counter moved back (ns_last_pid written) is a long span: listed', () => {
  assert.deepEqual(planRead({ ...base, last: 20_000, newest: 19_000, forks: 1 }), { kind: 'list', why: 'long span' });
});

test('planRead: more forks than the span holds pids means the counter went round: listed', () => {
  // A user forks ~32,768 processes between two looks; the newest pid lands just after the last one.
  assert.equal(planRead({ ...base, newest: 5_003, forks: 3 }).kind, 'probe');
  assert.deepEqual(planRead({ ...base, newest: 5_003, forks: 4 }), { kind: 'list', why: 'more forks than pids' });
  assert.deepEqual(planRead({ ...base, newest: 5_003, forks: 32_771 }), { kind: 'list', why: 'more forks than pids' });
  // ... or exactly on it
  assert.deepEqual(planRead({ ...base, forks: 32_768 }), { kind: 'list', why: 'more forks than pids' });
});

test('planRead: a long span lists; so do probes that add up since the last listing', () => {
  const limit = probeLimit(base.tableSize);
  assert.equal(planRead({ ...base, newest: 5_000 + limit, forks: 1 }).kind, 'probe');
  assert.deepEqual(planRead({ ...base, newest: 5_001 + limit, forks: 1 }), { kind: 'list', why: 'long span' });
  const after = listAfter(base.tableSize);
  assert.equal(planRead({ ...base, newest: 5_010, forks: 1, probedSinceList: after - 10 }).kind, 'probe');
  assert.deepEqual(planRead({ ...base, newest: 5_010, forks: 1, probedSinceList: after - 9 }), {
    kind: 'list',
    why: 'probed enough',
  });
});

test('probe limits: small tables still probe a few pids; big ones a tenth of the table', () => {
  assert.equal(probeLimit(10), 64);
  assert.equal(probeLimit(10_000), 1_000);
  assert.equal(listAfter(10), 1_000);
  assert.equal(listAfter(10_000), 5_000);
});
