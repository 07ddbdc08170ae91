// Jumps of the wall clock on a real host (core/clock-jump.ts). The machine's clock is never set (other
// tests and services share it): the daemon's own wall clock is moved through MOSHWARDEN_TEST_CLOCK
// (host/test-clock.ts), while the kernel keeps writing pty times with the real one — exactly what a
// stepped clock looks like to the daemon. Time namespaces cannot do this: they move only the monotonic
// and boot clocks.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  about,
  cleanupAll,
  e2eSkipReason,
  ensureTestUsers,
  liveSession,
  setIdle,
  sleep,
  startDaemon,
  type LogEvent,
} from './harness.js';

const skip = e2eSkipReason() ?? false;
const DAY = 86_400_000;
const HOUR = 3_600_000;

// B (alice) is idle and due soon; A (bob) typed just now and has ten minutes. No warnings: the kernel keeps
// the real clock, so a pty written after the daemon's clock was moved (a warning) would carry a time from
// the other side of the jump, which a real step of the clock never produces.
const CONFIG = [
  'scan_interval: 1s',
  'revocation_file: /nonexistent/revoked',
  'defaults:',
  '  idle_timeout: 1m',
  '  warn_before: off',
  '  grace: 2s',
  'rules:',
  '  - users: [mw-test-bob]',
  '    idle_timeout: 10m',
].join('\n');

describe('the wall clock jumps under a running daemon', { skip }, () => {
  before(() => ensureTestUsers());
  after(() => cleanupAll());

  for (const [name, delta] of [
    ['forward by a day', DAY],
    ['back by an hour', -HOUR],
  ] as const) {
    test(`${name}: nobody who was not idle is warned or ended, a running deadline holds, no tamper`, async () => {
      const a = await liveSession('mw-test-bob');
      const b = await liveSession('mw-test-alice');
      setIdle(b.s.ptyPath, 35); // ended at 60 s of idleness
      const clockFile = path.join(fs.mkdtempSync('/tmp/mw-clock-'), 'offset');
      fs.writeFileSync(clockFile, '0', { mode: 0o600 });
      // Its wall clock is off from the kernel's once moved: sessions it first sees after that are not
      // what this test is about, so it is stopped before the next test starts any.
      const d = await startDaemon(CONFIG, { env: { MOSHWARDEN_TEST_CLOCK: clockFile } });
      try {
        await d.waitForEvent(about(a.s.pid, 'session.start'), 15_000);
        await d.waitForEvent(about(b.s.pid, 'session.start'), 15_000);
        await sleep(1_500); // a pass or two on the old clock
        fs.writeFileSync(clockFile, String(delta));
        process.kill(d.pid, 'SIGUSR2'); // our own daemon
        const jump = await d.waitForEvent((e) => e.event === 'daemon.clock_jump', 10_000);
        assert.ok(Math.abs((jump.jump_ms as number) - delta) < 1_000, `jump_ms ${jump.jump_ms}`);

        const term = await d.waitForEvent(about(b.s.pid, 'session.terminate'), 60_000);
        const idle = term.idle_seconds as number;
        assert.ok(idle >= 59 && idle < 600, `B ended at its own deadline: idle ${idle} s, not a day or never`);
        assert.equal(term.reason, 'idle');
        await d.waitForEvent(about(b.s.pid, 'session.end'), 15_000);
        await sleep(3_000); // three more passes on the new clock
        const acted = ['session.warn', 'session.warn_failed', 'session.terminate', 'session.kill', 'session.end'];
        assert.deepEqual(
          d.events.filter((e: LogEvent) => e.pid === a.s.pid && acted.includes(e.event as string)),
          [],
          'A was neither warned nor ended',
        );
        assert.deepEqual(
          d.events.filter((e) => e.event === 'session.tamper'),
          [],
          'no pty time was taken for tampering',
        );
        assert.equal(await d.stop(), 0);
      } finally {
        await d.stop();
        fs.rmSync(path.dirname(clockFile), { recursive: true, force: true });
      }
    });
  }
});
