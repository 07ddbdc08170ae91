// The fleet revocation file as a second source: its trust rule (owned by root or by its directory's
// owner, not group/other-writable), the fail-closed rules, `source: "fleet"` on its lines, and a reload
// that adds, moves or removes the fleet: section.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { readTrustedRevocations } from '../../../src/host/atomic.js';
import { FleetSource } from '../../../src/revocation/fleet-source.js';
import { targetText } from '../../../src/revocation/parse.js';

const skip = process.getuid?.() === 0 ? false : 'needs root: files owned by another user';
const NOBODY = 65534;

type Line = Record<string, unknown>;

function harness() {
  const lines: Line[] = [];
  const log = pino({ base: undefined, timestamp: false }, { write: (l: string) => lines.push(JSON.parse(l) as Line) });
  let changes = 0;
  const source = new FleetSource({
    log,
    onChange: () => changes++,
    watch: () => ({ ensure() {}, close() {} }),
    setTimer: () => ({ cancel() {} }),
    read: readTrustedRevocations,
  });
  return {
    source,
    lines,
    changes: () => changes,
    targets: () => source.current().map((r) => targetText(r.target)),
  };
}

let dir = '';
let n = 0;
/** A fresh directory owned by `dirUid` (0755), for one test. */
function freshDir(dirUid = 0): string {
  const d = path.join(dir, `d${++n}`);
  fs.mkdirSync(d, { mode: 0o755 });
  fs.chownSync(d, dirUid, 0);
  return d;
}
function write(file: string, content: string, uid: number, mode = 0o600): void {
  fs.writeFileSync(file, content);
  fs.chownSync(file, uid, 0);
  fs.chmodSync(file, mode);
  const t = new Date(Date.now() + ++n * 1000); // a new identity even within one mtime tick
  fs.utimesSync(file, t, t);
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-fleet-source-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('fleet revocation file', { skip }, () => {
  test('a file of its directory owner is read; entries and log lines say source fleet', () => {
    const d = freshDir(NOBODY);
    const file = path.join(d, 'fleet.revoked');
    write(file, 'user:mw-alice\nsession:web-1/100-5 reason="ops"\n', NOBODY);
    const h = harness();
    h.source.configure(file);
    assert.deepEqual(h.targets(), ['user:mw-alice', 'session:web-1/100-5']);
    assert.ok(h.source.current().every((r) => r.source === 'fleet'));
    const load = h.lines.find((l) => l.event === 'revocation.load');
    assert.equal(load?.source, 'fleet');
    assert.equal(load?.entries, 2);
    assert.equal(h.changes(), 1, 'a list in force at start is acted on at once');
  });

  test('missing at start: none in force; missing later: the last good list stays', () => {
    const d = freshDir();
    const file = path.join(d, 'fleet.revoked');
    const h = harness();
    h.source.configure(file);
    assert.deepEqual(h.targets(), []);
    write(file, 'user:mw-alice\n', 0);
    h.source.refresh();
    assert.deepEqual(h.targets(), ['user:mw-alice']);
    fs.rmSync(file);
    h.source.refresh();
    assert.deepEqual(h.targets(), ['user:mw-alice']);
    assert.ok(h.lines.some((l) => l.event === 'revocation.error' && l.source === 'fleet'));
  });

  test('group-writable, owned by another user, or in a group-writable directory: refused, last list stays', () => {
    const d = freshDir();
    const file = path.join(d, 'fleet.revoked');
    write(file, 'user:mw-alice\n', 0);
    const h = harness();
    h.source.configure(file);
    assert.deepEqual(h.targets(), ['user:mw-alice']);

    write(file, 'user:mw-bob\n', 0, 0o620);
    h.source.refresh();
    assert.deepEqual(h.targets(), ['user:mw-alice'], 'group-writable');
    write(file, 'user:mw-bob\n', NOBODY);
    h.source.refresh();
    assert.deepEqual(h.targets(), ['user:mw-alice'], 'owned by neither root nor the directory owner');
    write(file, 'user:mw-bob\n', 0);
    fs.chmodSync(d, 0o775);
    h.source.refresh();
    assert.deepEqual(h.targets(), ['user:mw-alice'], 'directory writable by its group');
    const errors = h.lines.filter((l) => l.event === 'revocation.error').map((l) => String(l.message));
    assert.ok(errors.some((m) => /writable by group or others/.test(m)));
    assert.ok(errors.some((m) => /owned by uid 65534/.test(m)));
    assert.ok(errors.some((m) => /its directory is writable/.test(m)));

    fs.chmodSync(d, 0o755);
    h.source.refresh();
    assert.deepEqual(h.targets(), ['user:mw-bob'], 'a good file replaces the list');
  });

  test('a reload that removes the fleet: section lifts its entries; one that adds it reads the file', () => {
    const d = freshDir();
    const file = path.join(d, 'fleet.revoked');
    write(file, 'uid:1005\n', 0);
    const h = harness();
    h.source.configure(file);
    assert.equal(h.changes(), 1);
    h.source.configure(null);
    assert.deepEqual(h.targets(), []);
    assert.equal(h.changes(), 2);
    h.source.configure(file);
    assert.deepEqual(h.targets(), ['uid:1005']);
  });

  test('a reload that moves the file keeps the old list until the new one reads well', () => {
    const d = freshDir();
    const a = path.join(d, 'a');
    const b = path.join(d, 'b');
    write(a, 'uid:1005\n', 0);
    const h = harness();
    h.source.configure(a);
    h.source.configure(b); // missing: not at start any more, so the last good list stays
    assert.deepEqual(h.targets(), ['uid:1005']);
    write(b, 'uid:1006\n', 0);
    h.source.refresh();
    assert.deepEqual(h.targets(), ['uid:1006']);
  });
});
