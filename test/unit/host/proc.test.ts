import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSameProcess, parseStat, ProcessTable, ptsFromTtyNr, readStat } from '../../../src/host/proc.js';

test('parseStat: comm with spaces and parentheses', () => {
  const line = '1863 (mosh (x) y) S 1 1861 1861 34816 -1 4194368 38 75 0 0 0 0 0 0 20 0 1 0 7327 19501056 545 1844';
  assert.deepEqual(parseStat(line), { pid: 1863, comm: 'mosh (x) y', state: 'S', ppid: 1, ttyNr: 34816, startTicks: 7327 });
});

test('parseStat: garbage is null, not a throw', () => {
  assert.equal(parseStat(''), null);
  assert.equal(parseStat('12 (x) S 1'), null);
});

test('ptsFromTtyNr: majors 136-143 are pts; others are not', () => {
  assert.equal(ptsFromTtyNr((136 << 8) | 0), 'pts/0');
  assert.equal(ptsFromTtyNr((136 << 8) | 255), 'pts/255');
  assert.equal(ptsFromTtyNr((137 << 8) | 1), 'pts/257');
  // minor bits above 255 live in bits 20-31
  assert.equal(ptsFromTtyNr((136 << 8) | 4 | (1 << 20)), 'pts/260');
  assert.equal(ptsFromTtyNr((4 << 8) | 1), null); // tty1
  assert.equal(ptsFromTtyNr(0), null);
});

test('readStat and isSameProcess on this very process', () => {
  const me = readStat(process.pid);
  assert.ok(me);
  assert.equal(me.pid, process.pid);
  assert.equal(me.ppid, process.ppid);
  assert.ok(isSameProcess(process.pid, me.startTicks, me.comm));
  assert.equal(isSameProcess(process.pid, me.startTicks + 1, me.comm), false);
  assert.equal(isSameProcess(process.pid, me.startTicks, 'mosh-server'), false);
});

test('ProcessTable: incremental scan keeps known pids and drops vanished ones', async () => {
  const { spawn } = await import('node:child_process');
  const table = new ProcessTable();
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 100));
    const first = table.scan(true);
    assert.equal(first.get(child.pid!)?.comm, 'sleep');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const second = table.scan(false);
    assert.equal(second.has(child.pid!), false);
    assert.equal(second.get(process.pid)?.pid, process.pid);
  } finally {
    child.kill('SIGKILL');
  }
});
