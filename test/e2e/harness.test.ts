// Self-tests of the e2e harness, on real mosh-server / mosh-client / tmux processes.
// They need no moshwarden code: they prove the ground the daemon's e2e tests stand on.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  attachClient,
  cleanupAll,
  e2eSkipReason,
  ensureTestUsers,
  isAlive,
  requireOrSkip,
  runCli,
  setIdle,
  setOutputIdle,
  startDaemon,
  startSession,
  uidOf,
  waitForExit,
  whoLinesFor,
  type Client,
  type MoshSession,
} from './harness.js';

const skip = e2eSkipReason() ?? false;
const TEST_TIMEOUT = 60_000;

/** Seconds between now and a stat time in ms. */
const ageSeconds = (timeMs: number) => (Date.now() - timeMs) / 1000;

function ps(args: string[]): string {
  return execFileSync('ps', args, { encoding: 'utf8' }).trim();
}

describe('e2e harness on real mosh sessions', { skip }, () => {
  before(() => ensureTestUsers());
  after(() => cleanupAll());

  test('sessions of two users start with distinct ptys and the right owners', { timeout: TEST_TIMEOUT }, async () => {
    const [alice, bob] = await Promise.all([
      startSession('mw-test-alice'),
      startSession('mw-test-bob', { sshOrigin: '203.0.113.5' }),
    ]);

    assert.notEqual(alice.port, bob.port);
    assert.notEqual(alice.tty, bob.tty);
    assert.notEqual(alice.pid, bob.pid);
    for (const [s, user] of [
      [alice, 'mw-test-alice'],
      [bob, 'mw-test-bob'],
    ] as const) {
      assert.match(s.tty, /^pts\/\d+$/);
      assert.equal(s.ptyPath, `/dev/${s.tty}`);
      assert.match(s.key, /^[A-Za-z0-9/+]{22}$/);
      assert.equal(ps(['-o', 'user:32=,comm=', '-p', String(s.pid)]).replace(/\s+/g, ' '), `${user} mosh-server`);
      // The session has no tty itself; its forkpty child sits on the pty.
      assert.equal(ps(['-o', 'user:32=,tty=', '--ppid', String(s.pid)]).replace(/\s+/g, ' '), `${user} ${s.tty}`);
      assert.equal(fs.statSync(s.ptyPath).uid, uidOf(user));
      const fds = fs.readdirSync(`/proc/${s.pid}/fd`).map((fd) => fs.readlinkSync(`/proc/${s.pid}/fd/${fd}`));
      assert.ok(fds.includes('/dev/ptmx'), `session ${s.pid} holds no /dev/ptmx: ${fds.join(' ')}`);
    }
    const environ = fs.readFileSync(`/proc/${bob.pid}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes('SSH_CONNECTION=203.0.113.5 5555 127.0.0.1 22'), environ.join(' '));

    // Never attached: SIGTERM ends it at once.
    const t0 = Date.now();
    process.kill(alice.pid, 'SIGTERM');
    assert.ok(await waitForExit(alice.pid, 10_000, alice.startTime), 'mosh-server without a client survived SIGTERM');
    assert.equal(isAlive(alice.pid, alice.startTime), false);
    console.log(`# fact: unattached session exited ${Date.now() - t0} ms after SIGTERM`);
    assert.ok(isAlive(bob.pid, bob.startTime));
  });

  describe('with a client attached', () => {
    let session: MoshSession;
    let client: Client;

    before(async () => {
      session = await startSession('mw-test-carol');
      setIdle(session.ptyPath, 3600);
      const t0 = Date.now();
      client = await attachClient(session);
      console.log(`# fact: attach to prompt took ${Date.now() - t0} ms`);
    });

    test(
      'the first attach bumps the pty atime (the child reads its start signal from the pty)',
      { timeout: TEST_TIMEOUT },
      () => {
        // mosh-server's forkpty child waits for the first client by reading a line from the pty, and that
        // read is input as far as the kernel is concerned. Tests that need an idle session must set the
        // atime back *after* attaching.
        const idle = ageSeconds(fs.statSync(session.ptyPath).atimeMs);
        assert.ok(idle < 10, `atime is ${idle} s old after the first attach`);
        assert.ok(ageSeconds(fs.statSync(session.ptyPath).mtimeMs) < 10, 'the prompt was output: mtime is fresh');
      },
    );

    test('a resize reaches the pty but does not touch its atime', { timeout: TEST_TIMEOUT }, async () => {
      setIdle(session.ptyPath, 3600);
      client.resize(90, 25);
      const sized = await waitUntil(() => sttySize(session.ptyPath) === '25 90', 15_000);
      assert.ok(sized, `pty size is ${sttySize(session.ptyPath)}`);
      const idle = ageSeconds(fs.statSync(session.ptyPath).atimeMs);
      assert.ok(idle > 3590 && idle < 3700, `atime is ${idle} s old after a resize`);
    });

    test('typed keys reach the shell and its output comes back', { timeout: TEST_TIMEOUT }, async () => {
      setIdle(session.ptyPath, 3600);
      const t0 = Date.now();
      client.sendKeys('echo mw-hello-$((6*7))');
      const screen = await client.waitForText('mw-hello-42', 15_000);
      console.log(`# fact: keystrokes to output on screen took ${Date.now() - t0} ms`);
      assert.match(screen, /^mw-hello-42$/m);
    });

    test('typing resets the pty atime to about now', { timeout: TEST_TIMEOUT }, async () => {
      // The kernel only moves atime when it crosses into a new 8-second block, so allow ~10 s.
      const idle = ageSeconds(fs.statSync(session.ptyPath).atimeMs);
      assert.ok(idle < 10, `atime is ${idle} s old after typing`);
    });

    test(
      'setIdle moves atime back and keeps mtime; setOutputIdle moves mtime and keeps atime',
      { timeout: TEST_TIMEOUT },
      () => {
        const original = fs.statSync(session.ptyPath);
        setIdle(session.ptyPath, 600);
        const afterIdle = fs.statSync(session.ptyPath);
        assert.ok(Math.abs(ageSeconds(afterIdle.atimeMs) - 600) < 2, `atime age ${ageSeconds(afterIdle.atimeMs)}`);
        assert.ok(Math.abs(afterIdle.mtimeMs - original.mtimeMs) < 0.01, 'mtime changed');

        setOutputIdle(session.ptyPath, 300);
        const afterOutput = fs.statSync(session.ptyPath);
        assert.ok(Math.abs(ageSeconds(afterOutput.mtimeMs) - 300) < 2, `mtime age ${ageSeconds(afterOutput.mtimeMs)}`);
        assert.ok(Math.abs(afterOutput.atimeMs - afterIdle.atimeMs) < 0.01, 'atime changed');
      },
    );

    test('utmp lists the attached session as "127.0.0.1 via mosh [PID]"', { timeout: TEST_TIMEOUT }, async () => {
      let lines: string[] = [];
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        lines = await whoLinesFor(session.pid);
        if (lines.some((l) => l.includes(`(127.0.0.1 via mosh [${session.pid}])`))) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const line = lines.find((l) => l.includes(`(127.0.0.1 via mosh [${session.pid}])`));
      assert.ok(line, `who shows no attached record for ${session.pid}: ${JSON.stringify(lines)}`);
      assert.match(line, new RegExp(`^mw-test-carol\\s+${session.tty.replace('/', '\\/')}\\s`));
    });

    test('SIGTERM to the session makes the client print [mosh is exiting.]', { timeout: TEST_TIMEOUT }, async () => {
      const t0 = Date.now();
      process.kill(session.pid, 'SIGTERM');
      const screen = await client.waitForText('[mosh is exiting.]', 15_000);
      console.log(`# fact: client showed the exit line ${Date.now() - t0} ms after SIGTERM`);
      assert.ok(screen.includes('[mosh is exiting.]'));
      assert.ok(await waitForExit(session.pid, 15_000, session.startTime), 'session still alive');
      console.log(`# fact: session gone ${Date.now() - t0} ms after SIGTERM`);
      // The pane stays (remain-on-exit), so the last screen is still there once the client is gone.
      const exited = await waitUntil(() => client.clientExited(), 10_000);
      assert.ok(exited, 'mosh-client did not exit');
      assert.ok(client.capture().includes('[mosh is exiting.]'));
      // A clean exit removes the utmp record.
      assert.ok(
        await waitUntil(async () => (await whoLinesFor(session.pid)).length === 0, 10_000),
        'utmp record left behind',
      );
    });
  });

  test(
    'detach() kills only the client: the session stays; kill() ends it via the client',
    { timeout: TEST_TIMEOUT },
    async () => {
      const session = await startSession('mw-test-bob');
      const first = await attachClient(session);
      await first.detach();
      assert.equal(isAlive(first.clientPid), false);
      assert.ok(isAlive(session.pid, session.startTime), 'session died with its client');

      const second = await startSession('mw-test-alice');
      const client = await attachClient(second);
      await client.kill();
      assert.ok(
        await waitForExit(second.pid, 15_000, second.startTime),
        'killing the tmux server did not end the session',
      );
      assert.equal(isAlive(client.tmuxPid), false);
    },
  );
});

/** "rows cols" of a pty, read with an ioctl (no read of input, so atime stays). */
function sttySize(ptyPath: string): string {
  return execFileSync('stty', ['-F', ptyPath, 'size'], { encoding: 'utf8' }).trim();
}

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

// These need no root and no mosh: they run everywhere.

test('MOSHWARDEN_REQUIRE_E2E=1 turns a skip into a failure', () => {
  assert.equal(requireOrSkip(null, { MOSHWARDEN_REQUIRE_E2E: '1' }), null);
  assert.equal(requireOrSkip('no tmux', {}), 'no tmux');
  assert.throws(() => requireOrSkip('no tmux', { MOSHWARDEN_REQUIRE_E2E: '1' }), /no tmux/);
});

describe('runCli and startDaemon (against a stand-in script)', () => {
  let dir: string;
  let fake: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-harness-'));
    fake = path.join(dir, 'fake.mjs');
    fs.writeFileSync(
      fake,
      `
      const args = process.argv.slice(2);
      if (args[0] !== 'run') {
        console.log(JSON.stringify(args)); console.error('to stderr'); process.exit(args.length);
      }
      const fs = await import('node:fs');
      const config = fs.readFileSync(args[2], 'utf8');
      console.log(JSON.stringify({ event: 'config.load', path: args[2], text: config }));
      console.log('not json');
      process.stdout.write('<6>' + JSON.stringify({ event: 'prefixed' }) + '\\n');
      let n = 0;
      const timer = setInterval(() => console.log(JSON.stringify({ event: 'tick', n: n++ })), 50);
      process.on('SIGTERM', () => { clearInterval(timer); console.log(JSON.stringify({ event: 'bye' })); process.exit(3); });
      `,
    );
  });
  after(async () => {
    await cleanupAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('runCli returns exit code, stdout and stderr', { timeout: TEST_TIMEOUT }, async () => {
    const result = await runCli(['a', 'b'], { entry: fake });
    assert.deepEqual(result, { code: 2, signal: null, stdout: '["a","b"]\n', stderr: 'to stderr\n' });
  });

  test('startDaemon collects JSON lines, waits for events, stops with SIGTERM', { timeout: TEST_TIMEOUT }, async () => {
    const daemon = await startDaemon('scan_interval: 5s\n', { entry: fake });
    const load = await daemon.waitForEvent((e) => e.event === 'config.load');
    assert.equal(load.path, daemon.configPath);
    assert.equal(load.text, 'scan_interval: 5s\n');
    await daemon.waitForEvent((e) => e.event === 'tick' && e.n === 3);
    assert.ok(daemon.events.some((e) => e.event === 'prefixed'));
    assert.ok(daemon.lines.includes('not json'));
    const from = daemon.events.length;
    const next = await daemon.waitForEvent((e) => e.event === 'tick', 5_000, from);
    assert.ok((next.n as number) > 3);
    await assert.rejects(
      daemon.waitForEvent((e) => e.event === 'never', 300),
      /timed out after 300 ms[\s\S]*tick/,
    );
    assert.equal(await daemon.stop(), 3);
    assert.equal(daemon.events.at(-1)?.event, 'bye');
    await assert.rejects(
      daemon.waitForEvent((e) => e.event === 'never', 5_000),
      /daemon exited \(3\)/,
    );
  });
});
