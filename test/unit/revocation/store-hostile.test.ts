// The store against a hostile revocation file: whatever is done to the file, the last good list stays in
// force until a file the daemon trusts replaces it (README.md, "Revoking access").
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { MAX_FILE_BYTES, MAX_FILE_LINES } from '../../../src/host/revocation-file.js';
import { targetText } from '../../../src/revocation/parse.js';
import { MAX_LOGGED_ERRORS, RevocationStore } from '../../../src/revocation/store.js';

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : 'needs root: files are chowned to another uid';
/** A uid no one uses here: "a user". */
const USER = 54321;

let dir = '';
let n = 0;

function harness(file: string) {
  const lines: { event?: string; message?: string }[] = [];
  const log = pino({ base: undefined, timestamp: false }, { write: (l: string) => lines.push(JSON.parse(l)) });
  const store = new RevocationStore(file, { log, onChange: () => {} });
  return {
    store,
    targets: () => store.current().map((r) => targetText(r.target)),
    /** The messages of the revocation.error lines logged since the last call. */
    errors: () =>
      lines
        .splice(0)
        .filter((l) => l.event === 'revocation.error')
        .map((l) => l.message ?? ''),
  };
}

function write(file: string, content: string | Buffer): void {
  fs.writeFileSync(file, content);
  fs.chownSync(file, 0, 0);
  fs.chmodSync(file, 0o600);
}

/** A fresh directory for one test, with a root-owned file holding two entries, loaded. */
function loaded(): { file: string; h: ReturnType<typeof harness> } {
  const d = path.join(dir, `t${++n}`);
  fs.mkdirSync(d, { mode: 0o755 });
  const file = path.join(d, 'revoked');
  write(file, 'mw-alice\nuid:1005\n');
  const h = harness(file);
  h.store.refresh();
  assert.deepEqual(h.targets(), ['user:mw-alice', 'uid:1005']);
  h.errors();
  return { file, h };
}

const realReadSync = fs.readSync;

describe('RevocationStore: a hostile file never lifts a revocation', { skip }, () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-revhostile-'));
  });
  afterEach(() => {
    fs.readSync = realReadSync;
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a file that changes owner between reads is refused on that read; back to root, it loads', () => {
    const { file, h } = loaded();
    fs.chownSync(file, USER, USER); // only its owner changes (and so its ctime): the next look re-reads it
    h.store.refresh();
    assert.deepEqual(h.targets(), ['user:mw-alice', 'uid:1005']);
    const [e] = h.errors();
    assert.match(e!, new RegExp(`owned by uid ${USER}, not root; keeping the last good list \\(2 entries\\)`));
    fs.writeFileSync(file, ''); // its new owner empties it
    h.store.refresh();
    assert.deepEqual(h.targets(), ['user:mw-alice', 'uid:1005']);
    fs.chownSync(file, 0, 0);
    h.store.refresh();
    assert.deepEqual(h.targets(), []);
  });

  test('a symlink swapped to point into a user’s directory is refused; the last good list stays', () => {
    const { file, h } = loaded();
    const userDir = path.join(dir, `user-${++n}`);
    fs.mkdirSync(userDir, { mode: 0o755 });
    fs.chownSync(userDir, USER, USER);
    const theirs = path.join(userDir, 'revoked');
    write(theirs, '# nothing revoked\n'); // root-owned 0600, but in a directory the user controls
    const link = path.join(path.dirname(file), 'link');
    fs.symlinkSync(theirs, link);
    fs.renameSync(link, file);
    h.store.refresh();
    assert.deepEqual(h.targets(), ['user:mw-alice', 'uid:1005']);
    assert.match(h.errors()[0]!, new RegExp(`${userDir} is owned by uid ${USER}, not root; keeping the last good`));
  });

  test('a 100 MB file is refused by its size, without reading a byte of it', () => {
    const { file, h } = loaded();
    fs.truncateSync(file, 100 * 1024 * 1024); // sparse: cheap to make
    let reads = 0;
    fs.readSync = ((...args: Parameters<typeof fs.readSync>) => {
      reads++;
      return realReadSync(...args);
    }) as typeof fs.readSync;
    h.store.refresh();
    assert.equal(reads, 0);
    assert.deepEqual(h.targets(), ['user:mw-alice', 'uid:1005']);
    assert.match(h.errors()[0]!, new RegExp(`is larger than ${MAX_FILE_BYTES} bytes; keeping the last good list`));
  });

  test('a 10 MB line is refused with the file, by its size; a line just under the cap is one bad line', () => {
    const { file, h } = loaded();
    write(file, Buffer.concat([Buffer.alloc(10 * 1024 * 1024, 0x61), Buffer.from('\nmw-bob\n')]));
    h.store.refresh();
    assert.deepEqual(h.targets(), ['user:mw-alice', 'uid:1005']);
    assert.match(h.errors()[0]!, /is larger than/);
    write(file, Buffer.concat([Buffer.alloc(MAX_FILE_BYTES - 100, 0x61), Buffer.from('\nmw-bob\n')]));
    h.store.refresh();
    assert.deepEqual(h.targets(), ['user:mw-bob']);
    assert.deepEqual(h.errors(), [`line longer than 4096 bytes`]);
  });

  test(`more than ${MAX_FILE_LINES} lines is refused as a whole; exactly that many is read`, () => {
    const { file, h } = loaded();
    write(file, 'mw-bob\n' + '\n'.repeat(MAX_FILE_LINES));
    h.store.refresh();
    assert.deepEqual(h.targets(), ['user:mw-alice', 'uid:1005']);
    assert.match(h.errors()[0]!, new RegExp(`has more than ${MAX_FILE_LINES} lines; keeping the last good list`));
    write(file, 'mw-bob\n' + '\n'.repeat(MAX_FILE_LINES - 1));
    h.store.refresh();
    assert.deepEqual(h.targets(), ['user:mw-bob']);
  });

  test(`bad lines: the first ${MAX_LOGGED_ERRORS} are logged one by one, the rest counted in one line`, () => {
    const { file, h } = loaded();
    write(file, 'host:x\n'.repeat(MAX_LOGGED_ERRORS + 30) + 'mw-bob\n');
    h.store.refresh();
    assert.deepEqual(h.targets(), ['user:mw-bob']);
    const errors = h.errors();
    assert.equal(errors.length, MAX_LOGGED_ERRORS + 1);
    assert.equal(errors[MAX_LOGGED_ERRORS], '30 more bad lines skipped, not logged one by one');
  });
});
