import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeRevocation } from '../../../src/fleet/entries.js';

const K = '/p/revoked/';
const decode = (keyTarget: string, v: unknown) =>
  decodeRevocation(K + keyTarget, keyTarget, typeof v === 'string' ? v : JSON.stringify(v), 7);
const msg = (keyTarget: string, v: unknown) => {
  const d = decode(keyTarget, v);
  assert.equal(d.ok, false, JSON.stringify(d));
  return d.ok ? '' : d.message;
};

describe('revoked/ values', () => {
  test('a good value: target from the key, fields from the value', () => {
    const d = decode('user:mw-alice', {
      target: 'mw-alice',
      reason: 'r',
      until: '2026-12-01T01:00:00+01:00',
      by: 'ops',
      at: 'x',
    });
    assert.ok(d.ok);
    assert.deepEqual(d.entry, {
      key: `${K}user:mw-alice`,
      target: { kind: 'user', name: 'mw-alice' },
      reason: 'r',
      until: Date.parse('2026-12-01T00:00:00Z'),
      by: 'ops',
      at: 'x',
      modRevision: 7,
    });
    assert.ok(decode('from:2001:DB8::/32', { target: 'from:2001:db8::/32' }).ok, 'ranges compare by value');
    assert.ok(decode('session:h/1-2', { target: 'session:h/1-2' }).ok);
  });

  test('never widened: anything that is not exactly one entry is skipped with why', () => {
    assert.match(
      msg('user:mw-bob', { target: 'user:mw-carol' }),
      /key names user:mw-bob but the value names user:mw-carol/,
    );
    assert.match(msg('from:10.0.0.5/8', { target: 'from:10.0.0.5/8' }), /key's target does not parse/);
    assert.match(msg('user:a', 'nope'), /not JSON/);
    assert.match(msg('user:a', [1]), /not a JSON object/);
    assert.match(msg('user:a', { reason: 'x' }), /no "target"/);
    assert.match(msg('user:a', { target: 'user:a', until: '2026-12-01T00:00:00' }), /until/);
    assert.match(msg('user:a', { target: 'user:a', until: 5 }), /until/);
    assert.match(msg('user:a', { target: 'user:a', reason: 'a\nb' }), /reason/);
    assert.match(msg('session:h/1', { target: 'session:h/1' }), /PID-STARTTIME/);
    assert.match(msg('user:a', 'x'.repeat(9000)), /larger than/);
  });
});
