import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { endMany, type EndDeps } from '../../../src/act/end.js';
import type { Limits, Session } from '../../../src/core/types.js';

const DEFAULTS: Limits = {
  idleTimeoutMs: null,
  countOutput: false,
  warnBeforeMs: null,
  graceMs: 10_000,
  maxAgeMs: null,
  detachedTimeoutMs: null,
  exempt: false,
};

function session(pid: number, state: Session['state'] = 'attached'): Session {
  return {
    pid,
    startTicks: pid * 10,
    uid: 1001,
    user: 'mw-alice',
    groups: ['mw-alice'],
    tty: `pts/${pid}`,
    startedAt: 0,
    from: null,
    client: null,
    state,
    stateSince: 0,
    port: null,
    lastInputAt: 0,
    lastOutputAt: 0,
    id: `h/${pid}-${pid * 10}`,
    comm: 'mosh-server',
    exe: null,
    clients: [],
    pty: null,
  };
}

/** Records every call in order; pid 3 is already gone (its identity no longer matches). */
function world(dryRun = false) {
  const calls: string[] = [];
  const alive = new Set([1, 2, 4]);
  const lines: Record<string, unknown>[] = [];
  const deps: EndDeps = {
    log: pino(
      { base: undefined, level: 'debug' },
      { write: (l: string) => void (lines.push(JSON.parse(l)), calls.push(`log ${lines.at(-1)!.event}`)) },
    ),
    dryRun,
    now: () => 1000,
    monotonic: () => 1000,
    sleep: async () => {},
    isSame: (t) => (calls.push(`check ${t.pid}`), alive.has(t.pid)),
    kill: (pid, signal) => {
      calls.push(`${signal} ${pid}`);
      alive.delete(pid);
    },
    write: (tty) => (calls.push(`write ${tty}`), { ok: true, mtimeBefore: 0, mtimeAfter: 0 }),
  };
  return { deps, calls, lines };
}

const batch = [1, 2, 3, 4].map((pid) => ({
  session: session(pid),
  verdict: {
    action: 'terminate' as const,
    reason: 'revoked' as const,
    at: 1000,
    rule: null,
    limits: { ...DEFAULTS, graceMs: 1000 },
    revocation: { target: { kind: 'user' as const, name: 'mw-alice' }, line: 1, reason: 'offboarding', until: null },
  },
  detail: 'offboarding',
}));

test('endMany: every identity check, then the closing lines, then every SIGTERM back to back', async () => {
  const w = world();
  const outcomes = await Promise.all(endMany(batch, 1000, w.deps));
  assert.deepEqual(w.calls.slice(0, 10), [
    'check 1',
    'check 2',
    'check 3',
    'check 4',
    'write pts/1',
    'write pts/2',
    'write pts/4',
    'SIGTERM 1',
    'SIGTERM 2',
    'SIGTERM 4',
  ]);
  assert.ok(!w.calls.includes('SIGTERM 3'), 'a session whose identity changed is never signalled');
  assert.ok(!w.calls.includes('write pts/3'), 'nothing is written to the pty of a session that is gone');
  assert.ok(
    w.calls.indexOf('log session.terminate') > w.calls.indexOf('SIGTERM 4'),
    'no log line between the checks and the last SIGTERM',
  );
  assert.deepEqual(
    outcomes.map((o) => o?.result),
    ['exited', 'exited', 'gone', 'exited'],
  );
  assert.deepEqual(
    w.lines.filter((l) => l.event === 'session.terminate').map((l) => l.pid),
    [1, 2, 3, 4],
  );
  assert.deepEqual(
    w.lines.filter((l) => l.event === 'session.signal').map((l) => l.pid),
    [1, 2, 4],
  );
});

test('endMany in dry run: terminate lines only', async () => {
  const w = world(true);
  const outcomes = await Promise.all(endMany(batch, 1000, w.deps));
  assert.deepEqual(
    w.calls.filter((c) => !c.startsWith('log ')),
    [],
  );
  assert.deepEqual(outcomes, [null, null, null, null]);
  assert.deepEqual(
    w.lines.map((l) => [l.event, l.dry_run]),
    batch.map(() => ['session.terminate', true]),
  );
});

test("the grace period counts from each session's own SIGTERM, not from the start of the batch", async () => {
  let now = 1000;
  const signalled: Record<string, number> = {};
  const deps: EndDeps = {
    log: pino({ base: undefined }, { write: () => {} }),
    dryRun: false,
    now: () => now,
    monotonic: () => now,
    sleep: async (ms) => void (now += ms),
    isSame: () => !('SIGKILL 4' in signalled) || !('SIGKILL 1' in signalled),
    kill: (pid, signal) => {
      now += 40; // a loaded machine: every kill(2) in the batch takes a while
      signalled[`${signal} ${pid}`] = now;
    },
    write: () => ({ ok: true, mtimeBefore: 0, mtimeAfter: 0 }),
  };
  await Promise.all(endMany([batch[0]!, batch[3]!], now, deps));
  for (const pid of [1, 4]) {
    const gap = signalled[`SIGKILL ${pid}`]! - signalled[`SIGTERM ${pid}`]!;
    assert.ok(gap >= 1000, `pid ${pid}: SIGKILL ${gap} ms after its SIGTERM (grace 1000)`);
  }
});

/** `n` sessions (pids from 100), alive until signalled; identity checks and signals recorded in w.calls. */
function bigBatch(w: ReturnType<typeof world>, n: number, extra: Partial<EndDeps>) {
  const many = Array.from({ length: n }, (_, i) => ({ ...batch[0]!, session: session(100 + i) }));
  const alive = new Set(many.map((m) => m.session.pid));
  const deps: EndDeps = {
    ...w.deps,
    isSame: (t) => (w.calls.push(`check ${t.pid}`), alive.has(t.pid)),
    kill: (pid, signal) => (w.calls.push(`${signal} ${pid}`), alive.delete(pid), undefined),
    ...extra,
  };
  return { many, deps };
}

test('a big batch writes its log lines a slice per turn after every SIGTERM, and each session.terminate before that session is polled', async () => {
  const w = world();
  const deferred: (() => void)[] = [];
  const { many, deps } = bigBatch(w, 60, { defer: (fn) => void deferred.push(fn) });
  const pending = endMany(many, 1000, deps);
  const terminateLines = () => w.lines.filter((l) => l.event === 'session.terminate').length;
  assert.equal(w.calls.filter((c) => c.startsWith('SIGTERM')).length, 60, 'every SIGTERM went out at once');
  assert.equal(terminateLines(), 25, 'one slice of lines in the first turn');
  const polledBefore = w.calls.filter((c) => c.startsWith('check')).length;
  assert.equal(polledBefore, 60, 'no session is polled before the lines are all written');
  while (deferred.length > 0) deferred.shift()!();
  assert.equal(terminateLines(), 60);
  assert.deepEqual(
    w.lines.filter((l) => l.event === 'session.terminate').map((l) => l.pid),
    many.map((m) => m.session.pid),
    'in order',
  );
  const outcomes = await Promise.all(pending);
  assert.ok(outcomes.every((o) => o?.result === 'exited'));
  const checks = w.calls.flatMap((c, i) => (c.startsWith('check') ? [i] : []));
  assert.ok(checks.length > 60, 'each session was looked at again after its SIGTERM');
  assert.ok(checks[60]! > w.calls.lastIndexOf('log session.terminate'), 'polling began after the last line');
});

test('with deferFirst a big batch sends its closing lines and SIGTERMs a slice per turn, in the same order, logging after the last', async () => {
  const w = world();
  const first: (() => void)[] = [];
  const { many, deps } = bigBatch(w, 60, { deferFirst: (fn) => void first.push(fn) });
  const pending = endMany(many, 1000, deps);
  const count = (prefix: string) => w.calls.filter((c) => c.startsWith(prefix)).length;
  assert.equal(count('check'), 60, 'every identity check in the first turn');
  assert.equal(count('write'), 50, 'one slice of closing lines in the first turn');
  assert.equal(count('SIGTERM'), 0);
  let turns = 1;
  while (first.length > 0) {
    assert.equal(count('log '), 0, 'no log line while SIGTERMs are still to send');
    first.shift()!();
    turns++;
  }
  assert.equal(turns, 3, '120 steps, 50 a turn');
  const pids = many.map((m) => m.session.pid);
  const steps = w.calls.filter((c) => c.startsWith('write') || c.startsWith('SIGTERM'));
  assert.deepEqual(steps, [...pids.map((p) => `write pts/${p}`), ...pids.map((p) => `SIGTERM ${p}`)]);
  assert.ok(w.calls.indexOf('log session.terminate') > w.calls.lastIndexOf(`SIGTERM ${pids.at(-1)}`));
  const outcomes = await Promise.all(pending);
  assert.ok(outcomes.every((o) => o?.result === 'exited'));
});

test('the closing line goes only where a client may show it: attached or unknown, not waiting or detached', async () => {
  const w = world();
  const states: Session['state'][] = ['attached', 'waiting', 'unknown', 'detached'];
  const four = [1, 2, 3, 4].map((pid, i) => ({ ...batch[0]!, session: session(pid, states[i]) }));
  const alive = new Set([1, 2, 3, 4]);
  const deps: EndDeps = {
    ...w.deps,
    isSame: (t) => alive.has(t.pid),
    kill: (pid, signal) => (w.calls.push(`${signal} ${pid}`), alive.delete(pid), undefined),
  };
  await Promise.all(endMany(four, 1000, deps));
  assert.deepEqual(
    w.calls.filter((c) => c.startsWith('write')),
    ['write pts/1', 'write pts/3'],
  );
  assert.equal(w.calls.filter((c) => c.startsWith('SIGTERM')).length, 4, 'every one is ended all the same');
});

test('a daemon that stops between two turns of a batch sends nothing more, and logs no terminate line for what it did not signal', async () => {
  const w = world();
  const first: (() => void)[] = [];
  let stopped = false;
  const { many, deps } = bigBatch(w, 60, {
    deferFirst: (fn) => void first.push(fn),
    abandoned: () => stopped,
  });
  const pending = endMany(many, 1000, deps);
  first.shift()!(); // turn 2: the last 10 closing lines and 40 SIGTERMs
  stopped = true; // daemon.stop
  while (first.length > 0) first.shift()!();
  const outcomes = await Promise.all(pending);
  assert.equal(w.calls.filter((c) => c.startsWith('SIGTERM')).length, 40, 'none after the stop');
  assert.equal(w.lines.filter((l) => l.event === 'session.terminate').length, 40);
  // The 40 signalled are abandoned too: their grace periods end with the daemon (no SIGKILL).
  assert.ok(outcomes.every((o) => o?.result === 'abandoned'));
  assert.ok(!w.calls.some((c) => c.startsWith('SIGKILL')));
});
