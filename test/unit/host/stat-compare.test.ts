import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseStat, readStat, restat } from '../../../src/host/proc.js';
import { statUnchanged } from '../../../src/host/stat-compare.js';

const LINE = '1863 (mosh (x) y) S 1 1861 1861 34816 -1 4194368 38 75 0 0 0 0 0 0 20 0 1 0 7327 19501056 545 1844\n';
const bytes = (s: string) => Buffer.from(s, 'latin1');
const same = (line: string, knownLine = LINE) => {
  const b = bytes(line);
  return statUnchanged(b, b.length, parseStat(knownLine)!);
};

test('statUnchanged: the same identity and place, other counters moved: unchanged', () => {
  assert.equal(same(LINE), true);
  // utime, stime and vsize moved: a scan does not look at them
  assert.equal(same(LINE.replace('38 75 0 0 0 0', '40 99 0 0 3 1').replace('19501056', '19600000')), true);
});

test('statUnchanged: any field a scan looks at changed: not unchanged', () => {
  for (const changed of [
    LINE.replace('1863 (', '1864 ('), // pid
    LINE.replace('(mosh (x) y)', '(mosh (x) z)'), // comm, same length
    LINE.replace('(mosh (x) y)', '(bash)'), // comm, exec'd
    LINE.replace(') S 1 ', ') Z 1 '), // state
    LINE.replace(') S 1 1861', ') S 2 1861'), // ppid
    LINE.replace('1861 1861 34816', '1861 1862 34816'), // session
    LINE.replace('34816', '34817'), // tty_nr
    LINE.replace(' 7327 ', ' 7328 '), // start time: the pid was reused
  ])
    assert.equal(same(changed), false, changed);
});

test('statUnchanged: a cut or malformed line is never taken as unchanged', () => {
  assert.equal(same(''), false);
  assert.equal(same(LINE.slice(0, 40)), false);
  assert.equal(same(LINE.replace(' 7327 ', ' -7327 ')), false);
  assert.equal(same(LINE.replace('(', '')), false);
});

test('statUnchanged agrees with parsing the line and comparing (property)', () => {
  const known = parseStat(LINE)!;
  const field = fc.oneof(fc.nat(99_999).map(String), fc.constantFrom('-1', '0'));
  const comm = fc.oneof(
    fc.constant('mosh (x) y'),
    fc.string({ minLength: 0, maxLength: 16 }).map((s) => s.replace(/\n/g, '')),
  );
  fc.assert(
    fc.property(
      comm,
      fc.constantFrom('S', 'R', 'Z'),
      field,
      field,
      field,
      field,
      (c, state, ppid, session, tty, start) => {
        const line = `1863 (${c}) ${state} ${ppid} 1861 ${session} ${tty} -1 4194368 38 75 0 0 0 0 0 0 20 0 1 0 ${start} 19501056 545 1844\n`;
        const p = parseStat(line);
        const expected =
          p !== null &&
          p.comm === known.comm &&
          p.state === known.state &&
          p.ppid === known.ppid &&
          p.session === known.session &&
          p.ttyNr === known.ttyNr &&
          p.startTicks === known.startTicks;
        assert.equal(same(line), expected, line);
      },
    ),
  );
});

test('restat: our own process, unchanged, is the same object; a new identity is read anew', () => {
  const first = readStat(process.pid)!;
  assert.equal(restat(process.pid, first), first);
  const other = { ...first, startTicks: first.startTicks + 1 };
  const again = restat(process.pid, other)!;
  assert.notEqual(again, other);
  assert.equal(again.startTicks, first.startTicks);
  assert.equal(restat(2 ** 22 + 7, first), null); // above any pid_max: gone
});
