import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CREATION_SLACK_MS, firstTrust, nextTrust } from '../../../src/core/pty-trust.js';
import type { PtyTimes } from '../../../src/core/types.js';

const S = Date.UTC(2026, 10, 24, 9, 0, 0); // the session's start (whole seconds)
const times = (over: Partial<PtyTimes> = {}): PtyTimes => ({
  atimeMs: S,
  mtimeMs: S,
  ctimeMs: S,
  atimeWhole: true,
  mtimeWhole: true,
  ...over,
});

test('first sight: a fresh pty (all three times its creation, with nanoseconds) is trusted', () => {
  const created = S + 300.25;
  const r = firstTrust(
    times({ atimeMs: created, mtimeMs: created, ctimeMs: created, atimeWhole: false, mtimeWhole: false }),
    S,
    S + 60_000,
  );
  assert.deepEqual([r.trust.input, r.trust.output, r.tamper], [created, created, []]);
});

test('first sight: a time with nanoseconds long after the start was set by hand; counted from the creation', () => {
  const touched = S + 3_600_000.5;
  const r = firstTrust(times({ atimeMs: touched, ctimeMs: touched, atimeWhole: false }), S, S + 3_700_000);
  assert.equal(r.trust.input, S + CREATION_SLACK_MS);
  assert.deepEqual(
    r.tamper.map((t) => t.what),
    ['atime'],
  );
});

test('first sight: a time in the future is set by hand', () => {
  const r = firstTrust(times({ atimeMs: S + 10 * 3_600_000 }), S, S + 60_000);
  assert.ok(r.trust.input <= S + 60_000);
  assert.match(r.tamper[0]!.how, /future/);
});

test('input: atime moves to a whole second, ctime unchanged: trusted', () => {
  const prev = firstTrust(times(), S, S).trust;
  const r = nextTrust(prev, times({ atimeMs: S + 17_000 }), S + 18_000);
  assert.deepEqual([r.trust.input, r.tamper], [S + 17_000, []]);
});

test('touch -a: atime moves forward with a ctime change (and nanoseconds): not input, reported once per reading', () => {
  const prev = firstTrust(times(), S, S).trust;
  const at = S + 60_000.123;
  const r = nextTrust(prev, times({ atimeMs: at, ctimeMs: at, atimeWhole: false }), S + 61_000);
  assert.equal(r.trust.input, S, 'idleness counts on from the last trusted input');
  assert.deepEqual(
    r.tamper.map((t) => t.what),
    ['atime'],
  );
});

test('touch -a -d @SECOND: a whole second with a ctime change, and no attribute event: not input', () => {
  const prev = firstTrust(times(), S, S).trust;
  const reading = times({ atimeMs: S + 60_000, ctimeMs: S + 60_400 });
  // The first pass to see it waits: it may have read the pty between a chmod and the chmod's event.
  const first = nextTrust(prev, reading, S + 61_000);
  assert.deepEqual([first.trust.input, first.tamper], [S, []]);
  // A second pass, still without an event: set by hand.
  const second = nextTrust(first.trust, reading, S + 63_000);
  assert.equal(second.trust.input, S);
  assert.deepEqual(
    second.tamper.map((t) => t.what),
    ['atime'],
  );
});

test('keystrokes just before `mesg n`, read right after the chmod event: not believed, not reported', () => {
  const prev = firstTrust(times(), S, S).trust;
  const r = nextTrust(prev, times({ atimeMs: S + 60_000, mtimeMs: S + 60_000, ctimeMs: S + 60_400 }), S + 60_401, true);
  assert.deepEqual([r.trust.input, r.trust.output, r.tamper], [S, S, []]);
  const typed = nextTrust(
    r.trust,
    times({ atimeMs: S + 70_000, mtimeMs: S + 60_000, ctimeMs: S + 60_400 }),
    S + 71_000,
  );
  assert.equal(typed.trust.input, S + 70_000, 'what is typed after it counts');
});

test('touch -a -d @(SECOND+k): a whole second ahead of the ctime change is still not input', () => {
  const prev = firstTrust(times(), S, S).trust;
  const r = nextTrust(prev, times({ atimeMs: S + 65_000, ctimeMs: S + 60_400 }), S + 70_000);
  assert.equal(r.trust.input, S, 'the ctime changed in the same reading');
});

test('mesg n, then typing: the chmod (seen on its own) changes nothing, the keystrokes after it count', () => {
  const prev = firstTrust(times(), S, S).trust;
  const mesg = nextTrust(prev, times({ ctimeMs: S + 5_500 }), S + 5_501);
  assert.deepEqual([mesg.trust.input, mesg.tamper], [S, []]);
  const typed = nextTrust(mesg.trust, times({ ctimeMs: S + 5_500, atimeMs: S + 13_000 }), S + 14_000);
  assert.deepEqual([typed.trust.input, typed.tamper], [S + 13_000, []]);
});

test('atime set back (an idle session, as the tests make one): believed; the next keystroke counts again', () => {
  const prev = nextTrust(firstTrust(times(), S, S).trust, times({ atimeMs: S + 600_000 }), S + 601_000).trust;
  const back = nextTrust(prev, times({ atimeMs: S, ctimeMs: S + 602_000, atimeWhole: false }), S + 602_001);
  assert.equal(back.trust.input, S);
  assert.deepEqual(back.tamper, []);
  const typed = nextTrust(back.trust, times({ atimeMs: S + 610_000, ctimeMs: S + 602_000 }), S + 611_000);
  assert.equal(typed.trust.input, S + 610_000);
});

test('output (mtime) follows the same rules: touch -m is not output', () => {
  const prev = firstTrust(times(), S, S).trust;
  const out = nextTrust(prev, times({ mtimeMs: S + 9_000 }), S + 10_000);
  assert.equal(out.trust.output, S + 9_000);
  const fake = nextTrust(
    out.trust,
    times({ mtimeMs: S + 30_000.5, ctimeMs: S + 30_000.5, mtimeWhole: false }),
    S + 31_000,
  );
  assert.deepEqual([fake.trust.output, fake.tamper.map((t) => t.what)], [S + 9_000, ['mtime']]);
});

test('a time the kernel cannot write (nanoseconds, no ctime change) is not trusted either', () => {
  const prev = firstTrust(times(), S, S).trust;
  const r = nextTrust(prev, times({ atimeMs: S + 9_000.5, atimeWhole: false }), S + 10_000);
  assert.equal(r.trust.input, S);
});
