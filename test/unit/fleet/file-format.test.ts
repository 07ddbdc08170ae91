import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FleetEntry } from '../../../src/fleet/entries.js';
import { entryLine, parseFile, readLine, renderFile } from '../../../src/fleet/file-format.js';
import { parseFleetTarget } from '../../../src/fleet/target.js';
import { parseRevocations } from '../../../src/revocation/parse.js';

const entry = (target: string, reason: string | null = null, until: number | null = null): FleetEntry => {
  const t = parseFleetTarget(target);
  if (typeof t === 'string') throw new Error(t);
  return { key: `/p/revoked/${target}`, target: t, reason, until, by: null, at: null, modRevision: 5 };
};

describe('the fleet revocation file', () => {
  test('every line reads back, through the daemon parser, as exactly the entry meant', () => {
    const until = Date.parse('2026-12-01T00:00:00Z');
    const cases: [FleetEntry, string][] = [
      [entry('mw-alice'), 'user:mw-alice\n'],
      [entry('uid:1005', 'quote " and \\ backslash'), 'uid:1005 reason="quote \\" and \\\\ backslash"\n'],
      [entry('group:contractors', null, until), 'group:contractors until=2026-12-01T00:00:00.000Z\n'],
      [entry('from:2001:db8::/32', '# not a comment'), 'from:2001:db8::/32 reason="# not a comment"\n'],
    ];
    for (const [e, line] of cases) {
      assert.equal(entryLine(e), line);
      const p = parseRevocations(line);
      assert.equal(p.entries.length, 1);
      assert.equal(p.entries[0]!.reason, e.reason);
      assert.equal(p.entries[0]!.until, e.until);
    }
  });

  test('session: lines follow the same grammar (the daemon parser learns the kind in phase 2)', () => {
    const e = entry('session:web-17/4242-1234567', 'terminated by an operator', Date.parse('2026-12-01T00:00:00Z'));
    const line = entryLine(e)!;
    assert.equal(
      line,
      'session:web-17/4242-1234567 reason="terminated by an operator" until=2026-12-01T00:00:00.000Z\n',
    );
    assert.deepEqual(readLine(line), {
      target: 'session:web-17/4242-1234567',
      reason: 'terminated by an operator',
      until: e.until,
    });
    assert.equal(readLine('session:web-17/4242 reason=x\n'), null);
    assert.equal(readLine('session:web-17/4242-1 bogus=1\n'), null);
  });

  test('a reason that cannot be one line is not written', () => {
    assert.equal(entryLine(entry('mw-alice', 'two\nlines')), null);
    const { text, dropped } = renderFile([entry('mw-alice', 'two\nlines'), entry('mw-bob')], 9, '/p/');
    assert.equal(dropped.length, 1);
    assert.equal(parseRevocations(text).entries.length, 1);
  });

  test('the header carries the revision; the file reads back with it, and a foreign or cut file does not', () => {
    const { text } = renderFile([entry('mw-bob'), entry('mw-alice', 'r')], 42, '/p/');
    assert.match(
      text,
      /^# moshwarden fleet revocations.*\n# revision=42 prefix=\/p\/ entries=2\nuser:mw-alice reason="r"\nuser:mw-bob\n$/,
    );
    assert.deepEqual(parseFile(text, '/p/'), {
      revision: 42,
      entries: [
        { target: 'user:mw-alice', reason: 'r', until: null },
        { target: 'user:mw-bob', reason: null, until: null },
      ],
    });
    assert.equal(parseFile(text, '/other/'), null, 'another prefix');
    assert.equal(parseFile(text.slice(0, -3), '/p/'), null, 'cut short');
    assert.equal(parseFile('user:mw-alice\n', '/p/'), null, 'not ours');
    assert.equal(parseFile(text.replace('entries=2', 'entries=3'), '/p/'), null, 'a line missing');
  });
});
