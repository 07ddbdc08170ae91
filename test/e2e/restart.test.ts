// The daemon SIGKILLed inside a grace period (after SIGTERM, before SIGKILL), then started again: the new
// daemon finishes the job from what /proc and utmp show, and every audit line written before the kill is
// in the audit file. The promise across a restart (docs/architecture.md, "Clocks"): the new daemon sends
// SIGTERM again and counts a whole grace period from its own SIGTERM, so a restart can only make the
// grace longer, never shorter.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AUDITED } from '../../src/log/audit.js';
import type { EventName } from '../../src/log/events.js';
import {
  about,
  cleanupAll,
  e2eSkipReason,
  ensureTestUsers,
  isAlive,
  liveSession,
  setIdle,
  startDaemon,
} from './harness.js';

const skip = e2eSkipReason() ?? false;
const GRACE_S = 8;

describe('a daemon killed in the middle of a grace period', { skip }, () => {
  before(() => ensureTestUsers());
  after(() => cleanupAll());

  test('the restarted daemon ends the session; no audit line is lost', { timeout: 120_000 }, async () => {
    const { s } = await liveSession('mw-test-alice');
    setIdle(s.ptyPath, 600);
    process.kill(s.pid, 'SIGSTOP'); // our own session: it now ignores SIGTERM
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-restart-'));
    const audit = path.join(dir, 'audit.log');
    const config = [
      'scan_interval: 1s',
      'revocation_file: /nonexistent/revoked',
      'defaults:',
      '  idle_timeout: 5m',
      '  warn_before: off',
      `  grace: ${GRACE_S}s`,
      'log:',
      `  audit_file: ${audit}`,
    ].join('\n');
    try {
      const first = await startDaemon(config);
      await first.waitForEvent(about(s.pid, 'session.terminate'), 20_000);
      process.kill(first.pid, 'SIGKILL'); // our own daemon, inside the grace period
      assert.equal((await first.exited).signal, 'SIGKILL');
      assert.ok(isAlive(s.pid, s.startTime), 'the session outlived the first daemon');
      assert.deepEqual(
        first.events.filter((e) => e.event === 'session.kill'),
        [],
        'killed before its SIGKILL',
      );

      // Every line the first daemon logged that belongs to the trail is in the file, as it was logged.
      const inFile = new Set(fs.readFileSync(audit, 'utf8').split('\n'));
      const trail = first.lines.filter(
        (l) => l.startsWith('{') && AUDITED[(JSON.parse(l) as { event: EventName }).event],
      );
      assert.ok(trail.some((l) => l.includes('"event":"session.terminate"')));
      assert.deepEqual(
        trail.filter((l) => !inFile.has(l)),
        [],
        'no audit line lost',
      );

      const second = await startDaemon(config);
      const term = await second.waitForEvent(about(s.pid, 'session.terminate'), 20_000);
      assert.equal(term.reason, 'idle', 'the job is found again from /proc and utmp');
      const kill = await second.waitForEvent(about(s.pid, 'session.kill'), GRACE_S * 1000 + 20_000);
      assert.ok(
        (kill.after_ms as number) >= GRACE_S * 1000,
        `a whole grace period after the new SIGTERM: ${kill.after_ms} ms`,
      );
      const end = await second.waitForEvent(about(s.pid, 'session.end'), 15_000);
      assert.equal(end.reason, 'idle');
      assert.equal(isAlive(s.pid, s.startTime), false);
      assert.equal(await second.stop(), 0);
      const events = fs
        .readFileSync(audit, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { event: string; pid?: number })
        .filter((e) => e.pid === s.pid)
        .map((e) => e.event);
      assert.deepEqual(
        events.filter((e) => e !== 'session.start' && e !== 'session.rule'),
        ['session.terminate', 'session.terminate', 'session.kill', 'session.end'],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
