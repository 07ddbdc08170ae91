// The Debian package on this machine: built by `npm run deb` (scripts/build-deb.sh), lintian-clean,
// installed with apt-get, checked (files, modes, conffiles, user, the command), upgraded over itself and to
// a newer version with an edited config, removed and purged, and what is left checked each time.
// systemd is not PID 1 here: the maintainer scripts must enable the unit for the next boot and start
// nothing. A moshwarden already installed on the machine (package or install.sh) is never touched: the
// test skips then. It leaves nothing behind (package, user, /etc/moshwarden).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findExecutable, lookup, repoRoot, requireOrSkip } from './harness.js';

function skipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (installs a package)';
  for (const tool of ['dpkg-deb', 'dpkg-query', 'apt-get', 'lintian', 'deb-systemd-helper'])
    if (!findExecutable(tool)) return `needs ${tool}`;
  if (spawnSync('dpkg-query', ['-W', 'moshwarden'], { stdio: 'ignore' }).status === 0)
    return 'a moshwarden package is already known to dpkg on this machine';
  if (fs.existsSync('/opt/moshwarden') || fs.existsSync('/etc/moshwarden'))
    return 'moshwarden is installed here (/opt/moshwarden or /etc/moshwarden exists): not touching it';
  return null;
}
const skip = requireOrSkip(skipReason()) ?? false;

interface Ran {
  status: number | null;
  out: string;
}
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C.UTF-8' };
function run(cmd: string, args: string[], opts: { ok?: boolean; cwd?: string } = {}): Ran {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, cwd: opts.cwd, timeout: 300_000 });
  const out = `${r.stdout}${r.stderr}`;
  if (opts.ok !== false) assert.equal(r.status, 0, `${cmd} ${args.join(' ')} exited ${r.status}:\n${out}`);
  return { status: r.status, out };
}
// Another agent's apt may hold the dpkg lock for a while: wait for it rather than fail.
const apt = (...args: string[]) => run('apt-get', ['-y', '-o', 'DPkg::Lock::Timeout=300', ...args]);
const status = () => run('dpkg-query', ['-W', '-f=${Status} ${Version}', 'moshwarden'], { ok: false }).out;
const mode = (p: string) => (fs.statSync(p).mode & 0o7777).toString(8);
const owner = (p: string) => {
  const st = fs.statSync(p);
  return `${st.uid}:${st.gid}`;
};
const CONFIG = '/etc/moshwarden/config.yaml';
const REVOKED = '/etc/moshwarden/revoked';
const ENABLED = '/etc/systemd/system/multi-user.target.wants/moshwarden.service';

describe('the Debian package', { skip, timeout: 900_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-deb-'));
  const version = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')).version as string;
  const deb = path.join(dir, `moshwarden_${version}_all.deb`);
  const newer = path.join(dir, `moshwarden_${version}+ci2_all.deb`);
  const users = ['moshwarden', 'moshwarden-fleet'];
  let existed: string[] = [];

  before(() => {
    existed = users.filter((u) => lookup('passwd', u) !== null);
  });
  after(() => {
    // Whatever happened above: no package, no config, no user of ours left on the machine.
    if (status().includes('ok')) run('dpkg', ['--purge', 'moshwarden'], { ok: false });
    fs.rmSync('/etc/moshwarden', { recursive: true, force: true });
    for (const u of users) {
      if (existed.includes(u) || lookup('passwd', u) === null) continue;
      run('userdel', [u], { ok: false });
      if (lookup('group', u) !== null) run('groupdel', [u], { ok: false });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('npm run deb builds it, and lintian has nothing to say (each override is explained in the package)', () => {
    const built = run('npm', ['run', '--silent', 'deb', '--', '--out', dir], { cwd: repoRoot() });
    assert.equal(built.out.trim().split('\n').at(-1), deb);
    const lint = run('lintian', ['--pedantic', '--display-info', '--fail-on', 'error,warning,info,pedantic', deb]);
    assert.equal(lint.out.replace(/^running with root privileges is not recommended!\n/m, ''), '', lint.out);
    const fields = run('dpkg-deb', ['--field', deb, 'Depends', 'Architecture']).out;
    assert.match(fields, /^Depends: nodejs \(>= 20\.19\), adduser, init-system-helpers/m);
    assert.match(fields, /^Architecture: all$/m);
    assert.deepEqual(run('dpkg-deb', ['--ctrl-tarfile', deb]).status, 0);
  });

  test('apt-get install: files, modes, conffiles, the user, the enabled unit, and a working command', () => {
    const inst = apt('install', deb);
    assert.match(inst.out, /created an empty \/etc\/moshwarden\/revoked/);
    assert.equal(status(), `install ok installed ${version}`);
    assert.equal(fs.readlinkSync('/usr/bin/moshwarden'), '/opt/moshwarden/bin/moshwarden.js');
    assert.ok(fs.existsSync('/opt/moshwarden/dist/src/main.js'));
    assert.ok(!fs.existsSync('/opt/moshwarden/node_modules/typescript'), 'production dependencies only');
    assert.ok(!fs.existsSync('/opt/moshwarden/node_modules/marked-man'), 'production dependencies only');
    const unit = '/lib/systemd/system/moshwarden.service';
    assert.equal(mode(unit), '644');
    assert.match(
      fs.readFileSync(unit, 'utf8'),
      /^ExecStart=\/usr\/bin\/node --max-semi-space-size=1 \/opt\/moshwarden\/bin\/moshwarden\.js run /m,
    );
    const fleetUnit = '/lib/systemd/system/moshwarden-fleet.service';
    assert.match(
      fs.readFileSync(fleetUnit, 'utf8'),
      /^ExecStart=\/usr\/bin\/node --max-semi-space-size=1 \/opt\/moshwarden\/bin\/moshwarden\.js fleet /m,
    );
    assert.ok(
      !fs.existsSync('/etc/systemd/system/multi-user.target.wants/moshwarden-fleet.service'),
      'the fleet unit is not enabled',
    );
    assert.ok(lookup('passwd', 'moshwarden-fleet') !== null, "the fleet service's user");
    assert.equal(fs.readlinkSync(ENABLED), unit, 'enabled for the next boot');
    for (const page of ['/usr/share/man/man8/moshwarden.8.gz', '/usr/share/man/man5/moshwarden.yaml.5.gz'])
      assert.equal(mode(page), '644', page);
    assert.match(run('man', ['-w', '8', 'moshwarden']).out, /\/usr\/share\/man\/man8\/moshwarden\.8\.gz/);
    assert.ok(fs.existsSync('/etc/logrotate.d/moshwarden'));
    assert.equal(`${mode(CONFIG)} ${owner(CONFIG)}`, '644 0:0');
    assert.equal(`${mode(REVOKED)} ${owner(REVOKED)}`, '600 0:0');
    assert.equal(fs.readFileSync(REVOKED, 'utf8'), '');
    const conffiles = run('dpkg-query', ['-W', '-f=${Conffiles}', 'moshwarden']).out;
    assert.match(conffiles, /^ \/etc\/moshwarden\/config\.yaml [0-9a-f]{32}$/m);
    assert.match(conffiles, /^ \/etc\/logrotate\.d\/moshwarden [0-9a-f]{32}$/m);
    assert.ok(!conffiles.includes('revoked'), 'dpkg does not own the revocation list');

    const user = lookup('passwd', 'moshwarden')!.split(':');
    assert.ok(Number(user[2]) < 1000, `a system uid (${user[2]})`);
    assert.equal(user[5], '/nonexistent');
    assert.match(user[6]!, /nologin$/);
    const uid = Number(user[2]);
    assert.equal(`${mode('/var/log/moshwarden')} ${fs.statSync('/var/log/moshwarden').uid}`, `750 ${uid}`);

    assert.equal(run('moshwarden', ['--version']).out.trim(), version);
    assert.match(run('moshwarden', ['check-config', CONFIG]).out, /config\.yaml: OK/);
    // The installed program reads an audit log (all its dependencies are there).
    fs.writeFileSync(
      '/var/log/moshwarden/audit.log',
      `${JSON.stringify({ level: 'info', time: '2026-11-24T08:00:00.000Z', event: 'session.start', pid: 4242, user: 'mw-alice', uid: 1001, tty: 'pts/3', from: '198.51.100.7', started_at: '2026-11-24T07:59:00.000Z', state: 'waiting', client: null })}\n`,
    );
    assert.match(run('moshwarden', ['history', '--config', CONFIG]).out, /^mw-alice\s+pts\/3\s+198\.51\.100\.7/m);
  });

  test('upgrades over itself and to a newer version keep an edited config and the revocations', () => {
    fs.appendFileSync(CONFIG, '# edited by ops\n');
    fs.writeFileSync(REVOKED, 'mw-someone reason="OPS-1"\n');
    apt('install', '--reinstall', deb);
    assert.match(fs.readFileSync(CONFIG, 'utf8'), /# edited by ops\n$/);
    assert.equal(fs.readFileSync(REVOKED, 'utf8'), 'mw-someone reason="OPS-1"\n');

    // A newer package whose shipped config changed too: dpkg keeps the edited one (it would ask; without a
    // terminal --force-confold answers "keep") and puts the new default next to it.
    const tree = path.join(dir, 'newer');
    run('dpkg-deb', ['-R', deb, tree]);
    fs.appendFileSync(path.join(tree, 'etc/moshwarden/config.yaml'), '# a new default\n');
    const control = path.join(tree, 'DEBIAN/control');
    fs.writeFileSync(control, fs.readFileSync(control, 'utf8').replace(/^Version: .*$/m, `Version: ${version}+ci2`));
    const sums = path.join(tree, 'DEBIAN/md5sums');
    fs.writeFileSync(
      sums,
      fs
        .readFileSync(sums, 'utf8')
        .replace(
          /^[0-9a-f]{32}(  etc\/moshwarden\/config\.yaml)$/m,
          (_m, rest: string) => `${md5(path.join(tree, 'etc/moshwarden/config.yaml'))}${rest}`,
        ),
    );
    run('dpkg-deb', ['--root-owner-group', '--build', tree, newer]);
    const up = apt('-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', 'install', newer);
    assert.equal(status(), `install ok installed ${version}+ci2`, up.out);
    assert.match(fs.readFileSync(CONFIG, 'utf8'), /# edited by ops\n$/, 'the edited config is kept');
    assert.match(fs.readFileSync(`${CONFIG}.dpkg-dist`, 'utf8'), /# a new default\n$/, 'the new default beside it');
    assert.equal(fs.readFileSync(REVOKED, 'utf8'), 'mw-someone reason="OPS-1"\n');
    assert.doesNotMatch(up.out, /created an empty/);
  });

  test('remove: the program goes; config, revocations, audit logs and the user stay', () => {
    apt('remove', 'moshwarden');
    assert.match(status(), /^deinstall ok config-files /);
    for (const gone of [
      '/opt/moshwarden',
      '/usr/bin/moshwarden',
      '/lib/systemd/system/moshwarden.service',
      '/lib/systemd/system/moshwarden-fleet.service',
      '/usr/share/man/man8/moshwarden.8.gz',
    ])
      assert.ok(!fs.existsSync(gone) && !isLink(gone), `${gone} removed`);
    assert.match(fs.readFileSync(CONFIG, 'utf8'), /# edited by ops/);
    assert.equal(fs.readFileSync(REVOKED, 'utf8'), 'mw-someone reason="OPS-1"\n');
    assert.ok(fs.existsSync('/var/log/moshwarden/audit.log'), 'audit log kept');
    assert.ok(fs.existsSync('/etc/logrotate.d/moshwarden'), 'conffiles are kept on remove');
    assert.ok(lookup('passwd', 'moshwarden') !== null, 'user kept');
  });

  test('purge: config and audit logs go; the revocation file stays and purge says so; so does the user', () => {
    const purge = apt('purge', 'moshwarden');
    assert.match(purge.out, /kept \/etc\/moshwarden\/revoked/);
    assert.match(purge.out, /kept the system user moshwarden/);
    assert.match(status(), /no packages found matching moshwarden/, 'dpkg no longer knows the package');
    for (const gone of [CONFIG, `${CONFIG}.dpkg-dist`, '/etc/logrotate.d/moshwarden', '/var/log/moshwarden', ENABLED])
      assert.ok(!fs.existsSync(gone) && !isLink(gone), `${gone} removed`);
    assert.deepEqual(fs.readdirSync('/etc/moshwarden'), ['revoked']);
    assert.equal(fs.readFileSync(REVOKED, 'utf8'), 'mw-someone reason="OPS-1"\n');
    assert.ok(lookup('passwd', 'moshwarden') !== null);
  });
});

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function md5(file: string): string {
  return createHash('md5').update(fs.readFileSync(file)).digest('hex');
}
