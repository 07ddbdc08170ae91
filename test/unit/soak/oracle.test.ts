// The soak's oracle (bench/soak/) on made-up timelines: it passes what the contract allows and fails
// what it does not, so a green soak means something.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_TOLERANCES as TOL } from '../../../bench/soak/facts.js';
import { wrongKills } from '../../../bench/soak/judge.js';
import { misses } from '../../../bench/soak/misses.js';
import { judge } from '../../../bench/soak/report.js';
import { canonical, covers } from '../../../bench/soak/targets.js';
import { emptyTimeline, type SessionRecord, type Timeline } from '../../../bench/soak/timeline.js';

const T0 = Date.parse('2026-12-06T10:00:00.000Z');
const at = (s: number) => T0 + s * 1_000;
const iso = (s: number) => new Date(at(s)).toISOString();

function session(over: Partial<SessionRecord> = {}): SessionRecord {
  return {
    idx: 0,
    user: 'mw-test-alice',
    uid: 1001,
    groups: ['mw-test-alice', 'mw-test-contractors'],
    origin: '192.0.2.10',
    client: false,
    pid: 4242,
    startTime: '777',
    id: 'host/4242-777',
    launchedAt: at(0),
    launchedBy: at(0.3),
    setbacks: [],
    typings: [],
    stoppedAt: null,
    endedBySoakAt: null,
    lastAlive: at(100),
    goneAt: null,
    ...over,
  };
}

/** 100 s with one daemon up from 0 and idle_timeout 30s, warn_before 3s, grace 2s. */
function timeline(s: SessionRecord): Timeline {
  const t = emptyTimeline(at(0), 3, 2);
  t.end = at(100);
  t.sessions.push(s);
  t.configs.push({ at0: at(-1), at1: at(-1), idleTimeoutS: 30, how: 'start' });
  t.daemons.push({
    instance: 0,
    pid: 1,
    spawnedAt: at(-1),
    upAt: at(-0.5),
    termAt: at(100),
    exitedAt: at(100.1),
    code: 0,
    signal: null,
  });
  return t;
}

const line = (t: Timeline, s: number, e: Record<string, unknown>, instance = 0) =>
  t.lines.push({
    instance,
    receivedAt: at(s),
    e: { time: iso(s), pid: 4242, id: 'host/4242-777', user: 'mw-test-alice', ...e },
  });

test('an idle session warned warn_before earlier and ended after idle_timeout is a right kill', () => {
  const s = session({ goneAt: at(31), lastAlive: at(30.8) });
  const t = timeline(s);
  line(t, 27.1, { event: 'session.warn', reason: 'idle' });
  line(t, 30.2, { event: 'session.terminate', reason: 'idle' });
  assert.deepEqual(wrongKills(t, TOL), []);
  const m = misses(t, TOL);
  assert.deepEqual(m.misses, []);
  assert.ok(m.judged.idle >= 1 && m.judged.grace === 1);
});

test('ended before idle_timeout, without the warning, or after keys were typed: wrong kills', () => {
  const early = timeline(session());
  line(early, 17, { event: 'session.warn', reason: 'idle' });
  line(early, 20.5, { event: 'session.terminate', reason: 'idle' });
  assert.match(wrongKills(early, TOL).join(), /idle at most 21\.\d s < idle_timeout 30 s/);

  const unwarned = timeline(session());
  line(unwarned, 31, { event: 'session.terminate', reason: 'idle' });
  assert.match(wrongKills(unwarned, TOL).join(), /no idle warning/);

  const typed = timeline(
    session({ setbacks: [{ at0: at(1), at1: at(1), atime: at(-100) }], typings: [{ at0: at(5), at1: at(5.1) }] }),
  );
  line(typed, 4, { event: 'session.warn', reason: 'idle' });
  line(typed, 20, { event: 'session.terminate', reason: 'idle' });
  assert.match(wrongKills(typed, TOL).join(), /idle at most/);
});

test('a revocation kill is right while the entry is in force, wrong once it was removed', () => {
  const s = session({ launchedAt: at(0), launchedBy: at(0.3) });
  const t = timeline(s);
  t.revocations.push({
    key: 'k',
    kind: 'group',
    target: 'group:mw-test-contractors',
    via: 'append',
    at0: at(10),
    at1: at(10),
    writtenAt: at(10),
    until: null,
    removed: { at0: at(20), at1: at(20.5), how: 'rename' },
  });
  line(t, 10.004, {
    event: 'session.terminate',
    reason: 'revoked',
    revocation: { target: 'group:mw-test-contractors' },
  });
  line(t, 30, { event: 'session.terminate', reason: 'revoked', revocation: { target: 'group:mw-test-contractors' } });
  const wrong = wrongKills(t, TOL);
  assert.equal(wrong.length, 1);
  assert.match(wrong[0]!, /\+30\.0 s: no revocation/);
});

test('a revocation in force that is not acted on is a miss; latency is measured from the write', () => {
  const t = timeline(session());
  t.revocations.push({
    key: 'k',
    kind: 'from',
    target: 'from:192.0.2.0/26',
    via: 'append',
    at0: at(10),
    at1: at(10),
    writtenAt: at(10),
    until: null,
    removed: null,
  });
  assert.match(misses(t, TOL).misses.join(), /revoked by from:192\.0\.2\.0\/26 at \+10\.0 s, still on at \+15\.0 s/);
  line(t, 10.012, { event: 'session.terminate', reason: 'revoked' });
  t.sessions[0]!.goneAt = at(10.3);
  t.sessions[0]!.lastAlive = at(10.1);
  const m = misses(t, TOL);
  assert.deepEqual(m.misses, []);
  assert.deepEqual(m.latencies, [12]);
});

test('a set-back that makes a session idle at once gives it warn_before before the end: not a miss', () => {
  const t = timeline(
    session({ setbacks: [{ at0: at(12.9), at1: at(12.9), atime: at(-20) }], goneAt: at(16.2), lastAlive: at(16) }),
  );
  line(t, 13.07, { event: 'session.warn', reason: 'idle' });
  line(t, 16.11, { event: 'session.terminate', reason: 'idle' });
  assert.deepEqual(misses(t, TOL).misses, []);
  assert.deepEqual(wrongKills(t, TOL), []);
});

test('an idle session left alive past its deadline is a miss', () => {
  const t = timeline(session({ setbacks: [{ at0: at(2), at1: at(2), atime: at(-40) }] }));
  assert.match(misses(t, TOL).misses.join(), /idle since/);
});

test('SIGKILL after daemon.stop, or before grace, is a wrong kill; a look-alike named in the log is a hit', () => {
  const t = timeline(session({ stoppedAt: at(1), goneAt: at(40), lastAlive: at(39.9) }));
  t.revocations.push({
    key: 'k',
    kind: 'user',
    target: 'mw-test-alice',
    via: 'cli',
    at0: at(9),
    at1: at(10),
    writtenAt: null,
    until: null,
    removed: null,
  });
  line(t, 10.1, { event: 'session.terminate', reason: 'revoked' });
  line(t, 11, { event: 'session.kill', reason: 'revoked' });
  line(t, 11.5, { event: 'daemon.stop' });
  line(t, 12.1, { event: 'session.kill', reason: 'revoked' });
  const wrong = wrongKills(t, TOL);
  assert.equal(wrong.length, 2);
  assert.match(wrong[0]!, /SIGKILL 900 ms after SIGTERM/);
  assert.match(wrong[1]!, /after daemon.stop/);
  const short = timeline(session({ stoppedAt: at(1), goneAt: at(40), lastAlive: at(39.9) }));
  short.revocations.push(t.revocations[0]!);
  line(short, 10.1, { event: 'session.terminate', reason: 'revoked' });
  line(short, 12.1, { event: 'session.kill', reason: 'revoked', after_ms: 1999 });
  assert.match(wrongKills(short, TOL).join(), /SIGKILL 1999 ms after SIGTERM/);
  t.lookAlikes.push({ what: 'tmux', user: 'mw-test-mallory', pid: 9, startTime: '1', aliveAtEnd: true });
  t.lines.push({ instance: 0, receivedAt: at(50), e: { event: 'session.start', pid: 9, time: iso(50) } });
  assert.equal(judge(t, TOL).lookAlikeHits.length, 1);
});

test('targets: the contract forms, ranges by value, IPv6', () => {
  const s = session({ origin: '2001:db8::5' });
  assert.ok(covers('mw-test-alice', s) && covers('user:mw-test-alice', s) && covers('uid:1001', s));
  assert.ok(covers('group:mw-test-contractors', s) && !covers('group:mw-test-breakglass', s));
  assert.ok(covers('from:2001:db8::/64', s) && !covers('from:2001:db8:0:1::/64', s) && !covers('from:192.0.2.0/24', s));
  assert.ok(covers('session:host/4242-777', s) && !covers('session:host/4242-778', s));
  assert.equal(canonical('mw-test-alice'), 'user:mw-test-alice');
  assert.equal(canonical('from:192.0.2.77'), canonical('from:192.0.2.77/32'));
});
