import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSameProcess, lastPid, parseStat, pidMax, ptsFromTtyNr, readStat } from '../../../src/host/proc.js';
import { ProcessTable } from '../../../src/host/process-table.js';
import type { ReadPlan } from '../../../src/host/pid-span.js';

test('parseStat: comm with spaces and parentheses', () => {
  const line = '1863 (mosh (x) y) S 1 1861 1861 34816 -1 4194368 38 75 0 0 0 0 0 0 20 0 1 0 7327 19501056 545 1844';
  assert.deepEqual(parseStat(line), {
    pid: 1863,
    comm: 'mosh (x) y',
    state: 'S',
    ppid: 1,
    session: 1861,
    ttyNr: 34816,
    pts: 'pts/0',
    startTicks: 7327,
  });
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

test('ProcessTable: a cheap scan reads the new pids only; exits are dropped at the next listing', async () => {
  const { spawn } = await import('node:child_process');
  const table = new ProcessTable();
  const first = spawn('sleep', ['30'], { stdio: 'ignore' });
  let second: ReturnType<typeof spawn> | undefined;
  try {
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(table.scan(true).get(first.pid!)?.comm, 'sleep');
    assert.equal(table.lastPlan()?.kind, 'list');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    // A new process moves the last allocated pid: the next cheap scan reads the pids after the last look.
    second = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 100));
    let now = table.scan(false);
    // Other processes of the machine may have been created meanwhile; a probe unless many were.
    const plan: ReadPlan | null = table.lastPlan();
    assert.ok(plan?.kind === 'probe' || plan?.kind === 'list', JSON.stringify(plan));
    assert.equal(now.get(second.pid!)?.comm, 'sleep');
    assert.equal(now.get(process.pid)?.pid, process.pid);
    // A probe does not see the exit; a listing (asked for on a pty event) does.
    table.listNext();
    now = table.scan(false);
    assert.deepEqual(table.lastPlan(), { kind: 'list', why: 'asked' });
    assert.equal(now.has(first.pid!), false);
    assert.equal(now.get(second.pid!)?.comm, 'sleep');
  } finally {
    first.kill('SIGKILL');
    second?.kill('SIGKILL');
  }
});

test('ProcessTable: re-reading an unchanged process leaves the table version alone', () => {
  const table = new ProcessTable();
  table.scan(true);
  table.refresh(process.pid); // this process is running (R) while it reads: the same state both times
  const v = table.version();
  table.refresh(process.pid);
  assert.equal(table.version(), v);
  table.refresh(2 ** 22 + 1); // above any pid_max: not a process, nothing to forget
  assert.equal(table.version(), v);
});

test('pidMax is the kernel setting', () => {
  const max = pidMax();
  assert.ok(max !== null && max > (lastPid() ?? 0), String(max));
});

test('lastPid is the newest pid: a child spawned now is not newer', async () => {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync('sh', ['-c', 'echo $$']);
  const childPid = Number(String(r.stdout).trim());
  const last = lastPid();
  assert.ok(last !== null && last >= childPid, `last ${last} child ${childPid}`);
});

test('ProcessTable: a thread is never taken for a process (probes and re-reads can reach /proc/TID)', async () => {
  const { Worker } = await import('node:worker_threads');
  const fs = await import('node:fs');
  const table = new ProcessTable();
  table.scan(true);
  const before = new Set(fs.readdirSync('/proc/self/task').map(Number));
  const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
  try {
    await new Promise((r) => worker.once('online', r));
    const threads = fs
      .readdirSync('/proc/self/task')
      .map(Number)
      .filter((t) => !before.has(t));
    assert.ok(threads.length > 0, 'the worker made threads');
    assert.ok(
      threads.every((t) => readStat(t) !== null),
      'a thread has a stat like a process (the trap)',
    );
    const now = table.scan(false); // a probe of the new pids, or a listing if the machine made many
    for (const t of threads) {
      assert.equal(now.has(t), false, `thread ${t} in the table after a ${table.lastPlan()?.kind}`);
      assert.equal(table.refresh(t), null, `thread ${t} re-read as a process`);
      assert.equal(now.has(t), false);
    }
    assert.ok(now.has(process.pid));
  } finally {
    await worker.terminate();
  }
});
