import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchesFilter, parseFilter, parseWhen, type HistoryFilter } from '../../../src/history/filter.js';
import type { Ending } from '../../../src/history/reconstruct.js';
import { MIN, T0, row } from './fixtures.js';

const f = (o: Parameters<typeof parseFilter>[0]): HistoryFilter => {
  const r = parseFilter(o, T0 + 60 * MIN);
  if (typeof r === 'string') throw new Error(r);
  return r;
};
const ended = (min: number): Ending => ({ kind: 'ended', at: T0 + min * MIN, reason: null, revocation: null });

test('WHEN: ISO-8601 with a zone, or a duration back from now; anything else is refused', () => {
  assert.equal(parseWhen('2026-11-24T08:00:00Z', 0), T0);
  assert.equal(parseWhen('2026-11-24T09:00:00+01:00', 0), T0);
  assert.equal(parseWhen('1h', T0 + 60 * MIN), T0);
  assert.equal(parseWhen('2026-11-24T08:00:00', 0), null, 'no zone: not guessed');
  assert.equal(parseWhen('yesterday', 0), null);
  assert.match(parseFilter({ since: '30' }, 0) as string, /^--since 30: not an ISO-8601 time/);
  assert.match(parseFilter({ since: '1h', until: '2h' }, T0) as string, /--until is before --since/);
  assert.match(parseFilter({ from: '10.0.0.5/8' }, 0) as string, /^--from 10\.0\.0\.5\/8: host bits set/);
});

test('--since/--until keep every session that overlaps the interval, unknown ends and starts included', () => {
  const since = f({ since: '2026-11-24T08:30:00Z' });
  assert.equal(matchesFilter(row({ ending: ended(20) }), since), false, 'over before');
  assert.equal(matchesFilter(row({ ending: ended(40) }), since), true, 'still on at since');
  assert.equal(matchesFilter(row({ ending: { kind: 'still_on' } }), since), true);
  assert.equal(matchesFilter(row({ ending: { kind: 'unknown', after: T0 } }), since), true, 'may still be on');
  assert.equal(
    matchesFilter(row({ ending: { kind: 'daemon_down', after: T0, before: T0 + 20 * MIN } }), since),
    false,
    'gone by the restart at 08:20',
  );
  const until = f({ until: '2026-11-24T07:00:00Z' });
  assert.equal(matchesFilter(row({ ending: ended(20) }), until), false, 'started after until');
  assert.equal(matchesFilter(row({ startedAt: null, ending: ended(20) }), until), true, 'unknown start');
});

test('--user by name or uid; --from matches the ssh origin or any client address', () => {
  const r = row({ ending: { kind: 'still_on' } });
  assert.equal(matchesFilter(r, f({ user: 'mw-alice' })), true);
  assert.equal(matchesFilter(r, f({ user: '1001' })), true);
  assert.equal(matchesFilter(r, f({ user: 'mw-bob' })), false);
  assert.equal(matchesFilter(r, f({ from: '198.51.100.0/24' })), true, 'origin');
  assert.equal(matchesFilter(r, f({ from: '203.0.113.5' })), true, 'a client');
  assert.equal(matchesFilter(r, f({ from: '192.0.2.0/24' })), false);
  assert.equal(
    matchesFilter(
      row({ from: null, clients: ['2001:db8::7'], ending: { kind: 'still_on' } }),
      f({ from: '2001:db8::/32' }),
    ),
    true,
  );
});
