// The soak's plan (bench/soak/plan.ts): the seed decides everything, and the plan keeps the promises the
// soak makes (every target kind, sessions without a client end before mosh's own 60 s, restarts early).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makePlan, NO_CLIENT_LIFETIME_MAX_MS, TARGET_KINDS } from '../../../bench/soak/plan.js';

test('the same seed gives the same plan, another seed another', () => {
  assert.deepEqual(makePlan(42, 600), makePlan(42, 600));
  assert.notDeepEqual(makePlan(42, 600), makePlan(43, 600));
});

test('a plan covers every target kind, concurrent appends, every way out, config edits and restarts', () => {
  for (const seconds of [60, 600]) {
    const p = makePlan(7, seconds);
    assert.deepEqual(new Set(p.revocations.map((r) => r.kind)), new Set(TARGET_KINDS), `${seconds} s`);
    const atTwice = p.revocations.filter((r, i) => p.revocations.some((o, j) => j !== i && o.at === r.at));
    if (seconds === 600) {
      assert.ok(atTwice.length > 0, 'some appended together');
      assert.deepEqual(new Set(p.revocations.map((r) => r.end)), new Set(['unrevoke', 'rename', 'until']));
      assert.ok(p.daemonOps.some((o) => o.op === 'config'));
    }
    const restarts = p.daemonOps.filter((o) => o.op === 'restart-mid-grace');
    assert.ok(restarts.length >= 1 && restarts.every((r) => r.at < (seconds * 1_000) / 2 + 3_000));
    for (const s of p.sessions) {
      if (!s.client) assert.ok(s.lifetimeMs <= NO_CLIENT_LIFETIME_MAX_MS);
      assert.ok(s.at + s.lifetimeMs <= seconds * 1_000, 'ends within the run');
      assert.ok(s.ops.every((o) => o.at < s.lifetimeMs));
    }
  }
});
