import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { watchSessions, type WatchDeps } from '../../../src/cli/sessions-watch.js';
import type { Verdict } from '../../../src/core/types.js';
import { MIN, T, policy, session } from './fixtures.js';

const keep: Verdict = { action: 'keep', reason: 'ok', at: T + 10 * MIN, rule: null };

test('not a terminal: one table per interval after a timestamp, notes once on stderr, a signal stops it', async () => {
  const output = new PassThrough();
  let out = '';
  output.on('data', (c: Buffer) => (out += c.toString()));
  let err = '';
  const signals = new EventEmitter();
  const timers: (() => void)[] = [];
  const deps = {
    io: { input: new PassThrough(), output, signals },
    err: { write: (s: string) => (err += s) },
    host: 'h',
    setTimer: (fn: () => void) => {
      timers.push(fn);
      return { cancel: () => {} };
    },
  } as unknown as WatchDeps;
  let reads = 0;
  const firsts: boolean[] = [];
  const done = watchSessions(
    policy,
    2000,
    async (first) => {
      firsts.push(first);
      reads++;
      if (reads === 3) setImmediate(() => signals.emit('SIGTERM'));
      return {
        rows: [{ session: session({}), verdict: keep }],
        now: T + (reads - 1) * 2000,
        notes: ['utmp is missing'],
      };
    },
    deps,
  );
  for (let i = 0; i < 2; i++) {
    while (timers.length === 0) await new Promise((r) => setImmediate(r));
    timers.shift()!();
  }
  await done;
  await new Promise((r) => setImmediate(r));
  const frames = out.split('\n\n').filter(Boolean);
  assert.equal(frames.length, 3, out);
  assert.match(frames[0]!, /^2026-11-24T09:00:00.000Z\nPID .*\n4242 .*keep, next check in 10m$/);
  assert.match(frames[1]!, /^2026-11-24T09:00:02.000Z\n.*\n.*keep, next check in 9m58s$/);
  assert.deepEqual(firsts, [true, false, false], 'a full scan first, then incremental ones');
  assert.equal(err, 'note: utmp is missing\n');
  assert.equal(signals.listenerCount('SIGTERM'), 0);
});
