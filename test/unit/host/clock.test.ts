import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deferFirst, slicer, watchBlocks } from '../../../src/host/clock.js';

const busy = (ms: number) => {
  const t = performance.now();
  while (performance.now() - t < ms) {
    // hold the event loop
  }
};

test('watchBlocks sees a block of the event loop at least as long as it was', async () => {
  const w = watchBlocks();
  await new Promise((r) => setTimeout(r, 10)); // the monitor's timer has fired at least once
  busy(40);
  await new Promise((r) => setTimeout(r, 10));
  // A lower bound only: a loaded machine can make the block look longer, never shorter.
  assert.ok(w.stop() >= 38);
});

test('a paused slicer resumes only after the work queued with deferFirst, however many turns it takes', async () => {
  const order: string[] = [];
  const s = slicer(0);
  const paused = (async () => {
    await new Promise((r) => setTimeout(r, 1)); // the budget (0 ms) is spent
    const p = s.pause();
    assert.ok(p instanceof Promise, 'past its budget, pause yields');
    // A batch of three turns, each queuing the next, starting after the pause began.
    let left = 3;
    const turn = () => {
      order.push(`batch ${left}`);
      if (--left > 0) deferFirst(turn);
    };
    deferFirst(turn);
    await p;
    order.push('resumed');
  })();
  await paused;
  assert.deepEqual(order, ['batch 3', 'batch 2', 'batch 1', 'resumed']);
});
