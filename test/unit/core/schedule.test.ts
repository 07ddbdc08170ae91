import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sweepVerdict } from '../../../src/core/schedule.js';
import type { Limits, Policy, Schedule, Session } from '../../../src/core/types.js';

const T = 1_800_000_000_000;
const defaults: Limits = {
  idleTimeoutMs: null,
  countOutput: false,
  warnBeforeMs: null,
  graceMs: 1000,
  maxAgeMs: null,
  detachedTimeoutMs: null,
  exempt: false,
};
const policy: Pick<Policy, 'rules' | 'defaults'> = {
  defaults,
  rules: [
    { index: 0, users: ['mw-boss'], groups: [], overrides: { exempt: true } },
    { index: 1, users: [], groups: ['contractors'], overrides: { idleTimeoutMs: 60_000 } },
  ],
};
const sched = (over: Partial<Schedule>): Schedule => ({
  index: 0,
  cron: '0 3 * * *',
  timezone: null,
  terminate: 'detached',
  users: [],
  groups: [],
  ...over,
});
const s = (over: Partial<Session>): Pick<Session, 'user' | 'groups' | 'state'> => ({
  user: 'mw-alice',
  groups: ['mw-alice', 'contractors'],
  state: 'detached',
  ...over,
});

test('terminate: detached ends detached sessions only, never waiting or unknown ones', () => {
  assert.deepEqual(sweepVerdict(s({}), sched({}), policy, T), {
    action: 'terminate',
    reason: 'schedule',
    at: T,
    rule: 1,
    limits: { ...defaults, idleTimeoutMs: 60_000 },
  });
  for (const state of ['attached', 'waiting', 'unknown'] as const)
    assert.equal(sweepVerdict(s({ state }), sched({}), policy, T), null, state);
});

test('terminate: all ends attached and waiting sessions too', () => {
  for (const state of ['attached', 'waiting', 'detached', 'unknown'] as const)
    assert.equal(sweepVerdict(s({ state }), sched({ terminate: 'all' }), policy, T)?.reason, 'schedule', state);
});

test('users/groups limit the sweep like a rule: the user listed OR in a listed group', () => {
  assert.equal(sweepVerdict(s({}), sched({ groups: ['contractors'] }), policy, T)?.action, 'terminate');
  assert.equal(sweepVerdict(s({}), sched({ users: ['mw-alice'] }), policy, T)?.action, 'terminate');
  assert.equal(
    sweepVerdict(s({ user: 'mw-bob', groups: ['mw-bob'] }), sched({ groups: ['contractors'] }), policy, T),
    null,
  );
  assert.equal(
    sweepVerdict(
      s({ user: 'mw-bob', groups: ['mw-bob'] }),
      sched({ users: ['mw-alice'], groups: ['contractors'] }),
      policy,
      T,
    ),
    null,
  );
});

test('exempt sessions and sessions with unknown names are never swept', () => {
  assert.equal(sweepVerdict(s({ user: 'mw-boss', groups: ['mw-boss'] }), sched({ terminate: 'all' }), policy, T), null);
  assert.equal(
    sweepVerdict(s({ user: null }), sched({ terminate: 'all' }), policy, T),
    null,
    'unknown user: rule 0 cannot be ruled out',
  );
  assert.equal(sweepVerdict(s({ groups: null }), sched({ groups: ['contractors'] }), policy, T), null);
});
