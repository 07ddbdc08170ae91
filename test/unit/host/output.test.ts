import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueuedWrites } from '../../../src/host/output.js';

/** A reader that takes `room` bytes, then nothing (EAGAIN) until given more room. */
function slowReader(room: number) {
  let taken = '';
  const r = {
    room,
    text: () => taken,
    write1: (_fd: number, b: Buffer): number => {
      if (r.room === 0) throw Object.assign(new Error('EAGAIN'), { code: 'EAGAIN' });
      const n = Math.min(r.room, b.length);
      taken += b.subarray(0, n).toString('utf8');
      r.room -= n;
      return n;
    },
  };
  return r;
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

test('QueuedWrites: what the reader cannot take yet is kept, in order, and written once it drains', async () => {
  const reader = slowReader(5);
  const q = new QueuedWrites(99, reader.write1);
  q.write(Buffer.from('line 1\n')); // 5 bytes taken, 2 kept
  q.write(Buffer.from('line 2\n')); // nothing taken: kept behind the rest of line 1
  assert.equal(reader.text(), 'line ');
  assert.equal(q.pending(), 9);
  reader.room = 1000;
  await sleep(30);
  assert.equal(reader.text(), 'line 1\nline 2\n');
  assert.equal(q.pending(), 0);
});

test('QueuedWrites: a write never waits for a reader that takes nothing', () => {
  const reader = slowReader(0);
  const q = new QueuedWrites(99, reader.write1);
  for (let i = 0; i < 1000; i++) q.write(Buffer.from(`line ${i}\n`)); // would block without the queue
  assert.equal(reader.text(), '');
  assert.ok(q.pending() > 5000);
});

test('QueuedWrites: a reader that went away (EPIPE) drops the queue instead of throwing', () => {
  const q = new QueuedWrites(99, () => {
    throw Object.assign(new Error('EPIPE'), { code: 'EPIPE' });
  });
  q.write(Buffer.from('lost\n'));
  assert.equal(q.pending(), 0);
});
