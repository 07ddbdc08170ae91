// The revocation file's path checks (host/safe-path.ts) with the daemon's own privileges: the unit's user
// (mw-test-svc stands in) with CAP_DAC_READ_SEARCH reads root's 0600 file in root's 0700 directory behind
// root's symlink, as /etc/moshwarden/revoked is read; without that capability the file cannot be read,
// which is an error (the last good list stays), never "missing" (which would mean no revocations).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { e2eSkipReason, findExecutable, requireOrSkip } from './harness.js';
import { asService, ensureServiceUser } from './privileges.js';

const skip = e2eSkipReason() ?? requireOrSkip(findExecutable('setpriv') ? null : 'needs setpriv') ?? false;
const READER = fileURLToPath(new URL('../../src/host/revocation-file.js', import.meta.url));

/** readRevocationFile(file) in a child with the service's privileges (minus `drop`): its result. */
function readAsService(file: string, drop: string[] = []): { ok: boolean; missing?: boolean; message?: string } {
  const script = `import(${JSON.stringify(READER)}).then((m) => { const r = m.readRevocationFile(${JSON.stringify(file)}); process.stdout.write(JSON.stringify({ ok: r.ok, missing: r.missing, message: r.message, entries: r.ok ? r.parsed.entries.length : null })); })`;
  const [cmd, ...args] = [...asService(drop), process.execPath, '-e', script];
  const r = spawnSync(cmd!, args, { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { ok: boolean; missing?: boolean; message?: string };
}

let dir = '';

describe('the revocation file, read with the unit’s privileges', { skip }, () => {
  before(() => {
    ensureServiceUser();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-revfile-svc-')); // root 0700 in sticky /tmp
    fs.mkdirSync(path.join(dir, 'policy'), { mode: 0o700 });
    fs.writeFileSync(path.join(dir, 'policy', 'revoked'), 'mw-alice\n', { mode: 0o600 });
    fs.symlinkSync(path.join(dir, 'policy', 'revoked'), path.join(dir, 'revoked'));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('root 0600 file, root 0700 directories, root symlink: read through CAP_DAC_READ_SEARCH', () => {
    assert.deepEqual(readAsService(path.join(dir, 'revoked')), { ok: true, entries: 1 });
  });

  test('without CAP_DAC_READ_SEARCH it cannot be read: an error, not a missing file', () => {
    const r = readAsService(path.join(dir, 'revoked'), ['CAP_DAC_READ_SEARCH']);
    assert.equal(r.ok, false);
    assert.equal(r.missing, false);
    assert.match(r.message ?? '', /EACCES/);
  });
});
