import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  MAX_FILE_BYTES,
  readRevocationFile,
  sameIdentity,
  statIdentity,
  type ReadResult,
} from '../../../src/host/revocation-file.js';

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : 'needs root: the file must be owned by uid 0, and chown is root-only';
const FILE_MODULE = fileURLToPath(new URL('../../../src/host/revocation-file.js', import.meta.url));

let dir = '';
let n = 0;

/** A fresh root-owned file in the temp dir with this content and mode. */
function makeFile(content: string, mode = 0o600): string {
  const p = path.join(dir, `revoked-${++n}`);
  fs.writeFileSync(p, content);
  fs.chownSync(p, 0, 0);
  fs.chmodSync(p, mode);
  return p;
}

function notOk(res: ReadResult): { missing: boolean; message: string } {
  assert.equal(res.ok, false, `expected a refusal, got ${JSON.stringify(res)}`);
  if (res.ok) throw new Error('unreachable');
  return res;
}

describe('readRevocationFile', { skip }, () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-revfile-'));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a root-owned 0600 file reads, parsed, with its identity', () => {
    const p = makeFile('mw-alice\nfoo:bar\nuid:5');
    const res = readRevocationFile(p);
    assert.equal(res.ok, true);
    if (!res.ok) return;
    assert.deepEqual(res.parsed.entries, [
      { target: { kind: 'user', name: 'mw-alice' }, line: 1, reason: null, until: null },
    ]);
    assert.deepEqual(
      res.parsed.errors.map((e) => e.line),
      [2],
    );
    assert.equal(res.parsed.pendingBytes, 5);
    const st = fs.statSync(p);
    assert.equal(res.identity.ino, st.ino);
    assert.equal(res.identity.size, 22);
    assert.ok(sameIdentity(res.identity, statIdentity(p)));
  });

  test('readable by group and others is fine (0644, 0640, 0400)', () => {
    for (const mode of [0o644, 0o640, 0o400]) {
      const res = readRevocationFile(makeFile('mw-alice\n', mode));
      assert.equal(res.ok, true, `mode ${mode.toString(8)}: ${JSON.stringify(res)}`);
    }
  });

  test('an empty file reads as an empty list', () => {
    const res = readRevocationFile(makeFile(''));
    assert.equal(res.ok, true);
    if (res.ok) assert.deepEqual(res.parsed, { entries: [], errors: [], pendingBytes: 0 });
  });

  test('group-writable is refused, naming group and the mode', () => {
    const p = makeFile('mw-alice\n', 0o620);
    const res = notOk(readRevocationFile(p));
    assert.equal(res.missing, false);
    assert.equal(res.message, `${p} is unsafe: writable by group (mode 0620)`);
  });

  test('other-writable is refused, naming others', () => {
    const p = makeFile('mw-alice\n', 0o602);
    assert.equal(notOk(readRevocationFile(p)).message, `${p} is unsafe: writable by others (mode 0602)`);
    const q = makeFile('mw-alice\n', 0o666);
    assert.match(notOk(readRevocationFile(q)).message, /is unsafe: writable by group \(mode 0666\)$/);
  });

  test('owned by another user is refused even with mode 0600', () => {
    const p = makeFile('mw-alice\n');
    fs.chownSync(p, 65534, 0);
    const res = notOk(readRevocationFile(p));
    assert.equal(res.missing, false);
    assert.equal(res.message, `${p} is unsafe: owned by uid 65534, not root`);
  });

  test('root owner with a non-root group is fine', () => {
    const p = makeFile('mw-alice\n', 0o640);
    fs.chownSync(p, 0, 65534);
    assert.equal(readRevocationFile(p).ok, true);
  });

  test('a symlink to a safe file is followed', () => {
    const target = makeFile('group:ops\n');
    const link = path.join(dir, `link-${++n}`);
    fs.symlinkSync(target, link);
    const res = readRevocationFile(link);
    assert.equal(res.ok, true);
    if (res.ok) {
      assert.deepEqual(res.parsed.entries, [
        { target: { kind: 'group', name: 'ops' }, line: 1, reason: null, until: null },
      ]);
      assert.equal(res.identity.ino, fs.statSync(target).ino);
    }
  });

  test('a symlink to an unsafe file is refused (the target is checked, not the link)', () => {
    const target = makeFile('group:ops\n', 0o666);
    const link = path.join(dir, `link-${++n}`);
    fs.symlinkSync(target, link);
    assert.match(notOk(readRevocationFile(link)).message, /is unsafe: writable by group/);
    const foreign = makeFile('group:ops\n');
    fs.chownSync(foreign, 1000, 1000);
    const link2 = path.join(dir, `link-${++n}`);
    fs.symlinkSync(foreign, link2);
    assert.match(notOk(readRevocationFile(link2)).message, /is unsafe: owned by uid 1000, not root/);
  });

  test('a directory is refused', () => {
    const d = path.join(dir, `dir-${++n}`);
    fs.mkdirSync(d, { mode: 0o700 });
    const res = notOk(readRevocationFile(d));
    assert.equal(res.missing, false);
    assert.equal(res.message, `${d} is unsafe: not a regular file`);
  });

  test('a FIFO with no writer is refused without hanging (checked in a child with a timeout)', () => {
    const fifo = path.join(dir, `fifo-${++n}`);
    execFileSync('mkfifo', ['-m', '0600', fifo]);
    assert.ok(fs.statSync(fifo).isFIFO());
    const script = `import(${JSON.stringify(FILE_MODULE)}).then((m) => process.stdout.write(JSON.stringify(m.readRevocationFile(${JSON.stringify(fifo)}))))`;
    const out = execFileSync(process.execPath, ['-e', script], { timeout: 5000, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), { ok: false, missing: false, message: `${fifo} is unsafe: not a regular file` });
  });

  test('a missing file, or a dangling symlink, is missing', () => {
    const p = path.join(dir, 'does-not-exist');
    assert.deepEqual(readRevocationFile(p), { ok: false, missing: true, message: `cannot open ${p}: ENOENT` });
    const link = path.join(dir, `link-${++n}`);
    fs.symlinkSync(path.join(dir, 'nowhere'), link);
    assert.equal(notOk(readRevocationFile(link)).missing, true);
    assert.equal(statIdentity(p), null);
  });

  test('a missing directory on the way is missing; a file used as a directory is not', () => {
    assert.equal(notOk(readRevocationFile(path.join(dir, 'no-dir', 'revoked'))).missing, true);
    const f = makeFile('x\n');
    const res = notOk(readRevocationFile(path.join(f, 'revoked')));
    assert.equal(res.missing, false);
    assert.match(res.message, /ENOTDIR$/);
  });

  test('a file larger than MAX_FILE_BYTES is refused', () => {
    const p = makeFile('');
    fs.truncateSync(p, MAX_FILE_BYTES + 1); // sparse: cheap
    assert.equal(notOk(readRevocationFile(p)).message, `${p} is larger than ${MAX_FILE_BYTES} bytes`);
    fs.truncateSync(p, 10);
    const res = readRevocationFile(p);
    assert.equal(res.ok, true); // ten NULs, no newline: pending, not an error
    if (res.ok) assert.deepEqual(res.parsed, { entries: [], errors: [], pendingBytes: 10 });
  });

  test('identity changes with content, mode and inode', () => {
    const p = makeFile('a\n');
    const a = statIdentity(p);
    assert.ok(sameIdentity(a, statIdentity(p)));
    assert.equal(sameIdentity(a, null), false);
    assert.equal(sameIdentity(null, null), false);
    fs.chmodSync(p, 0o640); // ctime only
    const b = statIdentity(p);
    assert.equal(sameIdentity(a, b), false);
    fs.appendFileSync(p, 'b\n');
    assert.equal(sameIdentity(b, statIdentity(p)), false);
  });
});
