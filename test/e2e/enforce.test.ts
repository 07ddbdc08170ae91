// The enforcement core end to end: real mosh-server sessions of real test users, real mosh-clients in
// tmux, idleness made by setting the pty's atime back, and the real daemon and CLI.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  about,
  cleanupAll,
  e2eSkipReason,
  ensureTestUsers,
  isAlive,
  liveSession,
  runCli,
  setIdle,
  startDaemon,
  startSession,
  waitForExit,
  type LogEvent,
} from './harness.js';

const skip = e2eSkipReason() ?? false;
const T = 90_000;

function config(dir: string, extra = ''): string {
  return [
    'scan_interval: 1s',
    `revocation_file: ${dir}/revoked`,
    'defaults:',
    '  idle_timeout: 5m',
    '  warn_before: 6s',
    '  grace: 2s',
    'rules:',
    '  - groups: [mw-test-breakglass]',
    '    exempt: true',
    extra,
  ].join('\n');
}

/**
 * Watches a stopped process (which keeps a SIGTERM pending: ShdPnd in /proc/PID/status) until it is
 * gone, and resolves with an upper bound of the time from its SIGTERM to its end, on this process's
 * monotonic clock: from the start of the last look that saw no SIGTERM pending to the end of the first
 * look that found it gone.
 */
function watchStopped(pid: number): Promise<number> {
  const SIGTERM_BIT = 1n << 14n;
  let clean = -Infinity;
  return new Promise((resolve) => {
    const look = () => {
      const before = performance.now();
      let status: string | null = null;
      try {
        status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      } catch {
        // gone
      }
      const after = performance.now();
      if (status === null || /^State:\s+Z/m.test(status)) return resolve(after - clean);
      const pending = [...status.matchAll(/^(?:ShdPnd|SigPnd):\s+([0-9a-f]+)$/gm)].some(
        (m) => (BigInt(`0x${m[1]}`) & SIGTERM_BIT) !== 0n,
      );
      if (!pending) clean = before;
      setTimeout(look, 1);
    };
    look();
  });
}

describe('enforcement on real mosh sessions', { skip }, () => {
  before(() => ensureTestUsers());
  after(() => cleanupAll());

  test('sessions --json reports user, tty, state, origin and idle seconds', { timeout: T }, async () => {
    const a = await liveSession('mw-test-alice');
    const b = await startSession('mw-test-bob', { sshOrigin: '203.0.113.5' }); // no client: waiting
    setIdle(a.s.ptyPath, 600);

    const res = await runCli(['sessions', '--json', '--config', '/dev/null']);
    assert.equal(res.code, 0, res.stderr);
    const rows = JSON.parse(res.stdout) as Record<string, unknown>[];
    const ra = rows.find((r) => r.pid === a.s.pid);
    const rb = rows.find((r) => r.pid === b.pid);
    assert.ok(ra && rb, `both sessions listed: ${res.stdout}`);
    assert.equal(rows.filter((r) => r.pid === a.s.childPid).length, 0, 'the forkpty child is not a second session');

    assert.equal(ra.user, 'mw-test-alice');
    assert.equal(ra.tty, a.s.tty);
    assert.equal(ra.state, 'attached');
    assert.equal(ra.client, '127.0.0.1');
    assert.equal(ra.from, '198.51.100.7');
    assert.equal(ra.port, a.s.port);
    // atime was set 600 s back; the kernel's 8-second granularity is the only slack (plus the run time).
    assert.ok(Math.abs((ra.idle_seconds as number) - 600) <= 10, `idle_seconds ${ra.idle_seconds}`);
    assert.deepEqual((ra.verdict as { action: string; reason: string }).action, 'keep');

    assert.equal(rb.user, 'mw-test-bob');
    assert.equal(rb.state, 'waiting');
    assert.equal(rb.from, '203.0.113.5');
    assert.ok((rb.idle_seconds as number) <= 10, `idle_seconds ${rb.idle_seconds}`);

    const table = await runCli(['sessions', '--config', '/dev/null']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^PID\s+USER\s+TTY\s+FROM\s+STATE\s+IDLE\s+AGE\s+VERDICT$/m);
    assert.match(
      table.stdout,
      new RegExp(
        `^${a.s.pid}\\s+mw-test-alice\\s+${a.s.tty}\\s+198\\.51\\.100\\.7\\s+attached 127\\.0\\.0\\.1\\s+10m`,
        'm',
      ),
    );
  });

  test(
    'daemon: idle session is warned on screen then ended; exempt and typing users stay',
    { timeout: T },
    async () => {
      const alice = await liveSession('mw-test-alice'); // idle: warned, then ended
      const bob = await liveSession('mw-test-bob'); // idle but exempt (group mw-test-breakglass)
      const carol = await liveSession('mw-test-carol'); // idle, warned, types: stays
      for (const x of [alice, bob, carol]) setIdle(x.s.ptyPath, 10 * 60);

      const d = await startDaemon(config('/nonexistent'));
      await d.waitForEvent(about(alice.s.pid, 'session.warn'), 20_000);
      const carolWarn = await d.waitForEvent(about(carol.s.pid, 'session.warn'), 20_000);
      assert.equal(carolWarn.reason, 'idle');
      await alice.c.waitForText('[moshwarden] This mosh session has had no input', 10_000);
      await carol.c.waitForText('[moshwarden]', 10_000);

      carol.c.sendKeys('echo carol-is-here');
      await carol.c.waitForText(/^carol-is-here$/m, 10_000);

      const term = await d.waitForEvent(about(alice.s.pid, 'session.terminate'), 20_000);
      assert.equal(term.reason, 'idle');
      assert.equal(term.user, 'mw-test-alice');
      assert.ok((term.idle_seconds as number) >= 600, `idle_seconds ${term.idle_seconds}`);
      // The warning came at least warn_before (6 s) before the SIGTERM.
      const warnedAt = Date.parse(d.events.find(about(alice.s.pid, 'session.warn'))!.time as string);
      assert.ok(
        Date.parse(term.time as string) - warnedAt >= 6_000 - 50,
        'SIGTERM no sooner than warn_before after the warning',
      );

      await alice.c.waitForText('[mosh is exiting.]', 15_000);
      const end = await d.waitForEvent(about(alice.s.pid, 'session.end'), 15_000);
      assert.equal(end.reason, 'idle');
      assert.equal(await waitForExit(alice.s.pid, 5_000, alice.s.startTime), true);

      // Well past carol's would-be deadline: she typed, so she and exempt bob are still here.
      await new Promise((r) => setTimeout(r, 4_000));
      assert.ok(isAlive(carol.s.pid, carol.s.startTime), 'carol typed after the warning and keeps her session');
      assert.ok(isAlive(bob.s.pid, bob.s.startTime), 'exempt bob keeps his session');
      assert.equal(
        d.events.filter((e) => e.pid === bob.s.pid && (e.event === 'session.warn' || e.event === 'session.terminate'))
          .length,
        0,
      );
      assert.equal(d.events.filter(about(carol.s.pid, 'session.terminate')).length, 0);
      assert.doesNotMatch(bob.c.capture(), /moshwarden/);

      assert.equal(await d.stop(), 0, 'SIGTERM stops the daemon with exit 0');
      assert.ok(
        isAlive(carol.s.pid, carol.s.startTime) && isAlive(bob.s.pid, bob.s.startTime),
        'stopping the daemon leaves sessions alone',
      );
      assert.ok(
        d.events.some(
          (e) =>
            e.event === 'session.start' && e.pid === bob.s.pid && e.user === 'mw-test-bob' && e.state === 'attached',
        ),
      );
    },
  );

  test('dry run: decisions are logged, nothing is written or signalled', { timeout: T }, async () => {
    const alice = await liveSession('mw-test-alice');
    setIdle(alice.s.ptyPath, 10 * 60);
    const d = await startDaemon(config('/nonexistent'), { args: ['--dry-run'] });
    const warn = await d.waitForEvent(about(alice.s.pid, 'session.warn'), 20_000);
    assert.equal(warn.dry_run, true);
    const term = await d.waitForEvent(about(alice.s.pid, 'session.terminate'), 20_000);
    assert.equal(term.dry_run, true);
    await new Promise((r) => setTimeout(r, 3_000)); // longer than grace
    assert.ok(isAlive(alice.s.pid, alice.s.startTime), 'dry run ends nothing');
    assert.doesNotMatch(alice.c.capture(), /moshwarden/, 'dry run writes nothing to the terminal');
    assert.equal(await d.stop(), 0);
  });

  test('daemon: a session that ignores SIGTERM (stopped) is SIGKILLed after grace', { timeout: T }, async (t) => {
    const alice = await liveSession('mw-test-alice');
    setIdle(alice.s.ptyPath, 10 * 60);
    process.kill(alice.s.pid, 'SIGSTOP'); // our own session: it now cannot act on SIGTERM
    const seen = watchStopped(alice.s.pid);
    const d = await startDaemon(config('/nonexistent').replace('warn_before: 6s', 'warn_before: off'));
    await d.waitForEvent(about(alice.s.pid, 'session.terminate'), 20_000);
    const kill = await d.waitForEvent(about(alice.s.pid, 'session.kill'), 10_000);
    // The promise is kept on the monotonic clock (docs/architecture.md, "Clocks"): the daemon's own
    // count, and an upper bound on the real gap measured from outside on this process's monotonic clock
    // (the SIGTERM came after the last look that found none pending, the SIGKILL before the first look
    // that found the session gone). A slow look can only make the bound larger, never fail the test.
    // Log times (wall clock, whole ms) are not used: the wall clock may be stepped between two lines.
    assert.ok((kill.after_ms as number) >= 2_000, `the daemon's own count: ${kill.after_ms} ms`);
    const gapMs = await seen;
    t.diagnostic(`grace 2000 ms: daemon's after_ms ${kill.after_ms}, seen from outside at most ${gapMs.toFixed(1)} ms`);
    assert.ok(gapMs >= 2_000, `SIGKILL at most ${gapMs.toFixed(1)} ms after SIGTERM (grace 2s)`);
    assert.equal(kill.reason, 'idle');
    const end = await d.waitForEvent(about(alice.s.pid, 'session.end'), 10_000);
    assert.equal(end.reason, 'idle');
    assert.equal(isAlive(alice.s.pid, alice.s.startTime), false);
    assert.equal(await d.stop(), 0);
  });

  test(
    'terminate PID ends a session (client sees the exit); a non-session PID is refused with exit 2',
    { timeout: T },
    async () => {
      const bob = await liveSession('mw-test-bob'); // exempt from idleness, not from an operator
      const refused = await runCli(['terminate', String(bob.s.childPid), '--config', '/dev/null']);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /is not a mosh session/);
      assert.ok(isAlive(bob.s.pid, bob.s.startTime));
      const bad = await runCli(['terminate', 'abc', '--config', '/dev/null']);
      assert.equal(bad.code, 2);

      const res = await runCli(['terminate', String(bob.s.pid), '--reason', 'maintenance', '--config', '/dev/null']);
      assert.equal(res.code, 0, res.stderr);
      assert.match(
        res.stdout,
        new RegExp(`^session ${bob.s.pid} \\(mw-test-bob ${bob.s.tty}\\) exited \\d+ ms after SIGTERM$`, 'm'),
      );
      const events = res.stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as LogEvent);
      assert.deepEqual(
        events.map((e) => [e.event, e.reason]),
        [
          ['session.terminate', 'manual'],
          ['session.end', 'manual'],
        ],
      );
      await bob.c.waitForText('[mosh is exiting.]', 15_000);
      assert.equal(isAlive(bob.s.pid, bob.s.startTime), false);
    },
  );

  test('terminate PID escalates to SIGKILL for a stopped session', { timeout: T }, async () => {
    const carol = await liveSession('mw-test-carol');
    process.kill(carol.s.pid, 'SIGSTOP');
    const cfg = '/tmp/mw-e2e-grace.yaml';
    const { writeFileSync, rmSync } = await import('node:fs');
    writeFileSync(cfg, 'defaults:\n  grace: 1s\n');
    try {
      const res = await runCli(['terminate', String(carol.s.pid), '--config', cfg]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /killed with SIGKILL after \d+ ms/);
      assert.ok(res.stderr.includes('"event":"session.kill"'));
      assert.equal(isAlive(carol.s.pid, carol.s.startTime), false);
    } finally {
      rmSync(cfg, { force: true });
    }
  });
});
