// Running as a service: the systemd unit passes `systemd-analyze`, the daemon does its job with exactly the
// unit's user, groups and capabilities (and says clearly what is missing without CAP_KILL), the install
// script stages an idempotent install, and the packed npm tarball installs a working command.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  about,
  cleanupAll,
  e2eSkipReason,
  requireOrSkip,
  ensureTestUsers,
  findExecutable,
  liveSession,
  repoRoot,
  setIdle,
  sleep,
  startDaemon,
  waitForExit,
} from './harness.js';
import { asService, devptsProblem, ensureServiceUser, SERVICE_USER, UNIT, unitValues } from './privileges.js';

const skip =
  e2eSkipReason() ??
  requireOrSkip(
    findExecutable('setpriv') && findExecutable('systemd-analyze') ? null : 'needs setpriv and systemd-analyze',
  ) ??
  false;

describe('the systemd unit', { skip }, () => {
  test('systemd-analyze verify prints nothing', () => {
    // verify insists that ExecStart= exists on this machine; the one change is pointing it at this checkout.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-unit-'));
    const unit = path.join(dir, 'moshwarden.service');
    const text = fs.readFileSync(UNIT, 'utf8');
    assert.match(text, /^ExecStart=\/usr\/local\/bin\/moshwarden run /m);
    fs.writeFileSync(
      unit,
      text.replace(
        /^ExecStart=\/usr\/local\/bin\/moshwarden /m,
        `ExecStart=${path.join(repoRoot(), 'bin', 'moshwarden.js')} `,
      ),
    );
    const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(r.stderr, '', 'no warnings');
    assert.equal(r.status, 0);
  });

  test('systemd-analyze security --offline=yes scores it at most 1.5', () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', UNIT], { encoding: 'utf8' });
    const m = /Overall exposure level for moshwarden\.service: (\d+\.\d+)/.exec(r.stdout);
    assert.ok(m, `no score in:\n${r.stdout}${r.stderr}`);
    assert.ok(Number(m[1]) <= 1.5, `exposure ${m[1]}`);
  });

  test('every hardening option the unit leaves off says why', () => {
    const text = fs.readFileSync(UNIT, 'utf8');
    for (const off of ['MemoryDenyWriteExecute', 'PrivateDevices', 'PrivateUsers', 'ProtectProc', 'RootDirectory']) {
      assert.match(text, new RegExp(`^#.*${off}`, 'm'), `${off} is explained in a comment`);
    }
    assert.deepEqual(unitValues('SystemCallFilter')[0], '@system-service @pkey');
  });
});

describe("the daemon with exactly the unit's privileges", { skip }, () => {
  before(() => {
    ensureTestUsers();
    ensureServiceUser();
  });
  after(() => cleanupAll());

  const config = (dir: string) =>
    [
      'scan_interval: 2s',
      `revocation_file: ${dir}/revoked`,
      'defaults:',
      '  idle_timeout: 5m',
      '  warn_before: 3s',
      '  grace: 2s',
      'log:',
      `  audit_file: ${dir}/audit/audit.log`,
      'metrics:',
      `  textfile: ${dir}/audit/moshwarden.prom`,
    ].join('\n');

  test(
    "as the service user it finds other users' sessions and ptys, warns on their screen and ends them",
    { timeout: 60_000 },
    async (t) => {
      const { s, c } = await liveSession('mw-test-alice');
      const problem = requireOrSkip(devptsProblem(s.ptyPath));
      if (problem) return t.skip(problem);
      setIdle(s.ptyPath, 600);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-svc-')); // root's, 0700
      fs.mkdirSync(path.join(dir, 'audit'));
      execFileSync('chown', [SERVICE_USER, path.join(dir, 'audit')]); // like the unit's LogsDirectory=
      // The config is root-owned 0600 in a root-only directory: read through CAP_DAC_READ_SEARCH.
      const d = await startDaemon(config(dir), { wrap: asService() });
      const start = await d.waitForEvent(about(s.pid, 'session.start'), 15_000);
      assert.equal(start.tty, s.tty, 'the pty was found');
      assert.equal(start.from, '198.51.100.7', "the environment of another user's process was read");
      const daemonUid = Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${d.pid}/status`, 'utf8'))![1]);
      assert.equal(daemonUid, Number(execFileSync('id', ['-u', SERVICE_USER], { encoding: 'utf8' })), 'not root');
      await d.waitForEvent(about(s.pid, 'session.warn'), 15_000);
      await c.waitForText('[moshwarden]', 10_000);
      const term = await d.waitForEvent(about(s.pid, 'session.terminate'), 15_000);
      assert.equal(term.reason, 'idle');
      assert.ok(await waitForExit(s.pid, 10_000, s.startTime), 'the session ended');
      assert.equal(d.events.filter((e) => e.event === 'scan.problem' || e.event === 'session.signal_error').length, 0);
      const audit = fs.readFileSync(path.join(dir, 'audit', 'audit.log'), 'utf8');
      assert.match(audit, /"event":"session.terminate"/, 'the audit file, written as the service user');
      // The metrics textfile follows each pass; the pass after the session's end has counted it.
      const prom = path.join(dir, 'audit', 'moshwarden.prom');
      await d.waitForEvent(
        () =>
          /^moshwarden_terminations_total\{reason="idle"\} 1$/m.test(
            fs.existsSync(prom) ? fs.readFileSync(prom, 'utf8') : '',
          ),
        10_000,
      );
      assert.match(fs.readFileSync(prom, 'utf8'), /^moshwarden_warnings_total\{reason="idle"\} 1$/m);
      assert.equal((fs.statSync(prom).mode & 0o777).toString(8), '644', 'readable by node-exporter');
      assert.equal(await d.stop(), 0);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  );

  test(
    'without CAP_KILL it logs a clear permission error, keeps running, and the session lives',
    { timeout: 60_000 },
    async () => {
      const { s } = await liveSession('mw-test-alice');
      setIdle(s.ptyPath, 600);
      const d = await startDaemon(config('/nonexistent').replace(/\nlog:[\s\S]*$/, ''), {
        wrap: asService(['CAP_KILL']),
      });
      assert.doesNotMatch(fs.readFileSync(d.configPath, 'utf8'), /audit_file|textfile/);
      const err = await d.waitForEvent(about(s.pid, 'session.signal_error'), 20_000);
      assert.equal(err.code, 'EPERM');
      assert.match(String(err.msg), /permission denied .*CAP_KILL/);
      await sleep(1_000);
      assert.ok(fs.existsSync(`/proc/${d.pid}`), 'the daemon is still running');
      assert.ok(fs.readFileSync(`/proc/${s.pid}/stat`, 'utf8').length > 0, 'the session lives');
      assert.equal(await d.stop(), 0);
    },
  );
});

describe('install', { skip }, () => {
  const script = path.join(repoRoot(), 'scripts', 'install.sh');
  const run = (args: string[]) => spawnSync('bash', [script, ...args], { encoding: 'utf8' });

  test('--destdir stages program, config, revocations, unit and logrotate; a re-run keeps an edited config; uninstall keeps config', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-destdir-'));
    try {
      const first = run(['--destdir', root]);
      assert.equal(first.status, 0, first.stderr);
      const etc = path.join(root, 'etc/moshwarden');
      const example = fs.readFileSync(path.join(repoRoot(), 'config.example.yaml'), 'utf8');
      const installed = fs.readFileSync(path.join(etc, 'config.yaml'), 'utf8');
      assert.match(installed, /^  audit_file: \/var\/log\/moshwarden\/audit\.log$/m, 'the audit trail is on');
      assert.equal(installed.replace('  audit_file:', '  # audit_file:'), example, 'otherwise the example');
      assert.equal((fs.statSync(path.join(etc, 'revoked')).mode & 0o777).toString(8), '600');
      assert.equal(
        fs.readFileSync(path.join(root, 'etc/systemd/system/moshwarden.service'), 'utf8'),
        fs.readFileSync(UNIT, 'utf8'),
      );
      assert.ok(fs.existsSync(path.join(root, 'etc/logrotate.d/moshwarden')));
      assert.ok(!fs.existsSync(path.join(root, 'opt/moshwarden/node_modules/typescript')), 'no dev dependencies');

      const bin = path.join(root, 'usr/local/bin/moshwarden');
      const version = spawnSync(bin, ['--version'], { encoding: 'utf8' });
      assert.equal(version.status, 0, version.stderr);
      assert.equal(
        version.stdout.trim(),
        JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')).version,
      );
      const check = spawnSync(bin, ['check-config', path.join(etc, 'config.yaml')], { encoding: 'utf8' });
      assert.equal(check.status, 0, check.stderr);

      fs.appendFileSync(path.join(etc, 'config.yaml'), '\n# edited by ops\n');
      fs.writeFileSync(path.join(etc, 'revoked'), 'mw-someone\n');
      const again = run(['--destdir', root]);
      assert.equal(again.status, 0, again.stderr);
      assert.match(fs.readFileSync(path.join(etc, 'config.yaml'), 'utf8'), /# edited by ops/);
      assert.equal(fs.readFileSync(path.join(etc, 'revoked'), 'utf8'), 'mw-someone\n');

      const gone = run(['--destdir', root, '--uninstall']);
      assert.equal(gone.status, 0, gone.stderr);
      assert.ok(!fs.existsSync(bin) && !fs.existsSync(path.join(root, 'opt/moshwarden')));
      assert.ok(!fs.existsSync(path.join(root, 'etc/systemd/system/moshwarden.service')));
      assert.ok(
        fs.existsSync(path.join(etc, 'config.yaml')) && fs.existsSync(path.join(etc, 'revoked')),
        'config and revocations stay',
      );
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('bad arguments exit 2 with a reason', () => {
    const r = run(['--frobnicate']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown argument: --frobnicate/);
  });

  test('npm install -g of the packed tarball gives a working moshwarden command', { timeout: 180_000 }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-pack-'));
    try {
      const packed = spawnSync('npm', ['pack', '--pack-destination', dir, '--loglevel=error'], {
        cwd: repoRoot(),
        encoding: 'utf8',
      });
      assert.equal(packed.status, 0, packed.stderr);
      const tarball = path.join(dir, packed.stdout.trim().split('\n').at(-1)!);
      const prefix = path.join(dir, 'prefix');
      const inst = spawnSync(
        'npm',
        [
          'install',
          '-g',
          '--prefix',
          prefix,
          '--prefer-offline',
          '--no-audit',
          '--no-fund',
          '--loglevel=error',
          tarball,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(inst.status, 0, inst.stderr);
      const bin = path.join(prefix, 'bin', 'moshwarden');
      const help = spawnSync(bin, ['--help'], { encoding: 'utf8' });
      assert.equal(help.status, 0, help.stderr);
      assert.match(help.stdout, /revoke/);
      const example = path.join(prefix, 'lib/node_modules/moshwarden/config.example.yaml');
      const check = spawnSync(bin, ['check-config', example], { encoding: 'utf8' });
      assert.equal(check.status, 0, check.stderr);
      assert.ok(
        fs.existsSync(path.join(prefix, 'lib/node_modules/moshwarden/scripts/install.sh')),
        'the install script ships in the package',
      );
      assert.ok(!fs.existsSync(path.join(prefix, 'lib/node_modules/moshwarden/dist/test')), 'tests are not shipped');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
