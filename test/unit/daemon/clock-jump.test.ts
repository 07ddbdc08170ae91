// The daemon across jumps of the wall clock (core/clock-jump.ts), with an injected wall clock that is
// the monotonic clock plus an offset the test moves: a session that was not idle is never warned or
// ended, a deadline already running still falls due at the same monotonic time, no false tamper.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { Session } from '../../../src/core/types.js';
import { Daemon } from '../../../src/daemon/loop.js';
import { MIN, policyWith, sessionAt, T0 } from '../fixtures.js';

const DAY = 24 * 60 * MIN;
const HOUR = 60 * MIN;

const POLICY = policyWith({ detachedTimeoutMs: 40 * MIN });

/**
 * Three sessions started at T0 (wall = monotonic then): A (pid 1) types at T0+25m (`start`); B (pid 2) never
 * types, due to be warned at T0+28m and ended at T0+30m; C (pid 3) types at T0+20m and is detached
 * since T0+1m, due at T0+41m.
 * The host writes its times with the wall clock of the moment; a session's start time is read anew on
 * each scan (boot time from the wall clock, as host/proc.ts does).
 */
function world() {
  let mono = T0;
  let offset = 0;
  const wall = () => mono + offset;
  const atime: Record<number, number> = { 1: T0, 2: T0, 3: T0 };
  const alive = new Set([1, 2, 3]);
  const signals: string[] = [];
  const events: Record<string, unknown>[] = [];
  let duringScan: (() => void) | null = null;
  const read = (pid: number): Session =>
    sessionAt({
      pid,
      startTicks: pid,
      id: `h/${pid}-${pid}`,
      tty: `pts/${pid}`,
      startedAt: T0 + offset,
      state: pid === 3 ? 'detached' : 'attached',
      client: pid === 3 ? null : '127.0.0.1',
      stateSince: pid === 3 ? T0 + MIN : T0,
      pty: { atimeMs: atime[pid]!, mtimeMs: T0, ctimeMs: T0, atimeWhole: true, mtimeWhole: true },
    });
  const daemon = new Daemon(POLICY, {
    scan: async () => {
      const sessions = [...alive].map(read);
      duringScan?.();
      duringScan = null;
      return { sessions, pending: 0, problems: [] };
    },
    log: pino({ base: undefined }, { write: (line: string) => void events.push(JSON.parse(line)) }),
    revocations: () => [],
    host: {
      setTimer: () => ({ cancel() {} }),
      defer: (fn) => void setImmediate(fn),
      readPty: () => null,
      now: wall,
      monotonic: () => mono,
      sinceBoot: () => mono,
      sleep: async (ms) => void (mono += ms),
      isSame: (t) => alive.has(t.pid),
      kill: (pid, signal) => {
        signals.push(`${signal} ${pid}`);
        alive.delete(pid);
      },
      write: () => ({ ok: true, mtimeBefore: T0, mtimeAfter: T0 }),
    },
  });
  return {
    daemon,
    signals,
    events,
    /** The first passes: A and C type at 25 and 20 minutes. */
    start: async () => {
      for (const m of [0, 20, 25, 26]) {
        mono = T0 + m * MIN;
        if (m === 20) atime[3] = wall();
        if (m === 25) atime[1] = wall();
        await daemon.request('timer');
      }
    },
    at: async (m: number) => {
      mono = T0 + m * MIN;
      await daemon.request('timer');
      await new Promise((r) => setImmediate(r));
    },
    jump: (ms: number) => (offset += ms),
    jumpDuringNextScan: (ms: number, before?: () => void) =>
      (duringScan = () => {
        before?.();
        offset += ms;
      }),
    type: (pid: number) => (atime[pid] = Math.floor(wall() / 1000) * 1000),
    named: (event: string) => events.filter((e) => e.event === event).map((e) => e.pid),
  };
}

for (const [name, delta] of [
  ['forward by a day', DAY],
  ['back by an hour', -HOUR],
] as const) {
  test(`wall clock ${name}: nobody who was not idle is warned or ended, deadlines hold, no tamper`, async () => {
    const w = world();
    await w.start();
    w.jump(delta);
    await w.at(27);
    assert.deepEqual(
      w.events.filter((e) => e.event === 'daemon.clock_jump').map((e) => e.jump_ms),
      [delta],
    );
    assert.deepEqual([w.named('session.warn'), w.signals], [[], []], 'nothing is due yet');
    await w.at(27.9);
    assert.deepEqual(w.named('session.warn'), [], 'B is warned at 28 minutes, not before');
    await w.at(28);
    assert.deepEqual(w.named('session.warn'), [2]);
    await w.at(29.9);
    assert.deepEqual(w.signals, []);
    await w.at(30);
    assert.deepEqual(w.signals, ['SIGTERM 2'], 'B ends at its deadline');
    const term = w.events.find((e) => e.event === 'session.terminate')!;
    assert.equal(term.idle_seconds, 30 * 60);
    await w.at(40.9);
    assert.deepEqual(w.signals, ['SIGTERM 2'], 'C (detached 40m at 41m) is not due yet');
    await w.at(41);
    assert.deepEqual(w.signals, ['SIGTERM 2', 'SIGTERM 3'], 'C ends at its deadline');
    await w.at(52.9);
    assert.deepEqual(w.named('session.warn'), [2], 'A (typed at 25m) is not warned before 53m');
    assert.deepEqual(w.named('session.tamper'), [], 'no time is taken for tampering');
  });
}

test('a jump while the host is read: the pass reads again; a keystroke from before the jump is placed on the old clock', async () => {
  const w = world();
  await w.start();
  // A types at 26.5 minutes, then the clock is stepped a day forward before the pass has finished.
  w.jumpDuringNextScan(DAY, () => w.type(1));
  await w.at(26.5);
  const a = w.daemon.snapshot().find((x) => x.session.pid === 1)!.session;
  assert.equal(a.lastInputAt, T0 + 26.5 * MIN + DAY, 'on the new clock, half a minute ago, not a day');
  assert.equal(a.startedAt, T0 + DAY);
  await w.at(54);
  assert.deepEqual(w.named('session.warn'), [2], 'A (typed at 26.5m) is not warned before 54.5m');
});

test('after a step back, a keystroke (an atime behind the one seen before) counts as input', async () => {
  const w = world();
  await w.start();
  w.jump(-HOUR);
  await w.at(27);
  w.type(1); // at 27 minutes; the kernel writes the new wall clock: an hour behind the atime seen before
  await w.at(29);
  await w.at(54.9);
  assert.deepEqual(w.named('session.warn'), [2], 'A typed at 27m: not warned before 55m (B at 28m)');
  await w.at(55);
  assert.deepEqual(w.named('session.warn'), [2, 1]);
  assert.deepEqual(w.named('session.tamper'), []);
});
