import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { targetText } from '../../../src/revocation/parse.js';
import { RevocationStore } from '../../../src/revocation/store.js';

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : 'needs root: the store only trusts a root-owned file';

type Line = Record<string, unknown> & {
  event?: string;
  level?: number;
  line?: number | null;
  message?: string;
  entries?: number;
  errors?: number;
};

function harness(file: string) {
  const lines: Line[] = [];
  const log = pino({ base: undefined, timestamp: false }, { write: (l: string) => lines.push(JSON.parse(l) as Line) });
  let changes = 0;
  const store = new RevocationStore(file, { log, onChange: () => changes++ });
  return {
    store,
    lines,
    changes: () => changes,
    /** Lines logged since the last call. */
    take(): Line[] {
      return lines.splice(0, lines.length);
    },
    targets: () => store.current().map((r) => targetText(r.target)),
  };
}

/** Writes the file as root:root 0600 (creating it if needed), in place. */
function write(file: string, content: string, mode = 0o600): void {
  fs.writeFileSync(file, content);
  fs.chownSync(file, 0, 0);
  fs.chmodSync(file, mode);
}

/** The events of these lines, in order, with the fields a reader of the log relies on. */
const events = (ls: Line[]) => ls.map((l) => l.event);

let dir = '';

describe('RevocationStore', { skip }, () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-revstore-'));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('follows the file through its life, failing closed', () => {
    const file = path.join(dir, 'life');
    const h = harness(file);

    // Missing at start: nothing in force, one info line.
    h.store.refresh();
    assert.deepEqual(h.targets(), []);
    let ls = h.take();
    assert.deepEqual(events(ls), ['revocation.load']);
    assert.equal(ls[0]!.level, 30);
    assert.match(ls[0]!.message!, /does not exist: no revocations in force/);
    assert.equal(h.changes(), 0);
    h.store.refresh(); // still missing: said once
    assert.deepEqual(h.take(), []);

    // The file appears.
    write(file, 'mw-alice\nuid:1005 reason="x"\n');
    h.store.refresh();
    assert.deepEqual(h.targets(), ['user:mw-alice', 'uid:1005']);
    ls = h.take();
    assert.deepEqual(events(ls), ['revocation.load']);
    assert.equal(ls[0]!.entries, 2);
    assert.equal(ls[0]!.errors, 0);
    assert.equal(h.changes(), 1);

    // No change: no re-read, no log line, no onChange.
    h.store.refresh();
    h.store.refresh();
    assert.deepEqual(h.take(), []);
    assert.equal(h.changes(), 1);

    // An append: one more entry, onChange once.
    fs.appendFileSync(file, 'group:contractors until=2026-12-01T00:00:00Z\n');
    h.store.refresh();
    assert.deepEqual(h.targets(), ['user:mw-alice', 'uid:1005', 'group:contractors']);
    assert.equal(h.store.current()[2]!.until, 1796083200000);
    assert.equal(h.changes(), 2);
    assert.deepEqual(events(h.take()), ['revocation.load']);
    h.store.refresh();
    assert.equal(h.changes(), 2);
    assert.deepEqual(h.take(), []);

    // Group-writable: the list stays, one error, not repeated on the next scans.
    fs.chmodSync(file, 0o620);
    h.store.refresh();
    assert.deepEqual(h.targets(), ['user:mw-alice', 'uid:1005', 'group:contractors']);
    ls = h.take();
    assert.deepEqual(events(ls), ['revocation.error']);
    assert.equal(ls[0]!.level, 50);
    assert.match(
      ls[0]!.message!,
      /is unsafe: writable by group \(mode 0620\); keeping the last good list \(3 entries\)/,
    );
    // ...even when the unsafe file's content changes (that must not lift anything either).
    fs.writeFileSync(file, '');
    h.store.refresh();
    h.store.refresh();
    assert.deepEqual(h.take(), []);
    assert.deepEqual(h.targets(), ['user:mw-alice', 'uid:1005', 'group:contractors']);
    assert.equal(h.changes(), 2);

    // Mode fixed: re-read at once.
    write(file, 'mw-alice\nuid:1005 reason="x"\ngroup:contractors until=2026-12-01T00:00:00Z\nmw-bob\n');
    h.store.refresh();
    assert.deepEqual(h.targets(), ['user:mw-alice', 'uid:1005', 'group:contractors', 'user:mw-bob']);
    assert.deepEqual(events(h.take()), ['revocation.load']);
    assert.equal(h.changes(), 3);

    // Deleted: the last list stays in force, with an error (once).
    fs.rmSync(file);
    h.store.refresh();
    assert.deepEqual(h.targets(), ['user:mw-alice', 'uid:1005', 'group:contractors', 'user:mw-bob']);
    ls = h.take();
    assert.deepEqual(events(ls), ['revocation.error']);
    assert.match(ls[0]!.message!, /ENOENT; keeping the last good list \(4 entries\)/);
    h.store.refresh();
    assert.deepEqual(h.take(), []);
    assert.equal(h.changes(), 3);

    // Recreated: its list replaces the old one.
    write(file, 'from:203.0.113.0/24\n');
    h.store.refresh();
    assert.deepEqual(h.targets(), ['from:203.0.113.0/24']);
    assert.deepEqual(events(h.take()), ['revocation.load']);
    assert.equal(h.changes(), 4);

    // Truncated to empty: a readable empty file lifts everything.
    fs.truncateSync(file, 0);
    h.store.refresh();
    assert.deepEqual(h.targets(), []);
    ls = h.take();
    assert.deepEqual(events(ls), ['revocation.load']);
    assert.equal(ls[0]!.entries, 0);
    assert.equal(h.changes(), 5);

    // Replaced by rename, the way editors and unrevoke do it.
    const tmp = path.join(dir, '.life.tmp');
    write(tmp, 'uid:7\nuid:8\n');
    fs.renameSync(tmp, file);
    h.store.refresh();
    assert.deepEqual(h.targets(), ['uid:7', 'uid:8']);
    assert.equal(h.changes(), 6);
    h.take();

    // A rename to content of the same size at the same mtime is still seen (a new inode).
    write(tmp, 'uid:9\nuid:8\n');
    const st = fs.statSync(file);
    fs.utimesSync(tmp, st.atime, st.mtime);
    fs.renameSync(tmp, file);
    h.store.refresh();
    assert.deepEqual(h.targets(), ['uid:9', 'uid:8']);
    assert.equal(h.changes(), 7);
  });

  test('a bad line is logged with its line number; the good lines apply', () => {
    const file = path.join(dir, 'bad-line');
    write(file, '# header\nmw-alice\nhost:web1\nuid:01\ngroup:ops\nmw-pending');
    const h = harness(file);
    h.store.refresh();
    assert.deepEqual(h.targets(), ['user:mw-alice', 'group:ops']);
    assert.deepEqual(
      h.store.current().map((r) => r.line),
      [2, 5],
    );
    const ls = h.take();
    assert.deepEqual(events(ls), ['revocation.error', 'revocation.error', 'revocation.load']);
    assert.equal(ls[0]!.line, 3);
    assert.match(ls[0]!.message!, /^unknown target "host:"/);
    assert.equal(ls[1]!.line, 4);
    assert.equal(ls[1]!.message, 'not a valid uid: "01"');
    assert.equal(ls[2]!.entries, 2);
    assert.equal(ls[2]!.errors, 2);
    assert.equal(ls[2]!.pending_bytes, 10);
    assert.equal(h.changes(), 1);

    // The pending line completes: it now applies.
    fs.appendFileSync(file, '\n');
    h.store.refresh();
    assert.deepEqual(h.targets(), ['user:mw-alice', 'group:ops', 'user:mw-pending']);
    assert.equal(h.changes(), 2);
  });

  test('an edit that changes only a reason or until still counts as a change', () => {
    const file = path.join(dir, 'edit');
    write(file, 'mw-alice reason="a"\n');
    const h = harness(file);
    h.store.refresh();
    assert.equal(h.changes(), 1);
    write(file, 'mw-alice reason="b"\n');
    h.store.refresh();
    assert.equal(h.store.current()[0]!.reason, 'b');
    assert.equal(h.changes(), 2);
    write(file, 'mw-alice reason="b" until=2030-01-01T00:00:00Z\n');
    h.store.refresh();
    assert.equal(h.changes(), 3);
    // Same entries, file rewritten (new identity): re-read and logged, but no onChange.
    write(file, 'mw-alice reason="b" until=2030-01-01T00:00:00Z\n# a comment added at the end\n');
    h.store.refresh();
    assert.equal(h.changes(), 3);
    assert.deepEqual(events(h.take()), ['revocation.load', 'revocation.load', 'revocation.load', 'revocation.load']);
  });

  test('an unsafe file at start is an error; a different problem is logged again; fixed, it loads', () => {
    const file = path.join(dir, 'unsafe-start');
    write(file, 'mw-alice\n', 0o602);
    const h = harness(file);
    h.store.refresh();
    assert.deepEqual(h.targets(), []);
    assert.deepEqual(events(h.take()), ['revocation.error']);
    fs.chownSync(file, 1000, 1000);
    fs.chmodSync(file, 0o600);
    h.store.refresh(); // a different problem: logged
    const ls = h.take();
    assert.deepEqual(events(ls), ['revocation.error']);
    assert.match(ls[0]!.message!, /owned by uid 1000, not root/);
    fs.chownSync(file, 0, 0);
    h.store.refresh();
    assert.deepEqual(h.targets(), ['user:mw-alice']);
    assert.equal(h.changes(), 1);
  });

  test('setPath switches files; a missing new file keeps the old list', () => {
    const a = path.join(dir, 'set-a');
    const b = path.join(dir, 'set-b');
    const c = path.join(dir, 'set-c-missing');
    write(a, 'mw-alice\n');
    write(b, 'uid:42\ngroup:ops\n');
    const h = harness(a);
    h.store.refresh();
    assert.deepEqual(h.targets(), ['user:mw-alice']);
    h.take();

    h.store.setPath(b);
    assert.equal(h.store.getPath(), b);
    assert.deepEqual(h.targets(), ['uid:42', 'group:ops']);
    assert.deepEqual(events(h.take()), ['revocation.load']);
    assert.equal(h.changes(), 2);

    h.store.setPath(b); // same path: nothing happens
    assert.deepEqual(h.take(), []);

    h.store.setPath(c);
    assert.deepEqual(h.targets(), ['uid:42', 'group:ops']);
    const ls = h.take();
    assert.deepEqual(events(ls), ['revocation.error']);
    assert.match(ls[0]!.message!, /set-c-missing: ENOENT; keeping the last good list \(2 entries\)/);
    assert.equal(h.changes(), 2);

    // Edits to the old file no longer matter.
    write(b, '');
    h.store.refresh();
    assert.deepEqual(h.targets(), ['uid:42', 'group:ops']);
    write(c, 'mw-carol\n');
    h.store.refresh();
    assert.deepEqual(h.targets(), ['user:mw-carol']);
    assert.equal(h.changes(), 3);
  });

  test('refresh(true) re-reads an unchanged file and logs it', () => {
    const file = path.join(dir, 'force');
    write(file, 'mw-alice\n');
    const h = harness(file);
    h.store.refresh();
    h.take();
    h.store.refresh();
    assert.deepEqual(h.take(), []);
    h.store.refresh(true);
    assert.deepEqual(events(h.take()), ['revocation.load']);
    assert.equal(h.changes(), 1);
  });
});
