import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FULL_SCAN_EVERY_MS, PassRunner, type PassRequest } from '../../../src/daemon/runner.js';

function harness(fullEveryMs?: number) {
  let now = 1_000_000;
  const passes: PassRequest[] = [];
  const timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  let gate: Promise<void> | null = null;
  const runner = new PassRunner(
    {
      now: () => now,
      monotonic: () => now,
      defer: (fn) => void setImmediate(fn),
      setTimer: (fn, ms) => {
        const t = { at: now + ms, fn, cancelled: false };
        timers.push(t);
        return { cancel: () => void (t.cancelled = true) };
      },
    },
    async (req) => {
      passes.push(req);
      if (gate) await gate;
    },
    () => {},
    fullEveryMs,
  );
  return {
    runner,
    passes,
    timers,
    advance: (ms: number) => (now += ms),
    hold: () => {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = null;
        release();
      };
    },
  };
}

test('a burst of requests costs one pass, with every trigger in it', async () => {
  const h = harness();
  await Promise.all([h.runner.request('pts'), h.runner.request('pts'), h.runner.request('utmp')]);
  assert.equal(h.passes.length, 1);
  assert.deepEqual([...h.passes[0]!.triggers].sort(), ['pts', 'utmp']);
});

test('requests during a pass make exactly one more pass after it', async () => {
  const h = harness();
  const release = h.hold();
  const first = h.runner.request('start');
  await new Promise((r) => setImmediate(r));
  void h.runner.request('revocation');
  void h.runner.request('pts');
  release();
  await first;
  assert.deepEqual(
    h.passes.map((p) => [...p.triggers].sort()),
    [['start'], ['pts', 'revocation']],
  );
});

test('full reads: at start, then once the safety interval has passed', async () => {
  const h = harness();
  await h.runner.request('start');
  await h.runner.request('timer');
  h.advance(FULL_SCAN_EVERY_MS);
  await h.runner.request('timer');
  assert.deepEqual(
    h.passes.map((p) => p.full),
    [true, false, true],
  );
});

test('a shorter full-read interval (the benchmark’s knob) makes every pass past it a full read', async () => {
  const h = harness(0);
  await h.runner.request('start');
  await h.runner.request('timer');
  await h.runner.request('pts');
  assert.deepEqual(
    h.passes.map((p) => p.full),
    [true, true, true],
  );
});

test('wakeAt keeps one timer, slightly after the due time; stop cancels it and refuses new ones', () => {
  const h = harness();
  h.runner.wakeAt(1_000_000 + 500);
  h.runner.wakeAt(1_000_000 + 200);
  assert.deepEqual(
    h.timers.map((t) => [t.at, t.cancelled]),
    [
      [1_000_505, true],
      [1_000_205, false],
    ],
  );
  h.runner.stop();
  assert.equal(h.timers[1]!.cancelled, true);
  h.runner.wakeAt(1_000_000 + 900);
  assert.equal(h.timers.length, 2);
});
