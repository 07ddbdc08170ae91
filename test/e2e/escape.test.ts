// No user can opt out: the daemon, with exactly the unit's privileges, against what an ordinary user can
// do to their own session: refuse the warning (`mesg n`), fake input (`touch -a` on their pty), run a
// renamed copy of the server, or start thousands of look-alikes. Each of these escaped the daemon once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  about,
  cleanupAll,
  e2eSkipReason,
  ensureTestUsers,
  findExecutable,
  isAlive,
  liveSession,
  lookup,
  requireOrSkip,
  runAs,
  runCli,
  setIdle,
  sleep,
  spawnAs,
  startDaemon,
  startTimeOf,
  waitForExit,
  type LogEvent,
} from './harness.js';
import { asService, devptsProblem, ensureServiceUser } from './privileges.js';

const skip = e2eSkipReason() ?? requireOrSkip(findExecutable('setpriv') ? null : 'needs setpriv') ?? false;
const T = 120_000;

/** A root-only directory with the revocation file, like /etc/moshwarden: read through CAP_DAC_READ_SEARCH. */
function serviceDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-escape-'));
  fs.writeFileSync(path.join(dir, 'revoked'), '', { mode: 0o600 });
  return dir;
}

function config(dir: string, limits: string): string {
  return ['scan_interval: 2s', `revocation_file: ${dir}/revoked`, 'defaults:', limits].join('\n');
}

const home = (user: string) => lookup('passwd', user)!.split(':')[5]!;

describe('escapes, tried by an ordinary user against the daemon as the unit runs it', { skip }, () => {
  before(() => {
    ensureTestUsers();
    ensureServiceUser();
  });
  after(() => cleanupAll());

  test(
    '`mesg n` refuses the warning, and the idle limit still ends the session (warned: false)',
    { timeout: T },
    async (t) => {
      const { s, c } = await liveSession('mw-test-alice');
      const problem = requireOrSkip(devptsProblem(s.ptyPath));
      if (problem) return t.skip(problem);
      c.sendKeys('mesg n');
      await c.waitForText(/mesg n\s*\n.*[$#]\s*$/m, 10_000);
      assert.equal(fs.statSync(s.ptyPath).mode & 0o020, 0, 'the pty is no longer writable by group tty');
      setIdle(s.ptyPath, 600);
      const dir = serviceDir();
      const d = await startDaemon(config(dir, '  idle_timeout: 5m\n  warn_before: 3s\n  grace: 2s'), {
        wrap: asService(),
      });
      const failed = await d.waitForEvent(about(s.pid, 'session.warn_failed'), 20_000);
      assert.equal(failed.code, 'EACCES');
      const term = await d.waitForEvent(about(s.pid, 'session.terminate'), 20_000);
      assert.equal(term.reason, 'idle');
      assert.equal(term.warned, false);
      const gap = Date.parse(term.time as string) - Date.parse(failed.time as string);
      assert.ok(gap >= 3_000 - 50, `the whole warn_before after the refused warning (${gap} ms)`);
      assert.ok(await waitForExit(s.pid, 15_000, s.startTime), 'the session ended');
      assert.equal(d.events.filter(about(s.pid, 'session.warn_failed')).length, 1, 'the refusal is logged once');
      assert.equal(
        d.events.filter((e) => e.event === 'daemon.problem').length,
        0,
        'a user refusing is not a daemon problem',
      );
      assert.doesNotMatch(c.capture(), /\[moshwarden\] This mosh/, 'nothing was written to the refusing terminal');
      assert.equal(await d.stop(), 0);
    },
  );

  test(
    '`touch -a` on the pty every second is not input: session.tamper, then the idle limit ends it',
    { timeout: T },
    async () => {
      const { s } = await liveSession('mw-test-carol');
      const dir = serviceDir();
      const d = await startDaemon(config(dir, '  idle_timeout: 20s\n  warn_before: 4s\n  grace: 2s'), {
        wrap: asService(),
      });
      await d.waitForEvent(about(s.pid, 'session.start'), 15_000);
      // Both forms: `touch -a` (now, with nanoseconds) and a whole second just ahead of now.
      const toucher = await spawnAs(
        'mw-test-carol',
        `i=0; while [ -e ${s.ptyPath} ]; do i=$((i+1)); if [ $((i % 2)) = 0 ]; then touch -a -c ${s.ptyPath}; ` +
          `else touch -a -c -d @$(( $(date +%s) + 1 )) ${s.ptyPath}; fi; sleep 1; done`,
      );
      const tamper = await d.waitForEvent(about(s.pid, 'session.tamper'), 15_000);
      assert.equal(tamper.what, 'atime');
      assert.equal(tamper.user, 'mw-test-carol');
      const term = await d.waitForEvent(about(s.pid, 'session.terminate'), 60_000);
      assert.equal(term.reason, 'idle');
      assert.ok(await waitForExit(s.pid, 15_000, s.startTime), 'the session ended');
      assert.equal(
        d.events.filter((e) => about(s.pid, 'session.tamper')(e) && e.what === 'atime').length,
        1,
        'said once',
      );
      await toucher.stop();
      assert.equal(await d.stop(), 0);
    },
  );

  test(
    '`mesg n` and `mesg y` are not tampering: keystrokes typed after them keep the session',
    { timeout: T },
    async () => {
      const { s, c } = await liveSession('mw-test-alice');
      const dir = serviceDir();
      // The kernel moves atime at most once per 8-second block (tty_update_time), and the keystrokes of a
      // `mesg` are not believed (core/pty-trust.ts): the block a `mesg` opens shows no input at all. With a
      // keystroke every 2.5 s and a `mesg` every 20 s, at most one block in a row is lost, so the longest
      // gap between believed inputs is 8 + 8 + 2.5 s, plus 1 s of whole-second atime: 19.5 s. (A `mesg`
      // every 10 s lost two blocks in a row, a 25.5 s gap, and CI saw the 30 s limit's warning at 25 s.)
      // The limit leaves that gap 15 s of room for a loaded machine.
      const d = await startDaemon(config(dir, '  idle_timeout: 40s\n  warn_before: 5s\n  grace: 2s'), {
        wrap: asService(),
      });
      await d.waitForEvent(about(s.pid, 'session.start'), 15_000);
      const until = Date.now() + 55_000;
      for (let i = 0; Date.now() < until; i++) {
        c.sendKeys(i % 16 === 0 ? 'mesg n' : i % 16 === 8 ? 'mesg y' : `echo typed-${i}`);
        await sleep(2_500);
      }
      assert.ok(isAlive(s.pid, s.startTime), 'still here after 55 s of typing (idle limit 40 s)');
      const about_ = (e: LogEvent) =>
        e.pid === s.pid && ['session.tamper', 'session.warn', 'session.terminate'].includes(String(e.event));
      assert.deepEqual(d.events.filter(about_), []);
      assert.equal(await d.stop(), 0);
    },
  );

  test(
    'a renamed copy of the server is a session: listed with its executable, limited and revoked',
    { timeout: T },
    async () => {
      const user = 'mw-test-carol';
      const ms = path.join(home(user), 'ms');
      const cp = await runAs(user, `cp /usr/bin/mosh-server ${ms}`);
      assert.equal(cp.code, 0, cp.stderr);
      const { s } = await liveSession(user, undefined, { server: ms });
      assert.equal(fs.readFileSync(`/proc/${s.pid}/comm`, 'utf8').trim(), 'ms');

      const listed = await runCli(['sessions', '--json', '--config', '/dev/null']);
      const row = (JSON.parse(listed.stdout) as LogEvent[]).find((r) => r.pid === s.pid);
      assert.ok(row, `the renamed server is listed: ${listed.stdout}`);
      assert.equal(row.exe, ms);
      assert.equal(row.user, user);
      assert.equal(row.tty, s.tty);
      const table = await runCli(['sessions', '--config', '/dev/null']);
      assert.match(table.stdout, new RegExp(`^${s.pid}\\s.*exe: ${ms}`, 'm'));

      setIdle(s.ptyPath, 600);
      const dir = serviceDir();
      const d = await startDaemon(config(dir, '  idle_timeout: 5m\n  warn_before: 1m\n  grace: 2s'), {
        wrap: asService(),
      });
      await d.waitForEvent(about(s.pid, 'session.warn'), 20_000);
      fs.appendFileSync(path.join(dir, 'revoked'), `user:${user} reason="offboarding"\n`);
      const term = await d.waitForEvent(about(s.pid, 'session.terminate'), 10_000);
      assert.equal(term.reason, 'revoked');
      assert.ok(await waitForExit(s.pid, 15_000, s.startTime), 'the renamed server is gone');
      assert.equal(await d.stop(), 0);
    },
  );

  test(
    'look-alikes of a revoked user are never signalled: tmux, script, a mosh-server without a pty',
    { timeout: T },
    async () => {
      const user = 'mw-test-mallory';
      const fake = path.join(home(user), 'mosh-server');
      assert.equal((await runAs(user, `cp /bin/sleep ${fake}`)).code, 0);
      const socket = `mw-lookalike-${process.pid}`;
      const lookalikes = await spawnAs(
        user,
        `tmux -L ${socket} -f /dev/null new-session -d sleep 300; ` +
          `script -q -c 'sleep 300' /dev/null & ${fake} 300 & sleep 2; ` +
          `echo "tmux $(tmux -L ${socket} display-message -p '#{pid}')"; echo "script $(pgrep -u ${user} -x script)"; ` +
          `echo "fake $(pgrep -u ${user} -x mosh-server)"; wait`,
      );
      let pids: Record<string, number> = {};
      for (let i = 0; i < 100 && Object.keys(pids).length < 3; i++) {
        await sleep(100);
        pids = Object.fromEntries(
          [...lookalikes.stdout().matchAll(/^(tmux|script|fake) (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]),
        );
      }
      assert.equal(Object.keys(pids).length, 3, `started: ${lookalikes.stdout()}`);
      const starts = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, startTimeOf(pid)!]));
      try {
        const listed = JSON.parse((await runCli(['sessions', '--json', '--config', '/dev/null'])).stdout) as LogEvent[];
        assert.deepEqual(
          listed.filter((r) => r.user === user),
          [],
          'none of them is a session',
        );
        const dir = serviceDir();
        fs.writeFileSync(path.join(dir, 'revoked'), `user:${user}\n`, { mode: 0o600 });
        const d = await startDaemon(config(dir, '  idle_timeout: 5m'), { wrap: asService() });
        await d.waitForEvent((e) => e.event === 'daemon.start', 15_000);
        await sleep(5_000); // two scan intervals, and a full read at start
        for (const [k, pid] of Object.entries(pids)) assert.ok(isAlive(pid, starts[k]), `${k} ${pid} lives`);
        assert.deepEqual(
          d.events.filter((e) => e.user === user && String(e.event).startsWith('session.')),
          [],
        );
        assert.equal(await d.stop(), 0);
      } finally {
        await runAs(user, `tmux -L ${socket} kill-server`).catch(() => {});
        await lookalikes.stop();
      }
    },
  );
});
