// The daemon's own behaviour on a real host: new sessions noticed at once, SIGHUP reload, bad configs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  attachClient,
  cleanupAll,
  e2eSkipReason,
  ensureTestUsers,
  runCli,
  startDaemon,
  startSession,
  type LogEvent,
} from './harness.js';

const skip = e2eSkipReason() ?? false;
const T = 60_000;

describe('the daemon process', { skip }, () => {
  before(() => ensureTestUsers());
  after(() => cleanupAll());

  test('a new session is noticed at once (inotify on /dev/pts), not at the next scan', { timeout: T }, async () => {
    const d = await startDaemon('scan_interval: 10m\nrevocation_file: /nonexistent/revoked\n');
    await d.waitForEvent((e) => e.event === 'daemon.start', 10_000);
    await new Promise((r) => setTimeout(r, 500)); // let the first scan and the watcher settle
    const before = Date.now();
    const s = await startSession('mw-test-alice');
    const start = await d.waitForEvent((e) => e.event === 'session.start' && e.pid === s.pid, 5_000);
    const lagMs = Date.parse(start.time as string) - before;
    assert.ok(lagMs < 2_000, `noticed ${lagMs} ms after the launch began (scan_interval is 10m)`);
    assert.equal(start.user, 'mw-test-alice');
    assert.equal(start.tty, s.tty);
    assert.equal(start.from, '198.51.100.7');
    assert.equal(start.state, 'waiting');

    // And its attach is reported with the client's address.
    await attachClient(s);
    // The next pass comes from the scan timer, the pts watcher or a verdict; nudge one with SIGHUP.
    process.kill(d.pid, 'SIGHUP');
    const attach = await d.waitForEvent((e) => e.event === 'session.attach' && e.pid === s.pid, 10_000);
    assert.equal(attach.client, '127.0.0.1');
    assert.equal(await d.stop(), 0);
  });

  test(
    'SIGHUP: a valid config is applied, an invalid one is rejected and the old one kept',
    { timeout: T },
    async () => {
      const d = await startDaemon('scan_interval: 5s\nrevocation_file: /nonexistent/revoked\n');
      await d.waitForEvent((e) => e.event === 'config.load', 10_000);
      fs.writeFileSync(d.configPath, 'scan_interval: 5s\ndefaults:\n  idle_timeout: soon\n');
      const mark = d.events.length;
      process.kill(d.pid, 'SIGHUP');
      const err = await d.waitForEvent((e) => e.event === 'config.error', 10_000, mark);
      assert.equal(err.path, d.configPath);
      assert.equal((err.errors as string[]).length, 1);
      assert.match(
        (err.errors as string[])[0]!,
        new RegExp(`^${d.configPath}:3:17: defaults\\.idle_timeout: .*\\(got soon\\)$`),
      );

      fs.writeFileSync(d.configPath, 'scan_interval: 5s\ndry_run: true\n');
      const mark2 = d.events.length;
      process.kill(d.pid, 'SIGHUP');
      const ok = await d.waitForEvent((e: LogEvent) => e.event === 'config.load', 10_000, mark2);
      assert.equal(ok.dry_run, true);
      assert.equal(await d.stop(), 0);
    },
  );

  test('a SIGHUP during start-up is a reload, not the end of the daemon', { timeout: T }, async () => {
    const d = await startDaemon('scan_interval: 5s\nrevocation_file: /nonexistent/revoked\n');
    // As soon as the process catches SIGHUP at all (bit 1 of SigCgt), long before it logs anything.
    const catchesHup = () => {
      const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(fs.readFileSync(`/proc/${d.pid}/status`, 'utf8'));
      return m !== null && (BigInt(`0x${m[1]}`) & 1n) === 1n;
    };
    for (let i = 0; i < 2000 && !catchesHup(); i++) await new Promise((r) => setTimeout(r, 1));
    assert.equal(d.events.length, 0, 'the signal goes in before the daemon has logged anything');
    process.kill(d.pid, 'SIGHUP');
    await d.waitForEvent((e) => e.event === 'daemon.start', 10_000);
    assert.equal(await d.stop(), 0, 'the daemon survived the early SIGHUP and stops normally');
  });

  test('run refuses an invalid config with exit 2 and the same text check-config prints', { timeout: T }, async () => {
    const file = '/tmp/mw-e2e-bad-config.yaml';
    fs.writeFileSync(file, 'scan_interval: 5\nfrobnicate: true\n');
    try {
      const run = await runCli(['run', '--config', file], { timeoutMs: 10_000 });
      const check = await runCli(['check-config', file]);
      assert.equal(run.code, 2);
      assert.equal(check.code, 2);
      assert.equal(run.stderr, check.stderr);
      assert.match(run.stderr, /mw-e2e-bad-config\.yaml:1:16: scan_interval: /);
      assert.match(run.stderr, /mw-e2e-bad-config\.yaml:2:1: frobnicate: unknown key/);
      assert.equal(run.stdout, '', 'nothing was started');
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  test(
    "started_at is the session's start to the kernel's 10 ms, not the whole second of btime",
    { timeout: T },
    async () => {
      const before = Date.now();
      const s = await startSession('mw-test-alice');
      const after = Date.now();
      const res = await runCli(['sessions', '--json', '--config', '/dev/null']);
      const row = (JSON.parse(res.stdout) as LogEvent[]).find((r) => r.pid === s.pid)!;
      const started = Date.parse(row.started_at as string);
      // The daemonized server is forked after the launch began and before the launcher returned.
      assert.ok(
        started >= before - 20 && started <= after + 20,
        `started_at ${started - before} ms after the launch began (launch took ${after - before} ms)`,
      );
    },
  );
});
