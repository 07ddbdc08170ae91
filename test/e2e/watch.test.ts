// `sessions --watch` in a real terminal (tmux), with real mosh sessions in the table: the view is redrawn in
// place with the countdowns moving, and q, Ctrl-C and SIGTERM each give the terminal back as it was
// (main screen, cursor shown, cooked mode, the shell prompt, no leftover table). Piped, it prints one
// table per interval.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  childrenOf,
  cleanupAll,
  e2eSkipReason,
  ensureTestUsers,
  liveSession,
  openTerminal,
  repoRoot,
  signalIfSame,
  sleep,
  startTimeOf,
  type MoshSession,
  type Terminal,
} from './harness.js';

const skip = e2eSkipReason() ?? false;
const PROMPT = 'mw-watch$ ';
/** capture-pane drops trailing blanks: the prompt as it shows, at the end of the screen. */
const AT_PROMPT = /mw-watch\$$/;

describe('sessions --watch', { skip }, () => {
  let sessions: MoshSession[] = [];
  let dir = '';
  let config = '';
  before(async () => {
    ensureTestUsers();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-e2e-watch-'));
    config = path.join(dir, 'config.yaml');
    fs.writeFileSync(
      config,
      'revocation_file: /nonexistent/revoked\ndefaults:\n  idle_timeout: 30m\n  warn_before: 2m\n',
    );
    sessions = [(await liveSession('mw-test-alice')).s, (await liveSession('mw-test-bob')).s];
  });
  after(async () => {
    await cleanupAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const command = () => `node ${path.join(repoRoot(), 'bin/moshwarden.js')} sessions --watch 1 --config ${config}`;

  /** A shell with a known prompt, the watch started in it and showing both sessions. */
  async function startWatch(): Promise<Terminal> {
    const t = await openTerminal(['bash', '--norc', '--noprofile', '-i'], { env: { PS1: PROMPT } });
    await t.waitForScreen(AT_PROMPT);
    t.sendKeys(command());
    const pidsShown = new RegExp(sessions.map((s) => `^${s.pid} .*keep, next check in`).join('[^]*'), 'm');
    await t.waitForScreen(pidsShown, 20_000);
    return t;
  }

  /** The terminal is as the shell left it: main screen, cursor on, cooked mode, prompt, no table. */
  async function assertRestored(t: Terminal): Promise<void> {
    const screen = await t.waitForScreen(AT_PROMPT, 10_000);
    assert.deepEqual(t.modes(), { alternate: false, cursorVisible: true });
    assert.doesNotMatch(screen, /VERDICT|Every 1s|q or Ctrl-C/, 'no leftover of the live view');
    t.sendKeys('stty -a | tr " " "\\n" | grep -x -e icanon -e echo -e -icanon -e -echo | sort | tr "\\n" " "; echo');
    const after = await t.waitForScreen(/^echo icanon *$/m, 5_000);
    assert.match(after, /^echo icanon *$/m, 'line editing and echo are back');
  }

  test(
    'redrawn in place on the alternate screen, the countdowns moving; q quits and restores',
    { timeout: 90_000 },
    async () => {
      const t = await startWatch();
      assert.deepEqual(t.modes(), { alternate: true, cursorVisible: false });
      const countdown = (screen: string, pid: number) =>
        new RegExp(`^${pid} .*keep, next check in (\\S+)$`, 'm').exec(screen)?.[1];
      const first = t.screen();
      const clock1 = /(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$/m.exec(first)?.[1];
      await sleep(2_500);
      const second = t.screen();
      for (const s of sessions) {
        const a = countdown(first, s.pid);
        const b = countdown(second, s.pid);
        assert.ok(a && b && a !== b, `session ${s.pid}: countdown ${a} then ${b}\n${second}`);
      }
      assert.notEqual(/(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$/m.exec(second)?.[1], clock1, 'the clock moved');
      assert.equal(second.split('\n').filter((l) => l.startsWith('PID ')).length, 1, 'one table: redrawn in place');
      t.sendKey('q');
      await assertRestored(t);
      await t.kill();
    },
  );

  test('Ctrl-C and SIGTERM restore the terminal too', { timeout: 90_000 }, async () => {
    const t = await startWatch();
    t.sendKey('C-c');
    await assertRestored(t);
    t.sendKeys(command());
    await t.waitForScreen(/^PID\s+USER/m, 20_000);
    const watcher = childrenOf(t.panePid).find((p) =>
      fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('--watch'),
    );
    assert.ok(watcher, "the watch process is the shell's child");
    signalIfSame(watcher, startTimeOf(watcher)!, 'SIGTERM');
    await assertRestored(t);
    await t.kill();
  });

  test(
    'not a terminal: one table per interval, after a timestamp, with a blank line between',
    { timeout: 60_000 },
    async () => {
      const child = spawn(
        process.execPath,
        [path.join(repoRoot(), 'bin/moshwarden.js'), 'sessions', '--watch', '0.5', '--config', config],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      for (let i = 0; i < 100 && (out.match(/^PID /gm)?.length ?? 0) < 3; i++) await sleep(100);
      child.kill('SIGTERM'); // our own child, not yet reaped
      assert.equal(await exited, 0);
      const frames = out.split('\n\n').filter(Boolean);
      assert.ok(frames.length >= 3, out);
      for (const f of frames) assert.match(f, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\nPID\s+USER/);
      assert.doesNotMatch(out, /\u001b/, 'no terminal control sequences in a pipe');
      for (const s of sessions) assert.match(frames[0]!, new RegExp(`^${s.pid} `, 'm'));
    },
  );
});
