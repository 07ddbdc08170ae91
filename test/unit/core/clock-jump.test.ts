import assert from 'node:assert/strict';
import { test } from 'node:test';
import { placeNew, restamp, wallJump } from '../../../src/core/clock-jump.js';
import { firstTrust } from '../../../src/core/pty-trust.js';

const T = Date.UTC(2026, 11, 6, 12, 0, 0);
const DAY = 86_400_000;

test('wallJump: the wall clock moving beyond the monotonic one by a second or more is a jump', () => {
  assert.equal(wallJump({ wall: T, mono: 5 }, { wall: T + 5_000, mono: 5_005 }), 0);
  assert.equal(wallJump({ wall: T, mono: 5 }, { wall: T + 5_900, mono: 5_005 }), 0, 'within tolerance');
  assert.equal(wallJump({ wall: T, mono: 5 }, { wall: T + DAY + 5_000, mono: 5_005 }), DAY);
  assert.equal(wallJump({ wall: T, mono: 5 }, { wall: T - 3_600_000 + 5_000, mono: 5_005 }), -3_600_000);
});

test('placeNew: a changed time nearer the old clock is carried over, one nearer the new clock stands', () => {
  const fwd = { deltaMs: DAY, now: T + DAY };
  assert.equal(placeNew(T - 3_000, fwd), T - 3_000 + DAY, 'written 3 s before the step');
  assert.equal(placeNew(T + DAY - 2_000, fwd), T + DAY - 2_000, 'written after it');
  const back = { deltaMs: -3_600_000, now: T - 3_600_000 };
  assert.equal(placeNew(T - 4_000, back), T - 4_000 - 3_600_000, 'ahead of now: from before the step');
  assert.equal(placeNew(T - 3_600_000 - 1_000, back), T - 3_600_000 - 1_000);
  assert.equal(placeNew(T - 4_000, null), T - 4_000);
});

test('restamp: an unchanged time keeps its carried-over place', () => {
  const prev = { raw: T, at: T + DAY };
  assert.equal(restamp(prev, T, null), prev);
  assert.deepEqual(restamp(prev, T + DAY + 10_000, null), { raw: T + DAY + 10_000, at: T + DAY + 10_000 });
});

test('first sight after the clock went back: times ahead of now with ctime ahead too are not tampering', () => {
  const ahead = T + 3_600_000;
  const pty = { atimeMs: ahead, mtimeMs: ahead, ctimeMs: ahead, atimeWhole: true, mtimeWhole: true };
  const r = firstTrust(pty, T - DAY, T);
  assert.deepEqual(r.tamper, []);
  assert.equal(r.trust.input, T, 'counted as now: nothing says the user has been idle');
  // ctime is now: only the atime was put ahead (touch -a -d), which is tampering.
  const touched = firstTrust({ ...pty, ctimeMs: T - 1_000 }, T - DAY, T);
  assert.match(touched.tamper[0]!.how, /future/);
});
