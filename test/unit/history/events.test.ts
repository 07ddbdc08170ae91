import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAuditLine } from '../../../src/history/events.js';
import { T0, end, line, start, terminate } from './fixtures.js';

test('session and daemon lines become events', () => {
  const s = parseAuditLine(start(1, 42, 'mw-alice', 0, { client: '10.0.0.1' }));
  assert.deepEqual(s, {
    kind: 'start',
    time: T0 + 60_000,
    key: { id: null, pid: 42, startedAt: T0 },
    user: 'mw-alice',
    uid: 1042,
    tty: 'pts/2',
    from: '198.51.100.7',
    client: '10.0.0.1',
  });
  const e = parseAuditLine(end(5, 42, 'mw-alice', null, 5));
  assert.equal(typeof e === 'object' && e.kind, 'end');
  assert.equal(typeof e === 'object' && e.kind === 'end' && e.durationSeconds, 300);
  assert.deepEqual(parseAuditLine(line({ time: new Date(T0).toISOString(), event: 'daemon.stop' })), {
    kind: 'daemon.stop',
    time: T0,
  });
});

test('other events are skipped without parsing; a dry-run SIGTERM is not an end', () => {
  assert.equal(parseAuditLine('{"level":"info","event":"session.warn", this is not JSON'), 'skip');
  assert.equal(parseAuditLine(line({ time: 'x', event: 'config.load' })), 'skip');
  assert.equal(parseAuditLine(terminate(1, 42, 'a', 'idle', { dry_run: true })), 'skip');
  assert.equal(parseAuditLine(''), 'skip');
});

test('junk: not JSON, not an object, a cut-off line, missing time or pid', () => {
  assert.equal(parseAuditLine('garbage'), 'junk');
  assert.equal(parseAuditLine('[1,2]'), 'junk');
  assert.equal(parseAuditLine(start(1, 42, 'a', 0).slice(0, 60)), 'junk');
  assert.equal(parseAuditLine(line({ event: 'session.end', pid: 42 })), 'junk');
  assert.equal(parseAuditLine(line({ time: new Date(T0).toISOString(), event: 'session.end' })), 'junk');
  assert.equal(parseAuditLine(start(1, 42, 'a', 0).replace(/"started_at":"[^"]*"/, '"started_at":null')), 'junk');
});
