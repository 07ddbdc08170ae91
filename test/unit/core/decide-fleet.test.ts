// decide() and the fleet's two entry kinds: `session:<id>` (one session) and strict mode (fleet:strict).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decide, findRevocation, mayBeRevoked } from '../../../src/core/decide.js';
import type { Policy, Revocation, RevocationTarget } from '../../../src/core/types.js';
import { parseTarget } from '../../../src/revocation/parse.js';
import { NO_LIMITS, T0, sessionAt } from '../fixtures.js';

const policy: Pick<Policy, 'rules' | 'defaults'> = {
  defaults: NO_LIMITS,
  rules: [{ index: 0, users: ['mw-root'], groups: [], overrides: { exempt: true } }],
};

function entry(text: string, until: number | null = null): Revocation {
  const target = parseTarget(text);
  assert.equal(typeof target, 'object', String(target));
  return { target: target as RevocationTarget, line: 1, reason: null, until };
}

const STRICT: Revocation = { target: { kind: 'fleet-strict' }, line: 0, reason: 'no contact', until: null };

describe('session: targets', () => {
  const s = sessionAt({ id: 'web-1/100-5', pid: 100, startTicks: 5 });

  test('cover exactly the session with that host, pid and start time', () => {
    assert.ok(findRevocation(s, [entry('session:web-1/100-5')], T0));
    assert.equal(findRevocation(s, [entry('session:web-1/100-6')], T0), undefined, 'another start time');
    assert.equal(findRevocation(s, [entry('session:web-1/101-5')], T0), undefined, 'another pid');
    assert.equal(findRevocation(s, [entry('session:web-2/100-5')], T0), undefined, 'another host');
  });

  test('end the session with reason revoked, exempt or not, and lapse with until', () => {
    const root = sessionAt({ id: 'web-1/100-5', pid: 100, startTicks: 5, user: 'mw-root' });
    const v = decide(root, policy, [entry('session:web-1/100-5')], T0);
    assert.equal(v.action, 'terminate');
    assert.equal(v.reason, 'revoked');
    assert.equal(decide(s, policy, [entry('session:web-1/100-5', T0)], T0).action, 'keep');
  });
});

describe('strict mode (fleet:strict)', () => {
  test('ends a session that is not exempt, with reason revoked and the strict entry', () => {
    const v = decide(sessionAt(), policy, [STRICT], T0);
    assert.equal(v.action, 'terminate');
    assert.ok(v.action === 'terminate' && v.reason === 'revoked' && v.revocation === STRICT);
    // The revocation sweep (daemon/loop.ts) asks mayBeRevoked first: it must not skip this session.
    assert.equal(mayBeRevoked(sessionAt(), [STRICT], T0), true);
    assert.equal(mayBeRevoked(sessionAt(), [{ ...STRICT, until: T0 }], T0), false, 'lapsed');
  });

  test('spares exempt sessions and sessions whose user is unknown', () => {
    assert.equal(decide(sessionAt({ user: 'mw-root' }), policy, [STRICT], T0).reason, 'exempt');
    assert.equal(decide(sessionAt({ user: null, groups: null }), policy, [STRICT], T0).action, 'keep');
  });

  test('is never a match for findRevocation: a revocation covers exempt users, strict mode does not', () => {
    assert.equal(findRevocation(sessionAt(), [STRICT], T0), undefined);
  });
});
