// revoke/unrevoke follow the reader's rules (host/revocation-file.ts, host/safe-path.ts): a file the
// daemon would refuse is not written to, and a line that would make the daemon refuse the file is not added.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { appendLine, EditError, removeTarget } from '../../../src/host/revocation-edit.js';
import { MAX_FILE_LINES, readRevocationFile } from '../../../src/host/revocation-file.js';

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : 'needs root: directories are chowned to another uid';
const USER = 54321;

let dir = '';
let n = 0;

/** A root 0600 file with `content` in a fresh directory owned by `uid`. */
function fileIn(uid: number, content: string): string {
  const d = path.join(dir, `d${++n}`);
  fs.mkdirSync(d, { mode: 0o755 });
  fs.chownSync(d, uid, uid);
  const f = path.join(d, 'revoked');
  fs.writeFileSync(f, content, { mode: 0o600 });
  return f;
}

describe('revoke/unrevoke: the reader’s rules', { skip }, () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-editrules-'));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a file in a directory a user owns is neither appended to nor rewritten', () => {
    const f = fileIn(USER, 'mw-alice\n');
    const why = (e: unknown) =>
      e instanceof EditError && /is owned by uid 54321, not root; the daemon ignores it/.test(e.message);
    assert.throws(() => appendLine(f, 'mw-bob\n'), why);
    assert.throws(() => removeTarget(f, { kind: 'user', name: 'mw-alice' }), why);
    assert.equal(fs.readFileSync(f, 'utf8'), 'mw-alice\n');
  });

  test('a root link to a root file is followed by both', () => {
    const f = fileIn(0, 'mw-alice\n');
    const link = path.join(dir, `link-${++n}`);
    fs.symlinkSync(f, link);
    appendLine(link, 'mw-bob\n');
    assert.equal(removeTarget(link, { kind: 'user', name: 'mw-alice' }), 1);
    assert.equal(fs.readFileSync(f, 'utf8'), 'mw-bob\n');
    assert.ok(fs.lstatSync(link).isSymbolicLink());
  });

  test(`a line that would make the file longer than ${MAX_FILE_LINES} lines is refused`, () => {
    const f = fileIn(0, '\n'.repeat(MAX_FILE_LINES - 1));
    appendLine(f, 'mw-alice\n');
    assert.equal(readRevocationFile(f).ok, true);
    assert.throws(
      () => appendLine(f, 'mw-bob\n'),
      (e: unknown) =>
        e instanceof EditError &&
        e.message.includes(`would have more than ${MAX_FILE_LINES} lines; the daemon would refuse`),
    );
    assert.equal(readRevocationFile(f).ok, true);
  });
});
