import assert from 'node:assert/strict';
import { test } from 'node:test';
import { terminate, type TerminateDeps } from '../../../src/act/terminate.js';

/** A fake process and clock: `diesAfter` is how long the process takes to exit after a signal (null = never). */
function world(opts: { onTerm: number | null; onKill: number | null; aliveAtStart?: boolean; killError?: string }) {
  let now = 0;
  let alive = opts.aliveAtStart ?? true;
  let deathAt = Infinity;
  const sent: string[] = [];
  const deps: TerminateDeps = {
    now: () => now,
    monotonic: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    isSame: () => {
      if (now >= deathAt) alive = false;
      return alive;
    },
    kill: (_pid, signal) => {
      if (opts.killError) throw Object.assign(new Error(opts.killError), { code: opts.killError });
      sent.push(`${signal}@${now}`);
      const after = signal === 'SIGTERM' ? opts.onTerm : opts.onKill;
      if (after !== null) deathAt = Math.min(deathAt, now + after);
    },
  };
  return { deps, sent };
}

const target = { pid: 4242, startTicks: 77, comm: 'mosh-server' };

test('exits on SIGTERM within grace: no SIGKILL', async () => {
  const w = world({ onTerm: 300, onKill: 0 });
  const out = await terminate(target, 10_000, w.deps);
  assert.deepEqual(w.sent, ['SIGTERM@0']);
  assert.equal(out.result, 'exited');
  assert.ok(out.result === 'exited' && out.afterMs >= 300 && out.afterMs < 350);
});

test('ignores SIGTERM (stopped process): SIGKILL exactly after grace', async () => {
  const w = world({ onTerm: null, onKill: 10 });
  const out = await terminate(target, 2_000, w.deps);
  assert.deepEqual(w.sent, ['SIGTERM@0', 'SIGKILL@2000']);
  assert.equal(out.result, 'killed');
});

test('gone before the first signal: nothing is sent', async () => {
  const w = world({ onTerm: 0, onKill: 0, aliveAtStart: false });
  assert.deepEqual(await terminate(target, 1_000, w.deps), { result: 'gone' });
  assert.deepEqual(w.sent, []);
});

test('pid reused during grace: identity re-checked, no SIGKILL to the newcomer', async () => {
  const w = world({ onTerm: null, onKill: 0 });
  let checks = 0;
  const isSame = w.deps.isSame;
  // The original process disappears (and its pid is reused) at t=1500: isSame turns false.
  w.deps.isSame = (t) => (w.deps.now() >= 1500 ? false : (checks++, isSame(t)));
  const out = await terminate(target, 2_000, w.deps);
  assert.deepEqual(w.sent, ['SIGTERM@0']);
  assert.equal(out.result, 'exited');
  assert.ok(checks > 1);
});

test('ESRCH on kill means already gone: success', async () => {
  const w = world({ onTerm: 0, onKill: 0, killError: 'ESRCH' });
  assert.deepEqual(await terminate(target, 1_000, w.deps), { result: 'gone' });
});

test('EPERM is reported as a failure, not thrown', async () => {
  const w = world({ onTerm: 0, onKill: 0, killError: 'EPERM' });
  assert.deepEqual(await terminate(target, 1_000, w.deps), { result: 'failed', signal: 'SIGTERM', code: 'EPERM' });
});

test('survives SIGKILL (D state): reported as stuck', async () => {
  const w = world({ onTerm: null, onKill: null });
  const out = await terminate(target, 1_000, w.deps);
  assert.equal(out.result, 'stuck');
  assert.deepEqual(w.sent, ['SIGTERM@0', 'SIGKILL@1000']);
});

test('onSignal is told of each signal in order', async () => {
  const w = world({ onTerm: null, onKill: 5 });
  const seen: string[] = [];
  await terminate(target, 100, { ...w.deps, onSignal: (s) => seen.push(s) });
  assert.deepEqual(seen, ['SIGTERM', 'SIGKILL']);
});

test('the grace period is counted on the monotonic clock: a wall clock a day ahead does not shorten it', async () => {
  const w = world({ onTerm: null, onKill: 10 });
  const mono = w.deps.now; // the fake's one clock moves with sleep: it stands for the monotonic clock
  let jumped = 0;
  w.deps.monotonic = mono;
  // The wall clock is stepped a day forward right after the SIGTERM, and an hour back a moment later.
  w.deps.now = () => mono() + jumped;
  const kill = w.deps.kill;
  w.deps.kill = (pid, signal) => {
    kill(pid, signal);
    if (signal === 'SIGTERM') jumped = 86_400_000;
  };
  const sleep = w.deps.sleep;
  w.deps.sleep = async (ms) => {
    await sleep(ms);
    if (mono() >= 500) jumped = -3_600_000;
  };
  const out = await terminate(target, 2_000, w.deps);
  assert.deepEqual(w.sent, ['SIGTERM@0', 'SIGKILL@2000']);
  assert.ok(out.result === 'killed' && out.afterMs >= 2_000);
});
