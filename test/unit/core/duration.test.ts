import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_DURATION_MS, formatDuration, parseDuration } from '../../../src/core/duration.js';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('parseDuration accepts', () => {
  const good: Array<[string, number | null]> = [
    ['90s', 90 * S],
    ['1s', S],
    ['10m', 10 * M],
    ['2h', 2 * H],
    ['7d', 7 * D],
    ['1h30m', H + 30 * M],
    ['1d2h3m4s', D + 2 * H + 3 * M + 4 * S],
    ['1d4s', D + 4 * S],
    ['2h0m', 2 * H],
    ['1h05m', H + 5 * M],
    ['365d', 365 * D],
    ['off', null],
  ];
  for (const [input, ms] of good) {
    it(`${input} -> ${String(ms)}`, () => {
      assert.deepEqual(parseDuration(input), { ok: true, ms });
    });
  }
});

describe('parseDuration rejects', () => {
  // Each bad input with a fragment its message must contain, so the reason is the right one.
  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['-5m', /negative/],
    ['1.5h', /fractions/],
    ['0,5h', /fractions/],
    ['30', /needs a unit.*30s/],
    ['30m1h', /once, largest first/],
    ['1m1m', /once, largest first/],
    ['1s1d', /once, largest first/],
    ['1h 30m', /no spaces/],
    [' 5m', /no spaces/],
    ['5m\n', /no spaces/],
    ['5M', /lowercase/],
    ['1H30m', /lowercase/],
    ['OFF', /off in lowercase/],
    ['Off', /off in lowercase/],
    ['366d', /maximum is 365d/],
    ['8761h', /maximum is 365d/],
    ['99999999999999999999999d', /maximum is 365d/],
    ['0s', /zero.*off/],
    ['0h0m', /zero.*off/],
    ['5ms', /unknown unit "ms"/],
    ['2w', /unknown unit "w"/],
    ['1h30', /"30" at the end has no unit/],
    ['m', /not a duration/],
    ['+5m', /not a duration/],
    ['off5m', /not a duration/],
    ['5m!', /not a duration/],
  ];
  for (const [input, message] of bad) {
    it(JSON.stringify(input), () => {
      const r = parseDuration(input);
      assert.equal(r.ok, false, `${JSON.stringify(input)} must be rejected`);
      if (!r.ok) assert.match(r.message, message);
    });
  }
});

describe('formatDuration', () => {
  const cases: Array<[number | null, string]> = [
    [0, '0s'],
    [999, '0s'],
    [S, '1s'],
    [1_500, '1s'],
    [90 * S, '1m30s'],
    [5_400_000, '1h30m'],
    [H, '1h'],
    [D + 2 * H + 3 * M + 4 * S, '1d2h3m4s'],
    [D + 4 * S, '1d4s'],
    [365 * D, '365d'],
    [-90 * S, '-1m30s'],
    [-500, '0s'],
    [null, 'off'],
  ];
  for (const [ms, text] of cases) {
    it(`${String(ms)} -> ${text}`, () => {
      assert.equal(formatDuration(ms), text);
    });
  }

  it('round-trips through parseDuration for whole seconds', () => {
    const samples = [S, 59 * S, M, 61 * S, 59 * M, H + S, 23 * H + 59 * M + 59 * S, D, 3 * D + 7 * H, MAX_DURATION_MS];
    for (const ms of samples) {
      const text = formatDuration(ms);
      assert.deepEqual(parseDuration(text), { ok: true, ms }, `${ms} -> ${text}`);
    }
  });

  it('round-trips text already in canonical form', () => {
    for (const text of ['90s', '10m', '2h', '7d', '1h30m', '1d2h3m4s', 'off']) {
      const r = parseDuration(text);
      assert.equal(r.ok, true);
      if (r.ok) {
        // 90s is accepted but printed canonically as 1m30s.
        assert.equal(formatDuration(r.ms), text === '90s' ? '1m30s' : text);
      }
    }
  });
});
