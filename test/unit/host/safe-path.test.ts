import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readRevocationFile } from '../../../src/host/revocation-file.js';
import { resolveRootOnly, type Resolved } from '../../../src/host/safe-path.js';

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : 'needs root: files and directories are chowned to other users';
/** A uid no one uses here: "a user" who owns things on the way. */
const USER = 54321;

let dir = '';
let n = 0;

/** A fresh root-owned directory (mode given) under the test's own directory. */
function mkdir(mode = 0o755, uid = 0): string {
  const d = path.join(dir, `d${++n}`);
  fs.mkdirSync(d);
  fs.chownSync(d, uid, 0);
  fs.chmodSync(d, mode);
  return d;
}

/** A root-owned 0600 file naming `who`. */
function file(where: string, who = 'mw-alice', uid = 0): string {
  const p = path.join(where, `revoked-${++n}`);
  fs.writeFileSync(p, `${who}\n`);
  fs.chownSync(p, uid, 0);
  fs.chmodSync(p, 0o600);
  return p;
}

function link(where: string, target: string, uid = 0): string {
  const p = path.join(where, `link-${++n}`);
  fs.symlinkSync(target, p);
  fs.lchownSync(p, uid, 0);
  return p;
}

function refused(r: Resolved, why: RegExp): void {
  assert.equal(r.ok, false, `expected a refusal, got ${JSON.stringify(r)}`);
  if (!r.ok) assert.match(r.message, why);
}

describe('resolveRootOnly: every directory and symlink on the way is root’s alone', { skip }, () => {
  before(() => {
    // mkdtemp: root's 0700 directory in sticky /tmp, which the rules below allow (the entry is root's).
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-safepath-'));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a root file behind root links, relative, absolute and through .., resolves to the file', () => {
    const real = file(mkdir());
    const rel = link(path.dirname(real), path.basename(real));
    const abs = link(mkdir(), rel);
    const up = link(mkdir(), path.join('..', path.basename(path.dirname(real)), path.basename(real)));
    for (const p of [real, rel, abs, up]) assert.deepEqual(resolveRootOnly(p), { ok: true, real }, p);
  });

  test('a symlink into a directory a user owns is refused, though the file itself is root 0600', () => {
    const userDir = mkdir(0o755, USER);
    const l = link(mkdir(), file(userDir));
    refused(resolveRootOnly(l), new RegExp(`${userDir} is owned by uid ${USER}, not root$`));
    const res = readRevocationFile(l);
    assert.equal(res.ok, false);
    if (!res.ok) assert.match(res.message, /is unsafe: .* is owned by uid 54321, not root$/);
  });

  test('a directory on the way writable by group or others (not sticky) is refused, however high', () => {
    const top = mkdir(0o757);
    const inner = path.join(top, 'etc');
    fs.mkdirSync(inner, { mode: 0o755 });
    refused(resolveRootOnly(file(inner)), new RegExp(`${top} is writable by others \\(mode 0757\\)$`));
    fs.chmodSync(top, 0o775);
    refused(resolveRootOnly(file(inner)), /is writable by group \(mode 0775\)$/);
  });

  test('sticky and writable by all (like /tmp): root entries are fine, a user’s entry is not', () => {
    const tmp = mkdir(0o1777);
    const ok = file(tmp);
    assert.deepEqual(resolveRootOnly(ok), { ok: true, real: ok });
    const theirs = file(tmp, 'mw-bob', USER);
    refused(resolveRootOnly(theirs), new RegExp(`owned by uid ${USER} in ${tmp}, a directory others may write to$`));
    // A user's symlink in /tmp can be swapped by them at any time, wherever it points now.
    refused(resolveRootOnly(link(tmp, ok, USER)), /owned by uid 54321 in .*, a directory others may write to$/);
    const sub = path.join(tmp, `sub-${++n}`);
    fs.mkdirSync(sub, { mode: 0o755 });
    fs.chownSync(sub, USER, USER);
    refused(resolveRootOnly(path.join(sub, 'revoked')), /owned by uid 54321 in/);
  });

  test('a user’s symlink is refused even in a root directory', () => {
    const l = link(mkdir(), file(mkdir()), USER);
    refused(resolveRootOnly(l), new RegExp(`symlink ${l} is owned by uid ${USER}, not root$`));
  });

  test('missing, a loop, a file used as a directory, a relative path', () => {
    const d = mkdir();
    assert.deepEqual(resolveRootOnly(path.join(d, 'none')), {
      ok: false,
      missing: true,
      message: `cannot open ${path.join(d, 'none')}: ENOENT`,
    });
    const a = path.join(d, 'a');
    fs.symlinkSync(path.join(d, 'b'), a);
    fs.symlinkSync(a, path.join(d, 'b'));
    refused(resolveRootOnly(a), /ELOOP$/);
    refused(resolveRootOnly(path.join(file(d), 'x')), /ENOTDIR$/);
    refused(resolveRootOnly('etc/revoked'), /not an absolute path$/);
  });
});
