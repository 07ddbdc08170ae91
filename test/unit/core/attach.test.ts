import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HOLD_MS, settleState } from '../../../src/core/attach.js';

const T = 1_800_000_000_000;

test('a first sighting is taken as utmp says, detached included (a daemon restart keeps the flip time)', () => {
  assert.deepEqual(settleState(null, { state: 'detached', stateSince: T - 600_000 }, T, T), {
    state: 'detached',
    stateSince: T - 600_000,
    recheckAt: null,
  });
  assert.deepEqual(settleState(null, { state: 'waiting', stateSince: T }, T, T), {
    state: 'waiting',
    stateSince: T,
    recheckAt: null,
  });
});

test('attached → detached is held until utmp has said detached for the hold, then dated from the flip', () => {
  const flip = T - 1_000;
  const held = settleState('attached', { state: 'detached', stateSince: flip }, T, T);
  assert.deepEqual(held, { state: 'attached', stateSince: null, recheckAt: flip + HOLD_MS });
  const believed = settleState('attached', { state: 'detached', stateSince: flip }, flip + HOLD_MS, T);
  assert.deepEqual(believed, { state: 'detached', stateSince: flip, recheckAt: null });
});

test('a flip seen late (long after it happened) is believed at once', () => {
  assert.equal(settleState('attached', { state: 'detached', stateSince: T - 40_000 }, T, T).state, 'detached');
});

test('the reconnect flap attached → detached → attached never shows as detached', () => {
  let state = settleState(null, { state: 'attached', stateSince: T }, T, T).state;
  state = settleState(state, { state: 'detached', stateSince: T + 1_000 }, T + 1_500, T + 1_500).state;
  assert.equal(state, 'attached');
  state = settleState(state, { state: 'attached', stateSince: T + 2_000 }, T + 2_500, T + 1_500).state;
  assert.equal(state, 'attached');
});

test('without a flip time the hold counts from the first scan that saw it', () => {
  assert.equal(settleState('attached', { state: 'detached', stateSince: null }, T + 2_000, T).state, 'attached');
  assert.deepEqual(settleState('attached', { state: 'detached', stateSince: null }, T + HOLD_MS, T), {
    state: 'detached',
    stateSince: T,
    recheckAt: null,
  });
});

test('utmp being rewritten (no record for a moment, then detached) is held like a detach, dated from the flip', () => {
  // Measured: a scan woken by libutempter's write saw no record ("unknown"), one 1 ms later "detached".
  const first = settleState('attached', { state: 'unknown', stateSince: null }, T, T);
  assert.deepEqual(first, { state: 'attached', stateSince: null, recheckAt: T + HOLD_MS });
  assert.equal(settleState('attached', { state: 'detached', stateSince: T }, T + 1, T + 1).state, 'attached');
  assert.deepEqual(settleState('attached', { state: 'detached', stateSince: T }, T + HOLD_MS, T + 1), {
    state: 'detached',
    stateSince: T,
    recheckAt: null,
  });
  // A detached session whose record vanishes for a moment stays detached (its clock keeps running).
  assert.equal(settleState('detached', { state: 'unknown', stateSince: null }, T + 1_000, T).state, 'detached');
  assert.equal(
    settleState('detached', { state: 'unknown', stateSince: null }, T + HOLD_MS, T).state,
    'unknown',
    'a record gone for good is believed',
  );
});

test('attach, and changes out of waiting or unknown, are taken at once', () => {
  assert.deepEqual(settleState('detached', { state: 'attached', stateSince: T }, T, T), {
    state: 'attached',
    stateSince: T,
    recheckAt: null,
  });
  assert.deepEqual(settleState('waiting', { state: 'attached', stateSince: T }, T, T), {
    state: 'attached',
    stateSince: T,
    recheckAt: null,
  });
  assert.equal(settleState('unknown', { state: 'detached', stateSince: T }, T, T).state, 'detached');
});
