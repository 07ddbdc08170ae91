import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCidr, type Cidr } from '../../../src/core/cidr.js';
import { decide, mayBeRevoked, lastActivity, liveWarnings } from '../../../src/core/decide.js';
import type { Limits, Policy, Revocation, Rule, Session, SessionMemory, Verdict } from '../../../src/core/types.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 24, 9, 0, 0); // 09:00:00Z, when every test session started

const DEFAULTS: Limits = {
  idleTimeoutMs: 30 * MIN,
  countOutput: false,
  warnBeforeMs: 2 * MIN,
  graceMs: 10_000,
  maxAgeMs: null,
  detachedTimeoutMs: null,
  exempt: false,
};

function policy(defaults: Partial<Limits> = {}, rules: Rule[] = []): Pick<Policy, 'rules' | 'defaults'> {
  return { defaults: { ...DEFAULTS, ...defaults }, rules };
}

function rule(index: number, sel: { users?: string[]; groups?: string[] }, overrides: Partial<Limits>): Rule {
  return { index, users: sel.users ?? [], groups: sel.groups ?? [], overrides };
}

function session(over: Partial<Session> = {}): Session {
  return {
    pid: 4242,
    startTicks: 1000,
    uid: 1001,
    user: 'mw-alice',
    groups: ['mw-alice', 'staff'],
    tty: 'pts/3',
    startedAt: T0,
    from: '198.51.100.7',
    client: '198.51.100.9',
    state: 'attached',
    stateSince: T0,
    port: 60001,
    lastInputAt: T0,
    lastOutputAt: T0,
    id: 'h/4242-1000',
    comm: 'mosh-server',
    exe: '/usr/bin/mosh-server',
    clients: [],
    pty: null,
    ...over,
  };
}

const at = (minutes: number) => T0 + minutes * MIN;
const warned = (reason: 'idle' | 'max_age', whenMin: number, basis: number): SessionMemory => ({
  warnings: [{ reason, at: at(whenMin), basis, delivered: true }],
});
const pick = (v: Verdict) => ({ action: v.action, reason: v.reason, at: v.at, rule: v.rule });

function cidr(text: string): Cidr {
  const c = parseCidr(text);
  if ('error' in c) throw new Error(c.error);
  return c;
}

function revocation(target: Revocation['target'], extra: Partial<Revocation> = {}): Revocation {
  return { target, line: 1, reason: null, until: null, ...extra };
}

describe('decide: idle', () => {
  const cases: {
    name: string;
    s: Partial<Session>;
    now: number;
    memory?: SessionMemory;
    p?: Partial<Limits>;
    want: ReturnType<typeof pick>;
  }[] = [
    {
      name: 'fresh input: keep, next check at the warning time',
      s: {},
      now: at(1),
      want: { action: 'keep', reason: 'ok', at: at(28), rule: null },
    },
    {
      name: 'just before the warning time: keep',
      s: {},
      now: at(28) - 1,
      want: { action: 'keep', reason: 'ok', at: at(28), rule: null },
    },
    {
      name: 'at the warning time: warn, ends at the deadline',
      s: {},
      now: at(28),
      want: { action: 'warn', reason: 'idle', at: at(30), rule: null },
    },
    {
      name: 'warned: keep until the deadline, reason idle',
      s: {},
      now: at(29),
      memory: warned('idle', 28, T0),
      want: { action: 'keep', reason: 'idle', at: at(30), rule: null },
    },
    {
      name: 'warned and past the deadline: terminate',
      s: {},
      now: at(30),
      memory: warned('idle', 28, T0),
      want: { action: 'terminate', reason: 'idle', at: at(30), rule: null },
    },
    {
      name: 'found long past the deadline, not warned: warn now, end warn_before later',
      s: {},
      now: at(90),
      want: { action: 'warn', reason: 'idle', at: at(92), rule: null },
    },
    {
      name: 'warned late (found past the deadline): no kill before the full warn_before',
      s: {},
      now: at(91),
      memory: warned('idle', 90, T0),
      want: { action: 'keep', reason: 'idle', at: at(92), rule: null },
    },
    {
      name: 'warned late: terminate once warn_before has passed',
      s: {},
      now: at(92),
      memory: warned('idle', 90, T0),
      want: { action: 'terminate', reason: 'idle', at: at(92), rule: null },
    },
    {
      name: 'typed after the warning: the warning is void, keep',
      s: { lastInputAt: at(29) },
      now: at(30),
      memory: warned('idle', 28, T0),
      want: { action: 'keep', reason: 'ok', at: at(57), rule: null },
    },
    {
      name: 'warn_before off: keep until the deadline',
      s: {},
      now: at(29),
      p: { warnBeforeMs: null },
      want: { action: 'keep', reason: 'ok', at: at(30), rule: null },
    },
    {
      name: 'warn_before off: terminate at the deadline without a warning',
      s: {},
      now: at(30),
      p: { warnBeforeMs: null },
      want: { action: 'terminate', reason: 'idle', at: at(30), rule: null },
    },
    {
      name: 'idle_timeout off: keep forever',
      s: {},
      now: at(10_000),
      p: { idleTimeoutMs: null },
      want: { action: 'keep', reason: 'ok', at: null, rule: null },
    },
    {
      name: 'unknown idle time (pty unreadable): never kills',
      s: { lastInputAt: null, lastOutputAt: null },
      now: at(10_000),
      want: { action: 'keep', reason: 'ok', at: null, rule: null },
    },
    {
      name: 'output does not count by default',
      s: { lastOutputAt: at(29) },
      now: at(28),
      want: { action: 'warn', reason: 'idle', at: at(30), rule: null },
    },
    {
      name: 'count_output: recent output keeps it',
      s: { lastOutputAt: at(20) },
      now: at(28),
      p: { countOutput: true },
      want: { action: 'keep', reason: 'ok', at: at(48), rule: null },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(pick(decide(session(c.s), policy(c.p), [], c.now, c.memory)), c.want);
    });
  }

  test('a warning answered by typing is dropped, so setting the atime back later cannot revive it', () => {
    // Warned at 28 for a period whose basis was minute 0; the user typed at minute 29 (basis 29): the
    // warning is gone. Then the atime is set back to minute -14: a new period, due at once, that gets its
    // own warning and warn_before.
    const memory = liveWarnings(session({ lastInputAt: at(29) }), policy(), warned('idle', 28, T0));
    assert.deepEqual(memory, { warnings: [] });
    const v = decide(session({ lastInputAt: at(-14) }), policy(), [], at(30), memory);
    assert.deepEqual(pick(v), { action: 'warn', reason: 'idle', at: at(32), rule: null });
  });

  test('setting the atime back without answering keeps the warning: it buys no time', () => {
    const memory = liveWarnings(session({ lastInputAt: at(-14) }), policy(), warned('idle', 28, T0));
    assert.equal(memory.warnings.length, 1);
    const v = decide(session({ lastInputAt: at(-14) }), policy(), [], at(30), memory);
    assert.deepEqual(pick(v), { action: 'terminate', reason: 'idle', at: at(30), rule: null });
  });

  test('a warning for another reason does not count as the idle warning', () => {
    const v = decide(session(), policy({ maxAgeMs: 600 * MIN }), [], at(30), warned('max_age', 20, T0));
    assert.deepEqual(pick(v), { action: 'warn', reason: 'idle', at: at(32), rule: null });
  });
});

describe('decide: precedence revoked > exempt > rule > defaults', () => {
  const rules = [
    rule(0, { users: ['deploy'], groups: ['breakglass'] }, { exempt: true }),
    rule(1, { groups: ['contractors'] }, { idleTimeoutMs: 10 * MIN }),
    rule(2, { users: ['mw-alice'] }, { idleTimeoutMs: 60 * MIN }),
  ];
  const p = policy({}, rules);

  test('defaults apply when no rule matches', () => {
    assert.deepEqual(pick(decide(session({ user: 'mw-bob', groups: ['mw-bob'] }), p, [], at(28))), {
      action: 'warn',
      reason: 'idle',
      at: at(30),
      rule: null,
    });
  });
  test('a rule listing the user overrides the defaults', () => {
    assert.deepEqual(pick(decide(session(), p, [], at(28))), { action: 'keep', reason: 'ok', at: at(58), rule: 2 });
  });
  test('a rule matches by group too (first match wins over a later user rule)', () => {
    const v = decide(session({ groups: ['mw-alice', 'contractors'] }), p, [], at(8));
    assert.deepEqual(pick(v), { action: 'warn', reason: 'idle', at: at(10), rule: 1 });
  });
  test('exempt by user: kept however idle', () => {
    assert.deepEqual(pick(decide(session({ user: 'deploy', groups: [] }), p, [], at(10_000))), {
      action: 'keep',
      reason: 'exempt',
      at: null,
      rule: 0,
    });
  });
  test('exempt by group', () => {
    assert.deepEqual(pick(decide(session({ groups: ['breakglass'] }), p, [], at(10_000))), {
      action: 'keep',
      reason: 'exempt',
      at: null,
      rule: 0,
    });
  });
  test('revocation beats exemption', () => {
    const r = revocation({ kind: 'user', name: 'deploy' }, { reason: 'offboarding' });
    const v = decide(session({ user: 'deploy', groups: [] }), p, [r], at(1));
    assert.deepEqual(pick(v), { action: 'terminate', reason: 'revoked', at: at(1), rule: null });
    assert.equal('revocation' in v ? v.revocation : undefined, r);
  });
  test('unresolved user name with a user rule first: keep (fail safe), not the defaults', () => {
    assert.deepEqual(pick(decide(session({ user: null }), p, [], at(10_000))), {
      action: 'keep',
      reason: 'ok',
      at: null,
      rule: 0,
    });
  });
  test('unresolved groups with a group rule first: keep (fail safe)', () => {
    assert.deepEqual(pick(decide(session({ user: 'mw-bob', groups: null }), p, [], at(10_000))), {
      action: 'keep',
      reason: 'ok',
      at: null,
      rule: 0,
    });
  });
  test('unresolved names with no rules: the defaults apply', () => {
    assert.deepEqual(pick(decide(session({ user: null, groups: null }), policy(), [], at(28))), {
      action: 'warn',
      reason: 'idle',
      at: at(30),
      rule: null,
    });
  });
});

describe('decide: revocations', () => {
  const p = policy();
  const s = session();
  const cases: { name: string; r: Revocation; hit: boolean }[] = [
    { name: 'user name', r: revocation({ kind: 'user', name: 'mw-alice' }), hit: true },
    { name: 'another user', r: revocation({ kind: 'user', name: 'mw-bob' }), hit: false },
    { name: 'uid', r: revocation({ kind: 'uid', uid: 1001 }), hit: true },
    { name: 'another uid', r: revocation({ kind: 'uid', uid: 1002 }), hit: false },
    { name: 'group', r: revocation({ kind: 'group', name: 'staff' }), hit: true },
    { name: 'another group', r: revocation({ kind: 'group', name: 'wheel' }), hit: false },
    {
      name: 'from: client address',
      r: revocation({ kind: 'from', cidr: cidr('198.51.100.8/30'), text: '198.51.100.8/30' }),
      hit: true,
    },
    {
      name: 'from: ssh origin',
      r: revocation({ kind: 'from', cidr: cidr('198.51.100.7'), text: '198.51.100.7' }),
      hit: true,
    },
    {
      name: 'from: elsewhere',
      r: revocation({ kind: 'from', cidr: cidr('203.0.113.0/24'), text: '203.0.113.0/24' }),
      hit: false,
    },
    {
      name: 'lapsed (until in the past)',
      r: revocation({ kind: 'user', name: 'mw-alice' }, { until: at(1) }),
      hit: false,
    },
    {
      name: 'until exactly now has lapsed',
      r: revocation({ kind: 'user', name: 'mw-alice' }, { until: at(5) }),
      hit: false,
    },
    { name: 'until in the future', r: revocation({ kind: 'user', name: 'mw-alice' }, { until: at(6) }), hit: true },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const v = decide(s, p, [c.r], at(5));
      assert.equal(v.action === 'terminate' && v.reason === 'revoked', c.hit);
      // The sweep's quick question (daemon/loop.ts) agrees: it never skips a session decide would revoke.
      assert.equal(mayBeRevoked(s, [c.r], at(5)), c.hit);
    });
  }
  test('a group revocation does not match when the groups are unknown (never widen)', () => {
    const v = decide(session({ groups: null }), p, [revocation({ kind: 'group', name: 'staff' })], at(5));
    assert.equal(v.reason, 'ok');
  });
});

describe('decide: max_age and detached', () => {
  test('max_age warns first, then terminates', () => {
    const p = policy({ idleTimeoutMs: null, maxAgeMs: 60 * MIN });
    assert.deepEqual(pick(decide(session(), p, [], at(58))), {
      action: 'warn',
      reason: 'max_age',
      at: at(60),
      rule: null,
    });
    assert.deepEqual(pick(decide(session(), p, [], at(60), warned('max_age', 58, T0))), {
      action: 'terminate',
      reason: 'max_age',
      at: at(60),
      rule: null,
    });
  });
  test('max_age is not reset by typing', () => {
    const p = policy({ idleTimeoutMs: null, maxAgeMs: 60 * MIN });
    assert.deepEqual(
      pick(decide(session({ lastInputAt: at(59) }), p, [], at(60), warned('max_age', 58, T0))).action,
      'terminate',
    );
  });
  test('detached past the timeout: terminate (no warning: nobody is at the terminal)', () => {
    const p = policy({ idleTimeoutMs: null, detachedTimeoutMs: 15 * MIN });
    const s = session({ state: 'detached', client: null, stateSince: at(10) });
    assert.deepEqual(pick(decide(s, p, [], at(24))), { action: 'keep', reason: 'ok', at: at(25), rule: null });
    assert.deepEqual(pick(decide(s, p, [], at(25))), {
      action: 'terminate',
      reason: 'detached',
      at: at(25),
      rule: null,
    });
  });
  test('waiting and attached sessions are not detached', () => {
    const p = policy({ idleTimeoutMs: null, detachedTimeoutMs: 1 * MIN });
    for (const state of ['waiting', 'attached', 'unknown'] as const) {
      assert.equal(decide(session({ state, stateSince: T0 }), p, [], at(100)).action, 'keep', state);
    }
  });
  test('the most urgent limit wins: terminate over warn', () => {
    const p = policy({ maxAgeMs: 60 * MIN, detachedTimeoutMs: 5 * MIN });
    const s = session({ state: 'detached', client: null, stateSince: at(50), lastInputAt: at(31) });
    assert.deepEqual(pick(decide(s, p, [], at(59))), {
      action: 'terminate',
      reason: 'detached',
      at: at(55),
      rule: null,
    });
  });
  test('among keeps, the earliest due time is reported', () => {
    const p = policy({ maxAgeMs: 20 * MIN });
    assert.deepEqual(pick(decide(session(), p, [], at(1))), { action: 'keep', reason: 'ok', at: at(18), rule: null });
  });
});

describe('lastActivity', () => {
  test('input only unless count_output', () => {
    assert.equal(lastActivity({ lastInputAt: 5, lastOutputAt: 9 }, false), 5);
    assert.equal(lastActivity({ lastInputAt: 5, lastOutputAt: 9 }, true), 9);
    assert.equal(lastActivity({ lastInputAt: 9, lastOutputAt: 5 }, true), 9);
    assert.equal(lastActivity({ lastInputAt: null, lastOutputAt: 9 }, true), null);
  });
});
