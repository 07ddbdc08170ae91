import assert from 'node:assert/strict';
import { test } from 'node:test';
import { endedText, historyJson, historyTable, printable } from '../../../src/history/format.js';
import type { HistoryRow } from '../../../src/history/reconstruct.js';
import { MIN, T0, row } from './fixtures.js';

const base: HistoryRow = row({
  clients: ['a', 'b', 'c', 'd', 'e'],
  ending: {
    kind: 'ended',
    at: T0 + 90 * MIN,
    reason: 'revoked',
    revocation: { target: 'user:mw-alice', line: 2, reason: 'OPS-12' },
  },
});

test('ENDED says why, and says when it does not know', () => {
  assert.equal(endedText(base.ending), 'revoked (OPS-12)');
  assert.equal(
    endedText({ kind: 'ended', at: 0, reason: 'revoked', revocation: { target: 'uid:5', line: 1, reason: null } }),
    'revoked (uid:5)',
  );
  assert.equal(endedText({ kind: 'ended', at: 0, reason: null, revocation: null }), 'by itself');
  assert.equal(endedText({ kind: 'ended', at: 0, reason: 'idle', revocation: null }), 'idle');
  assert.equal(endedText({ kind: 'daemon_down', after: 0, before: 1 }), 'unknown (daemon down)');
  assert.equal(endedText({ kind: 'unknown', after: 0 }), 'unknown (daemon stopped)');
});

test('the table: one row per session, clients capped, unknowns as ?, still on with its duration so far', () => {
  const still: HistoryRow = {
    ...base,
    pid: 43,
    from: null,
    startLogged: false,
    clients: [],
    ending: { kind: 'still_on' },
  };
  const down: HistoryRow = { ...base, pid: 44, ending: { kind: 'daemon_down', after: T0, before: T0 + MIN } };
  const lines = historyTable([still, down, base], T0 + 120 * MIN).split('\n');
  assert.match(lines[0]!, /^USER\s+TTY\s+FROM\s+CLIENT\(S\)\s+START\s+END\s+DURATION\s+ENDED$/);
  assert.match(lines[1]!, /^mw-alice\s+pts\/3\s+\?\s+-\s+2026-11-24T08:00:00Z\s+still on\s+2h\s+-$/);
  assert.match(lines[2]!, /\s+2026-11-24T08:00:00Z\s+\?\s+\?\s+unknown \(daemon down\)$/);
  assert.match(lines[3]!, /a,b,c,\+2\s+2026-11-24T08:00:00Z\s+2026-11-24T09:30:00Z\s+1h30m\s+revoked \(OPS-12\)$/);
});

test('control characters from a user-set SSH_CONNECTION never reach the terminal', () => {
  assert.equal(printable('1.2.3.4\u001b[2J\u009b'), '1.2.3.4?[2J?');
  assert.doesNotMatch(historyTable([{ ...base, from: '\u001b]0;pwned\u0007' }], T0), /\u001b|\u0007/);
});

test('--json: names for tools, the interval an unknown end lies in', () => {
  const j = historyJson({ ...base, ending: { kind: 'daemon_down', after: T0, before: T0 + MIN } }, T0);
  assert.equal(j.ended, 'daemon_down');
  assert.equal(j.ended_at, null);
  assert.equal(j.ended_after, '2026-11-24T08:00:00.000Z');
  assert.equal(j.ended_before, '2026-11-24T08:01:00.000Z');
  assert.equal(j.duration_seconds, null);
  const r = historyJson(base, T0);
  assert.equal(r.ended, 'revoked');
  assert.equal(r.duration_seconds, 5400);
  assert.deepEqual(r.revocation, { target: 'user:mw-alice', line: 2, reason: 'OPS-12' });
  assert.equal(
    historyJson({ ...base, ending: { kind: 'ended', at: T0, reason: null, revocation: null } }, T0).ended,
    'by_itself',
  );
});
