import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWatchInterval } from '../../../src/cli/sessions-watch.js';
import { renderWatch, verdictCountdown, type WatchFrame } from '../../../src/cli/watch-view.js';
import type { Verdict } from '../../../src/core/types.js';
import { MIN, T, policy, session } from './fixtures.js';

const keep: Verdict = { action: 'keep', reason: 'ok', at: T + 10 * MIN, rule: null };
const limits = policy.defaults;
const limit = { reason: 'idle' as const, basis: T - 28 * MIN, deadline: T + 2 * MIN, limitMs: 30 * MIN, warns: true };
const warning = { reason: 'max_age' as const, at: T - MIN, basis: T - 12 * 60 * MIN, delivered: true };
const frame = (over: Partial<WatchFrame> = {}): WatchFrame => ({
  rows: [{ session: session({}), verdict: keep }],
  policy,
  now: T,
  intervalMs: 2000,
  host: 'web-17',
  notes: [],
  ...over,
});

test('the verdicts count down as the clock moves', () => {
  assert.equal(verdictCountdown(keep, T), 'keep, next check in 10m');
  assert.equal(verdictCountdown(keep, T + 2_000), 'keep, next check in 9m58s');
  assert.equal(verdictCountdown({ ...keep, at: T - 1 }, T), 'keep, next check in 0s', 'never negative');
  assert.equal(
    verdictCountdown({ action: 'warn', reason: 'idle', at: T + 2 * MIN, rule: null, limit, limits }, T),
    'warn now, ends in 2m (idle)',
  );
  assert.equal(
    verdictCountdown(
      {
        action: 'keep',
        reason: 'max_age',
        at: T + 90_000,
        rule: null,
        limit: { ...limit, reason: 'max_age' },
        limits,
        warning,
      },
      T,
    ),
    'ends in 1m30s (max_age, warned)',
  );
  assert.equal(
    verdictCountdown(
      {
        action: 'terminate',
        reason: 'revoked',
        at: T,
        rule: null,
        limits,
        revocation: { target: { kind: 'user', name: 'mw-alice' }, line: 1, reason: null, until: null },
      },
      T,
    ),
    'terminate now (revoked)',
  );
  assert.equal(verdictCountdown({ action: 'keep', reason: 'exempt', at: null, rule: 0 }, T), 'keep (exempt)');
});

test('the screen: a header with the interval, host and clock, then the table, moving between frames', () => {
  const a = renderWatch(frame(), { cols: 200, rows: 20 });
  const b = renderWatch(frame({ now: T + 3_000 }), { cols: 200, rows: 20 });
  assert.match(a[0]!, /^Every 2s: moshwarden sessions on web-17 +2026-11-24T09:00:00Z$/);
  assert.equal(a[0]!.length, 200, 'the clock sits at the right edge');
  assert.equal(a[1], 'q or Ctrl-C to quit');
  assert.match(a[3]!, /^PID\s+USER\s+TTY\s+FROM\s+STATE\s+IDLE\s+AGE\s+VERDICT$/);
  assert.match(a[4]!, /^4242\s+mw-alice\s+pts\/3\s+.*keep, next check in 10m$/);
  assert.match(b[4]!, /keep, next check in 9m57s$/);
  assert.equal(renderWatch(frame({ rows: [] }), { cols: 80, rows: 20 })[3], 'no mosh sessions');
  assert.match(renderWatch(frame({ intervalMs: 500 }), { cols: 80, rows: 20 })[0]!, /^Every 0.5s:/);
});

test('cut to the terminal: no line wider than it, no more lines than it has, and a count of what is hidden', () => {
  const rows = Array.from({ length: 30 }, (_, i) => ({ session: session({ pid: 1000 + i }), verdict: keep }));
  const lines = renderWatch(frame({ rows, notes: ['utmp is missing'] }), { cols: 40, rows: 12 });
  assert.equal(lines.length, 12);
  assert.ok(
    lines.every((l) => l.length <= 40),
    lines.join('\n'),
  );
  assert.match(lines[9]!, /^… 25 more rows/);
  assert.equal(lines[11], 'note: utmp is missing');
  const evil = renderWatch(frame({ rows: [{ session: session({ from: '\u001b[2J' }), verdict: keep }] }), {
    cols: 200,
    rows: 9,
  });
  assert.ok(
    evil.every((l) => !l.includes('\u001b')),
    'no escape sequence from a user-set SSH_CONNECTION',
  );
});

test('--watch INTERVAL: a duration or plain seconds like watch -n, within 0.1 s .. 1 h', () => {
  assert.equal(parseWatchInterval('2s'), 2000);
  assert.equal(parseWatchInterval('1'), 1000);
  assert.equal(parseWatchInterval('0.5'), 500);
  assert.equal(parseWatchInterval('1m'), 60_000);
  assert.equal(parseWatchInterval('0.05'), null);
  assert.equal(parseWatchInterval('2h'), null);
  assert.equal(parseWatchInterval('fast'), null);
});
