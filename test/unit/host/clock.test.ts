import assert from 'node:assert/strict';
import { test } from 'node:test';
import { watchBlocks } from '../../../src/host/clock.js';

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
