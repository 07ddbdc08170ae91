// Policy depth end to end: detached clients (a mosh-client SIGKILLed, as when a laptop lid closes), a
// reconnect, max_age, a seconds-field schedule, and config edits applied to live sessions without SIGHUP.
// Real mosh-servers of the mw-test-* users, real mosh-clients in tmux.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, before, describe, test } from 'node:test';
import {
  about,
  cleanupAll,
  e2eSkipReason,
  ensureTestUsers,
  isAlive,
  liveSession,
  runCli,
  setIdle,
  sleep,
  startDaemon,
  waitForExit,
  type LogEvent,
} from './harness.js';

const skip = e2eSkipReason() ?? false;
/** mosh flips utmp to detached ~30-33 s after the client's last packet: these tests wait for it. */
const LONG = 150_000;

/**
 * Each attach and detach makes mosh-server fork libutempter's helper, a child that holds /dev/ptmx and is
 * named mosh-server until it execs: it must never be reported as a session of its own.
 */
function assertOnlySessions(events: LogEvent[], pids: number[]): void {
  const started = events.filter((e) => e.event === 'session.start').map((e) => e.pid as number);
  assert.deepEqual(
    [...new Set(started)].sort(),
    [...pids].sort(),
    'session.start only for the sessions the test started',
  );
}

describe('policy depth on real mosh sessions', { skip }, () => {
  before(() => ensureTestUsers());
  afterEach(() => cleanupAll());

  test(
    'a client lost for good is detached after the utmp flip and ended after detached_timeout; a reconnect within it keeps its session',
    { timeout: LONG },
    async () => {
      const d = await startDaemon(
        [
          'scan_interval: 5s',
          'revocation_file: /nonexistent/revoked',
          'defaults:',
          '  idle_timeout: off',
          'rules:',
          '  - groups: [mw-test-contractors]',
          '    detached_timeout: 15s',
        ].join('\n'),
      );
      const lost = await liveSession('mw-test-alice'); // contractors: 15 s once detached
      const back = await liveSession('mw-test-carol'); // contractors too, but the client comes back
      const other = await liveSession('mw-test-bob'); // defaults: no detached limit
      for (const { s } of [lost, back, other]) await d.waitForEvent(about(s.pid, 'session.start'), 10_000);

      // Laptop lids close: alice's and bob's clients are gone for good, carol's is frozen (SIGSTOP).
      await Promise.all([lost.c.detach(), other.c.detach()]);
      back.c.suspend();
      const detachLost = await d.waitForEvent(about(lost.s.pid, 'session.detach'), 60_000);
      const detachBack = await d.waitForEvent(about(back.s.pid, 'session.detach'), 20_000);
      await d.waitForEvent(about(other.s.pid, 'session.detach'), 20_000);

      // carol's laptop wakes up within the 15 s: the same client carries on.
      back.c.resume();
      await d.waitForEvent(about(back.s.pid, 'session.attach'), 10_000, d.events.indexOf(detachBack));
      back.c.sendKeys('echo back-again');
      await back.c.waitForText('back-again', 10_000);

      const term = await d.waitForEvent(about(lost.s.pid, 'session.terminate'), 30_000);
      assert.equal(term.reason, 'detached');
      assert.ok(await waitForExit(lost.s.pid, 10_000, lost.s.startTime), 'the lost session ended');
      // detached_timeout counts from utmp's flip (the record's time), which is at most the detach event's time.
      const sinceDetach = Date.parse(term.time as string) - Date.parse(detachLost.time as string);
      assert.ok(
        sinceDetach >= 11_000 && sinceDetach <= 17_000,
        `SIGTERM ${sinceDetach} ms after the detach was logged (15 s after the flip, which the 3 s hold follows)`,
      );

      await sleep(5_000); // well past carol's would-be deadline
      assert.ok(isAlive(back.s.pid, back.s.startTime), 'the reconnected session lives');
      assert.ok(isAlive(other.s.pid, other.s.startTime), 'a user without a detached limit keeps the session');
      assert.equal(d.events.filter((e) => e.event === 'session.terminate' && e.pid !== lost.s.pid).length, 0);
      assertOnlySessions(d.events, [lost.s.pid, back.s.pid, other.s.pid]);
      assert.equal(await d.stop(), 0);
    },
  );

  test(
    'a session over max_age is warned on its screen, then ended after warn_before',
    { timeout: 60_000 },
    async () => {
      const d = await startDaemon(
        [
          'scan_interval: 5s',
          'revocation_file: /nonexistent/revoked',
          'defaults:',
          '  idle_timeout: off',
          '  max_age: 12s',
          '  warn_before: 5s',
          '  grace: 2s',
        ].join('\n'),
      );
      const { s, c } = await liveSession('mw-test-alice');
      c.sendKeys('echo still typing'); // activity does not matter to max_age
      const warn = await d.waitForEvent(about(s.pid, 'session.warn'), 20_000);
      assert.equal(warn.reason, 'max_age');
      await c.waitForText('maximum lifetime of 12s', 10_000);
      const term = await d.waitForEvent(about(s.pid, 'session.terminate'), 15_000);
      assert.equal(term.reason, 'max_age');
      const gap = Date.parse(term.time as string) - Date.parse(warn.time as string);
      assert.ok(gap >= 4_900, `terminated ${gap} ms after the warning (warn_before 5s)`);
      await c.waitForText('[mosh is exiting.]', 15_000);
      const end = await d.waitForEvent(about(s.pid, 'session.end'), 15_000);
      assert.equal(end.reason, 'max_age');
      assert.equal(await d.stop(), 0);
    },
  );

  test(
    'a seconds-field schedule ends the detached sessions of a group and leaves the others',
    { timeout: LONG },
    async () => {
      const d = await startDaemon(
        [
          'scan_interval: 5s',
          'revocation_file: /nonexistent/revoked',
          'defaults:',
          '  idle_timeout: off',
          'schedules:',
          '  - cron: "*/2 * * * * *"',
          '    terminate: detached',
          '    groups: [mw-test-contractors]',
        ].join('\n'),
      );
      const swept = await liveSession('mw-test-alice'); // contractors, detached below
      const attached = await liveSession('mw-test-carol'); // contractors, stays attached
      const outside = await liveSession('mw-test-bob'); // not in the group, detached below
      for (const { s } of [swept, attached, outside]) await d.waitForEvent(about(s.pid, 'session.start'), 10_000);
      await Promise.all([swept.c.detach(), outside.c.detach()]);

      const term = await d.waitForEvent(about(swept.s.pid, 'session.terminate'), 60_000);
      assert.equal(term.reason, 'schedule');
      const run = d.events.find((e) => e.event === 'schedule.run' && (e.pids as number[]).includes(swept.s.pid));
      assert.ok(run, 'schedule.run names the session it ended');
      assert.equal(run.schedule, 0);
      assert.ok(await waitForExit(swept.s.pid, 10_000, swept.s.startTime));

      // bob is detached too, but outside the group: several more firings leave him alone.
      await d.waitForEvent(about(outside.s.pid, 'session.detach'), 20_000);
      const runs = d.events.filter((e) => e.event === 'schedule.run').length;
      await d.waitForEvent(() => d.events.filter((e) => e.event === 'schedule.run').length >= runs + 2, 10_000);
      assert.ok(isAlive(outside.s.pid, outside.s.startTime), 'a detached session outside the group lives');
      assert.ok(isAlive(attached.s.pid, attached.s.startTime), 'an attached session of the group lives');
      assert.equal(d.events.filter((e) => e.event === 'session.terminate').length, 1);
      assertOnlySessions(d.events, [swept.s.pid, attached.s.pid, outside.s.pid]);
      assert.equal(await d.stop(), 0);
    },
  );

  test(
    'editing the config file applies to live sessions without SIGHUP; an invalid edit keeps the old behaviour',
    { timeout: 90_000 },
    async () => {
      const base = [
        'scan_interval: 1m',
        'revocation_file: /nonexistent/revoked',
        'defaults:',
        '  warn_before: 4s',
        '  grace: 2s',
      ];
      const d = await startDaemon([...base, '  idle_timeout: 1h'].join('\n'));
      const { s, c } = await liveSession('mw-test-alice');
      await d.waitForEvent(about(s.pid, 'session.start'), 10_000);
      setIdle(s.ptyPath, 300); // idle 5 minutes: fine under 1h

      // An invalid edit (a typo'd key): logged with check-config's text, and the running config stays.
      const bad = [...base, '  idle_timeout: 1m', '  idle_timout: 1m'].join('\n');
      fs.writeFileSync(d.configPath, bad);
      const err = await d.waitForEvent((e) => e.event === 'config.error', 10_000);
      const check = await runCli(['check-config', d.configPath]);
      assert.equal(check.code, 2);
      assert.deepEqual(
        err.errors,
        check.stderr.trim().split('\n').slice(1),
        'the same lines check-config prints under its header',
      );
      await sleep(3_000);
      assert.equal(d.events.filter((e) => e.event === 'session.warn').length, 0, 'the invalid config was not applied');

      // A valid edit, saved the way many editors do (write a temp file, rename it over): idle_timeout 1m.
      const tmp = path.join(path.dirname(d.configPath), '.config.yaml.swp');
      fs.writeFileSync(tmp, [...base, '  idle_timeout: 1m'].join('\n'));
      fs.renameSync(tmp, d.configPath);
      const load = await d.waitForEvent((e) => e.event === 'config.load' && e.trigger === 'watch', 10_000);
      // Already past the new deadline: warned first, and given the whole warn_before.
      const warn = await d.waitForEvent(about(s.pid, 'session.warn'), 10_000);
      assert.equal(warn.reason, 'idle');
      assert.ok(
        Date.parse(warn.time as string) - Date.parse(load.time as string) < 2_000,
        'applied at once, not at the next scan (1m)',
      );
      await c.waitForText('[moshwarden]', 10_000);
      const term = await d.waitForEvent(about(s.pid, 'session.terminate'), 15_000);
      assert.equal(term.reason, 'idle');
      assert.ok(
        Date.parse(term.time as string) - Date.parse(warn.time as string) >= 3_900,
        'never killed without the full warning period',
      );
      assert.ok(await waitForExit(s.pid, 10_000, s.startTime));
      assert.equal(await d.stop(), 0);
    },
  );
});
