// Revocation end to end: a watched root-owned file, real sessions of real users, real clients.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  cleanupAll,
  e2eSkipReason,
  ensureTestUsers,
  isAlive,
  launchSession,
  liveSession,
  runCli,
  startDaemon,
  uidOf,
  waitForExit,
  type Daemon,
  type LogEvent,
} from './harness.js';

const skip = e2eSkipReason() ?? false;
const T = 90_000;

const dirs: string[] = [];
function revocationDir(): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-e2e-rev-'));
  dirs.push(dir);
  const file = path.join(dir, 'revoked');
  fs.writeFileSync(file, '# revoked users\n', { mode: 0o600 });
  return { dir, file };
}

const daemonConfig = (file: string) => `scan_interval: 30s\nrevocation_file: ${file}\ndefaults:\n  grace: 2s\n`;

const live = liveSession;

const terminated = (pid: number) => (e: LogEvent) => e.event === 'session.terminate' && e.pid === pid;

async function started(d: Daemon, pids: number[]): Promise<void> {
  for (const pid of pids) await d.waitForEvent((e) => e.event === 'session.start' && e.pid === pid, 10_000);
}

/** Waits for the daemon to end `pid` for revocation; returns ms from `since` to the SIGTERM's log line. */
async function revokedWithin(
  d: Daemon,
  pid: number,
  since: number,
  timeoutMs = 5_000,
): Promise<{ ms: number; e: LogEvent }> {
  const e = await d.waitForEvent(terminated(pid), timeoutMs);
  assert.equal(e.reason, 'revoked', `pid ${pid} ended for ${String(e.reason)}`);
  return { ms: Date.parse(e.time as string) - since, e };
}

describe('revocation on real sessions', { skip }, () => {
  before(() => ensureTestUsers());
  after(async () => {
    await cleanupAll();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test(
    'append ends all live sessions of the user at once, others live; new sessions end too; unrevoke lifts',
    { timeout: T },
    async () => {
      const { file } = revocationDir();
      const [a1, a2, b] = await Promise.all([live('mw-test-alice'), live('mw-test-alice'), live('mw-test-bob')]);
      const d = await startDaemon(daemonConfig(file));
      await started(d, [a1.s.pid, a2.s.pid, b.s.pid]);

      const t0 = Date.now();
      fs.appendFileSync(file, 'mw-test-alice reason="offboarding OPS-12"\n');
      for (const a of [a1, a2]) {
        const { ms, e } = await revokedWithin(d, a.s.pid, t0);
        assert.ok(ms < 1_000, `SIGTERM ${ms} ms after the append`);
        assert.deepEqual(e.revocation, { target: 'user:mw-test-alice', line: 2, reason: 'offboarding OPS-12' });
        await a.c.waitForText('[mosh is exiting.]', 10_000);
        assert.equal(await waitForExit(a.s.pid, 5_000, a.s.startTime), true);
      }
      const end = await d.waitForEvent((e) => e.event === 'session.end' && e.pid === a1.s.pid, 10_000);
      assert.equal(end.reason, 'revoked');
      assert.ok(isAlive(b.s.pid, b.s.startTime), 'bob is untouched');

      // A session alice starts afterwards is ended as soon as its pty appears.
      const n = await launchSession('mw-test-alice');
      const { ms } = await revokedWithin(d, n.pid, n.launchedAt);
      assert.ok(ms < 1_000, `new session ended ${ms} ms after its launch began`);
      assert.equal(await waitForExit(n.pid, 5_000), true);

      const un = await runCli(['unrevoke', 'mw-test-alice', '--config', d.configPath]);
      assert.equal(un.code, 0, un.stderr);
      assert.match(un.stdout, /removed 1 line for user:mw-test-alice/);
      await d.waitForEvent((e) => e.event === 'revocation.load' && e.entries === 0, 5_000);
      const again = await live('mw-test-alice');
      await new Promise((r) => setTimeout(r, 1_500));
      assert.ok(isAlive(again.s.pid, again.s.startTime), 'after unrevoke a new session lives');
      assert.equal(d.events.filter(terminated(again.s.pid)).length, 0);
      assert.equal(await d.stop(), 0);
    },
  );

  test('a burst of appends by separate processes: every one enforced', { timeout: T }, async () => {
    const { file } = revocationDir();
    // Each line matches exactly one session, so a lost append leaves a survivor; carol's second session
    // differs from her first only by its origin, so it proves from: is not widened.
    const [a, b, c, keep] = await Promise.all([
      live('mw-test-alice', '203.0.113.10'),
      live('mw-test-bob', '203.0.113.11'),
      live('mw-test-carol', '198.51.100.7'),
      live('mw-test-carol', '192.0.2.1'),
    ]);
    const d = await startDaemon(daemonConfig(file));
    await started(d, [a.s.pid, b.s.pid, c.s.pid, keep.s.pid]);
    const lines = ['user:mw-test-alice', `uid:${uidOf('mw-test-bob')}`, 'from:198.51.100.7/32'];
    const t0 = Date.now();
    await Promise.all(
      lines.map(
        (line) =>
          new Promise<void>((resolve, reject) => {
            const p = spawn('sh', ['-c', `printf '%s\\n' "$1" >> "$2"`, 'sh', line, file]);
            p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`append exit ${code}`))));
          }),
      ),
    );
    for (const x of [a, b, c]) {
      const { ms } = await revokedWithin(d, x.s.pid, t0);
      assert.ok(ms < 1_000, `pid ${x.s.pid}: ${ms} ms`);
    }
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(isAlive(keep.s.pid, keep.s.startTime), 'carol from 192.0.2.1 matches none of the lines');
    assert.equal(await d.stop(), 0);
  });

  test(
    'editor-style rename, delete and recreate, truncate, junk lines, unsafe mode, until',
    { timeout: T },
    async () => {
      const { dir, file } = revocationDir();
      const d = await startDaemon(daemonConfig(file));
      await d.waitForEvent((e) => e.event === 'revocation.load', 10_000);
      const loads = () => d.events.filter((e) => e.event === 'revocation.load');
      const waitLoad = async (entries: number) => {
        const from = d.events.length;
        return d.waitForEvent((e) => e.event === 'revocation.load' && e.entries === entries, 5_000, from);
      };

      // 1. An editor saves by writing a new file and renaming it over: bob is revoked with junk around.
      const bob = await live('mw-test-bob');
      const junk = Buffer.concat([
        Buffer.from('not a valid line at all\n'),
        Buffer.from([0x00, 0xff, 0xfe, 0x0a]),
        Buffer.from('user:mw-test-bob reason="rename"\n'),
        Buffer.from('from:10.0.0.5/8\n'),
      ]);
      const tmp = path.join(dir, '.revoked.swp');
      fs.writeFileSync(tmp, junk, { mode: 0o600 });
      let t0 = Date.now();
      fs.renameSync(tmp, file);
      const { ms } = await revokedWithin(d, bob.s.pid, t0);
      assert.ok(ms < 1_000, `after rename: ${ms} ms`);
      const errs = d.events
        .filter((e) => e.event === 'revocation.error' && typeof e.line === 'number')
        .map((e) => e.line);
      assert.deepEqual([...new Set(errs)].sort(), [1, 2, 4], 'each bad line is reported with its number');

      // 2. Truncate: the list is empty, a new bob session lives.
      fs.truncateSync(file, 0);
      await waitLoad(0);
      const bob2 = await live('mw-test-bob');
      await new Promise((r) => setTimeout(r, 800));
      assert.ok(isAlive(bob2.s.pid, bob2.s.startTime));

      // 3. Delete and recreate with carol: deleting keeps the last list, recreating applies the new one.
      const carol = await live('mw-test-carol');
      fs.writeFileSync(file, 'group:mw-test-contractors\n', { mode: 0o600 });
      await revokedWithin(d, carol.s.pid, Date.now() - 1, 5_000);
      fs.rmSync(file);
      await d.waitForEvent((e) => e.event === 'revocation.error' && /ENOENT/.test(String(e.message)), 5_000);
      const alice = await launchSession('mw-test-alice'); // a contractor: still revoked while the file is gone
      await revokedWithin(d, alice.pid, alice.launchedAt, 5_000);
      fs.writeFileSync(file, '# empty again\n', { mode: 0o600 });
      await waitLoad(0);

      // 4. A group-writable file is not trusted: the previous (empty) list stays, an error says why.
      const unsafeTmp = path.join(dir, '.unsafe');
      fs.writeFileSync(unsafeTmp, 'mw-test-bob\n');
      fs.chmodSync(unsafeTmp, 0o620); // (not via writeFileSync's mode: the umask would take group-write away)
      fs.renameSync(unsafeTmp, file);
      const unsafe = await d.waitForEvent(
        (e) => e.event === 'revocation.error' && /writable by group/.test(String(e.message)),
        5_000,
      );
      assert.match(String(unsafe.message), /keeping the last good list \(0 entries\)/);
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(isAlive(bob2.s.pid, bob2.s.startTime), 'an unsafe file revokes nobody');
      fs.chmodSync(file, 0o600); // fixed: now it applies
      await revokedWithin(d, bob2.s.pid, Date.now() - 1, 5_000);

      // 5. until: an entry that lapsed already does nothing; one that lapses in 2 s ends a session started
      //    before it lapses, and no longer applies to one started after.
      const past = new Date(Date.now() - 60_000).toISOString();
      const soon = Date.now() + 2_500;
      fs.writeFileSync(file, `mw-test-carol until=${past}\nmw-test-alice until=${new Date(soon).toISOString()}\n`, {
        mode: 0o600,
      });
      await waitLoad(2);
      const carol2 = await live('mw-test-carol');
      const alice2 = await launchSession('mw-test-alice');
      await revokedWithin(d, alice2.pid, alice2.launchedAt, 5_000);
      await new Promise((r) => setTimeout(r, Math.max(0, soon - Date.now()) + 300));
      const alice3 = await live('mw-test-alice');
      await new Promise((r) => setTimeout(r, 800));
      assert.ok(isAlive(alice3.s.pid, alice3.s.startTime), 'the entry lapsed at its until');
      assert.ok(isAlive(carol2.s.pid, carol2.s.startTime), 'a lapsed entry ends nobody');
      assert.ok(loads().length >= 4);
      assert.equal(await d.stop(), 0);
    },
  );

  test(
    'revoke CLI appends a well-formed line, prints the sessions it will end, and the daemon ends them',
    { timeout: T },
    async () => {
      const { file } = revocationDir();
      const d = await startDaemon(daemonConfig(file));
      const a = await live('mw-test-alice');
      await started(d, [a.s.pid]);
      const res = await runCli([
        'revoke',
        'group:mw-test-contractors',
        '--reason',
        'audit "Q4"',
        '--until',
        '1h',
        '--config',
        d.configPath,
      ]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, new RegExp(`^  ${a.s.pid}  mw-test-alice  ${a.s.tty}`, 'm'));
      const last = fs.readFileSync(file, 'utf8').trim().split('\n').at(-1)!;
      assert.match(
        last,
        /^group:mw-test-contractors reason="audit \\"Q4\\"" until=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
      );
      const { e } = await revokedWithin(d, a.s.pid, Date.now() - 5_000);
      assert.deepEqual(e.revocation, { target: 'group:mw-test-contractors', line: 2, reason: 'audit "Q4"' });
      const list = await runCli(['revocations', '--json', '--config', d.configPath]);
      assert.equal(list.code, 0, list.stderr);
      assert.equal((JSON.parse(list.stdout) as { entries: unknown[] }).entries.length, 1);
      const bad = await runCli(['revoke', 'group:', '--config', d.configPath]);
      assert.equal(bad.code, 2);
      assert.equal(await d.stop(), 0);
    },
  );
});
