import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { Daemon } from '../../../src/daemon/loop.js';
import { discountOwnWrite } from '../../../src/daemon/tracker.js';
import type { Policy, Revocation, Session } from '../../../src/core/types.js';
import { policyWith } from '../fixtures.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 24, 9, 0, 0);

const POLICY = policyWith({}, { rules: [{ index: 0, users: ['mw-boss'], groups: [], overrides: { exempt: true } }] });

function session(over: Partial<Session>): Session {
  return {
    pid: 100,
    startTicks: 1,
    uid: 1001,
    user: 'mw-alice',
    groups: ['mw-alice'],
    tty: 'pts/1',
    startedAt: T0,
    from: '198.51.100.7',
    client: '127.0.0.1',
    state: 'attached',
    stateSince: T0,
    port: 60001,
    lastInputAt: T0,
    lastOutputAt: T0,
    id: 'h/100-1',
    comm: 'mosh-server',
    exe: '/usr/bin/mosh-server',
    clients: [],
    pty: { atimeMs: T0, mtimeMs: T0, ctimeMs: T0, atimeWhole: true, mtimeWhole: true },
    ...over,
  };
}

/** A host made of plain data: sessions that exist, a clock, and records of writes and signals. */
function fakeHost(
  policy: Policy,
  sessions: Session[],
  revocations: Revocation[] = [],
  opts: { level?: string; watchBlocks?: () => { stop(): number } } = {},
) {
  let now = T0;
  const alive = new Set(sessions.map((s) => s.pid));
  const writes: { tty: string; text: string }[] = [];
  const signals: string[] = [];
  const events: Record<string, unknown>[] = [];
  const log = pino(
    { base: undefined, level: opts.level ?? 'info' },
    { write: (line: string) => void events.push(JSON.parse(line)) },
  );
  const daemon = new Daemon(policy, {
    scan: async () => ({ sessions: sessions.filter((s) => alive.has(s.pid)), pending: 0, problems: [] }),
    log,
    revocations: () => revocations,
    host: {
      setTimer: () => ({ cancel() {} }),
      defer: (fn) => void setImmediate(fn),
      readPty: () => null,
      ...(opts.watchBlocks ? { watchBlocks: opts.watchBlocks } : {}),
      now: () => now,
      monotonic: () => now,
      sinceBoot: () => now,
      sleep: async (ms) => {
        now += ms;
      },
      isSame: (t) => alive.has(t.pid),
      kill: (pid, signal) => {
        signals.push(`${signal} ${pid}`);
        if (signal === 'SIGTERM') alive.delete(pid);
      },
      write: (tty, text) => {
        writes.push({ tty, text });
        return { ok: true, mtimeBefore: T0, mtimeAfter: now };
      },
    },
  });
  const names = () => events.map((e) => `${e.event} ${e.pid ?? ''}`.trim());
  return {
    daemon,
    writes,
    signals,
    events,
    names,
    setNow: (t: number) => (now = t),
    settle: () => new Promise((r) => setImmediate(r)),
  };
}

test('idle session: start, warn once at warn time, SIGTERM at the deadline, end with reason idle', async () => {
  const h = fakeHost(POLICY, [session({})]);
  h.setNow(T0 + 1 * MIN);
  await h.daemon.request('start');
  assert.deepEqual(h.names(), ['session.start 100']);

  h.setNow(T0 + 28 * MIN);
  await h.daemon.request('timer');
  await h.daemon.request('timer'); // a second pass in the same period does not warn again
  assert.equal(h.writes.length, 1);
  assert.match(h.writes[0]!.text, /will be closed in 2m/);
  assert.equal(h.signals.length, 0);

  h.setNow(T0 + 30 * MIN);
  await h.daemon.request('timer');
  await h.settle();
  assert.deepEqual(h.signals, ['SIGTERM 100']);
  assert.deepEqual(h.names(), ['session.start 100', 'session.warn 100', 'session.terminate 100', 'session.end 100']);
  const end = h.events.at(-1)!;
  assert.equal(end.reason, 'idle');
  assert.equal(end.duration_seconds, 30 * 60);
  assert.equal(h.events[2]!.idle_seconds, 30 * 60);
});

test('a full read logs the longest event-loop block seen during it; other passes do not watch', async () => {
  let watching = 0;
  const h = fakeHost(POLICY, [session({})], [], {
    level: 'debug',
    watchBlocks: () => {
      watching++;
      return { stop: () => 12.34 };
    },
  });
  await h.daemon.request('start'); // the first pass reads all of /proc
  await h.daemon.request('timer');
  const passes = h.events.filter((e) => e.event === 'scan.pass');
  assert.deepEqual(
    passes.map((p) => [p.full, p.max_block_ms]),
    [
      [true, 12.3],
      [false, undefined],
    ],
  );
  assert.equal(watching, 1);
});

test('an exempt user is never warned or signalled', async () => {
  const h = fakeHost(POLICY, [session({ user: 'mw-boss' })]);
  for (const m of [1, 28, 30, 600]) {
    h.setNow(T0 + m * MIN);
    await h.daemon.request('timer');
  }
  assert.equal(h.writes.length, 0);
  assert.equal(h.signals.length, 0);
});

test('dry run: logs warn and terminate once, writes and signals nothing', async () => {
  const h = fakeHost({ ...POLICY, dryRun: true }, [session({})]);
  for (const m of [28, 30, 31, 32]) {
    h.setNow(T0 + m * MIN);
    await h.daemon.request('timer');
  }
  assert.equal(h.writes.length, 0);
  assert.equal(h.signals.length, 0);
  assert.deepEqual(h.names(), ['session.start 100', 'session.warn 100', 'session.terminate 100']);
  assert.equal(h.events[2]!.dry_run, true);
});

test('revoked session: terminated at once with the entry in the event', async () => {
  const r: Revocation = { target: { kind: 'user', name: 'mw-alice' }, line: 3, reason: 'offboarding', until: null };
  const h = fakeHost(POLICY, [session({}), session({ pid: 200, user: 'mw-bob', uid: 1002 })], [r]);
  h.setNow(T0 + 1_000);
  await h.daemon.request('start');
  await h.settle();
  assert.deepEqual(h.signals, ['SIGTERM 100']);
  const term = h.events.find((e) => e.event === 'session.terminate')!;
  assert.deepEqual(term.revocation, { target: 'user:mw-alice', line: 3, reason: 'offboarding' });
  assert.match(h.writes[0]!.text, /Access revoked: offboarding/);
});

test('a session that ends by itself: session.end with reason null', async () => {
  const sessions = [session({})];
  const h = fakeHost(POLICY, sessions);
  await h.daemon.request('start');
  sessions.length = 0;
  await h.daemon.request('timer');
  const end = h.events.at(-1)!;
  assert.equal(end.event, 'session.end');
  assert.equal(end.reason, null);
});

test('attach is logged at once; detach only once utmp has said so for the hold (the reconnect flap is not)', async () => {
  const s = session({ state: 'waiting', client: null });
  const sessions = [s];
  const h = fakeHost(POLICY, sessions);
  await h.daemon.request('start');
  sessions[0] = { ...s, state: 'attached', client: '127.0.0.1', stateSince: T0 + 1_000 };
  h.setNow(T0 + 1_000);
  await h.daemon.request('timer');
  // The flap: detached for a moment, then attached again.
  sessions[0] = { ...s, state: 'detached', client: null, stateSince: T0 + 10_000 };
  h.setNow(T0 + 11_000);
  await h.daemon.request('timer');
  assert.equal(h.daemon.snapshot()[0]!.session.state, 'attached', 'held: still attached');
  assert.equal(h.daemon.snapshot()[0]!.session.client, '127.0.0.1', 'held: the client is kept');
  sessions[0] = { ...s, state: 'attached', client: '127.0.0.1', stateSince: T0 + 12_000 };
  h.setNow(T0 + 12_500);
  await h.daemon.request('timer');
  assert.deepEqual(h.names(), ['session.start 100', 'session.attach 100']);
  // A real detach, read mid-rewrite first (no record: unknown): believed once it has lasted the hold,
  // and dated from utmp's flip.
  sessions[0] = { ...s, state: 'unknown', client: null, stateSince: null };
  h.setNow(T0 + 20_000);
  await h.daemon.request('utmp');
  sessions[0] = { ...s, state: 'detached', client: null, stateSince: T0 + 20_000 };
  h.setNow(T0 + 21_000);
  await h.daemon.request('timer');
  h.setNow(T0 + 23_000);
  await h.daemon.request('timer');
  assert.deepEqual(h.names(), ['session.start 100', 'session.attach 100', 'session.detach 100']);
  assert.equal(h.events[1]!.client, '127.0.0.1');
  assert.equal(h.daemon.snapshot()[0]!.session.stateSince, T0 + 20_000);
});

test("detached_timeout counts from utmp's flip, also for a session first seen detached (daemon restart)", async () => {
  const policy: Policy = {
    ...POLICY,
    defaults: { ...POLICY.defaults, idleTimeoutMs: null, detachedTimeoutMs: 10 * MIN },
  };
  const h = fakeHost(policy, [session({ state: 'detached', client: null, stateSince: T0 })]);
  h.setNow(T0 + 9 * MIN);
  await h.daemon.request('start');
  assert.equal(h.daemon.snapshot()[0]!.verdict?.at, T0 + 10 * MIN, 'the flip time, not the restart, starts the clock');
  h.setNow(T0 + 10 * MIN);
  await h.daemon.request('timer');
  await h.settle();
  assert.deepEqual(h.signals, ['SIGTERM 100']);
  assert.equal(h.writes.length, 0, 'nobody is attached to read a warning');
  assert.equal(h.events.find((e) => e.event === 'session.terminate')!.reason, 'detached');
});

test('a schedule that fires ends the detached sessions it covers on the next pass, and says what it ended', async () => {
  const policy: Policy = { ...POLICY, defaults: { ...POLICY.defaults, idleTimeoutMs: null } };
  const sessions = [
    session({ pid: 100, state: 'detached', client: null }),
    session({ pid: 101, state: 'attached' }),
    session({ pid: 102, user: 'mw-boss', groups: ['mw-boss'], state: 'detached', client: null }),
  ];
  const h = fakeHost(policy, sessions);
  h.setNow(T0 + MIN);
  await h.daemon.request('start');
  await h.daemon.sweep({
    index: 0,
    cron: '*/5 * * * * *',
    timezone: null,
    terminate: 'detached',
    users: [],
    groups: [],
  });
  await h.settle();
  assert.deepEqual(h.signals, ['SIGTERM 100'], 'attached and exempt sessions stay');
  const run = h.events.find((e) => e.event === 'schedule.run')!;
  assert.deepEqual([run.sessions, run.pids], [1, [100]]);
  assert.equal(h.events.find((e) => e.event === 'session.terminate')!.reason, 'schedule');
  await h.daemon.request('timer');
  assert.equal(h.signals.length, 1, 'a sweep applies once, to the pass after it fired');
});

test('session.rule says which rule applies and what matched, and again when a reload changes it', async () => {
  const h = fakeHost(POLICY, [
    session({ pid: 100, user: 'mw-boss', groups: ['mw-boss', 'ops'] }),
    session({ pid: 101 }),
  ]);
  await h.daemon.request('start');
  const rules = () =>
    h.events.filter((e) => e.event === 'session.rule').map((e) => [e.pid, e.rule, e.matched, e.exempt]);
  assert.deepEqual(rules(), [[100, 0, { user: 'mw-boss' }, true]], 'a session under the defaults logs nothing');
  h.daemon.setPolicy({
    ...POLICY,
    rules: [{ index: 0, users: [], groups: ['ops'], overrides: { idleTimeoutMs: MIN } }],
  });
  await h.daemon.request('reload');
  await h.daemon.request('timer');
  assert.deepEqual(rules(), [
    [100, 0, { user: 'mw-boss' }, true],
    [100, 0, { group: 'ops' }, false],
  ]);
});

test('discountOwnWrite: only an mtime equal to our own write is discounted', () => {
  assert.equal(discountOwnWrite(500, { before: 100, after: 500 }), 100);
  assert.equal(discountOwnWrite(508, { before: 100, after: 500 }), 508);
  assert.equal(discountOwnWrite(500, null), 500);
  assert.equal(discountOwnWrite(null, { before: 1, after: 2 }), null);
});

test('a stopping daemon abandons every grace period under way: no SIGKILL after the stop', async () => {
  const stubborn = [session({})];
  let now = T0;
  const signals: string[] = [];
  const events: Record<string, unknown>[] = [];
  const daemon = new Daemon(
    { ...POLICY, defaults: { ...POLICY.defaults, warnBeforeMs: null, graceMs: 10_000 } },
    {
      scan: async () => ({ sessions: stubborn, pending: 0, problems: [] }),
      log: pino({ base: undefined }, { write: (line: string) => void events.push(JSON.parse(line)) }),
      revocations: () => [],
      host: {
        setTimer: () => ({ cancel() {} }),
        defer: (fn) => void setImmediate(fn),
        readPty: () => null,
        now: () => now,
        monotonic: () => now,
        sinceBoot: () => now,
        sleep: async (ms) => {
          now += ms;
          await new Promise((r) => setImmediate(r));
        },
        isSame: () => true, // it ignores SIGTERM
        kill: (pid, signal) => void signals.push(`${signal} ${pid}`),
        write: () => ({ ok: true, mtimeBefore: T0, mtimeAfter: T0 }),
      },
    },
  );
  now = T0 + 31 * MIN;
  await daemon.request('start');
  assert.deepEqual(signals, ['SIGTERM 100']);
  now += 5_000; // half the grace period has passed
  daemon.stop();
  // Long enough (in the injected clock) for the whole grace period and SIGKILL's wait to pass.
  for (let i = 0; i < 2_000 && now < T0 + 31 * MIN + 20_000; i++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(signals, ['SIGTERM 100'], 'no SIGKILL from a stopped daemon');
  assert.equal(events.filter((e) => e.event === 'session.kill' || e.event === 'session.end').length, 0);
});
