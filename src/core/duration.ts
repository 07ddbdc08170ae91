// Durations as operators write them in the config: `90s`, `10m`, `2h`, `7d`, `1h30m`, or `off`.
// Pure: no clock, no I/O. Whole seconds only; the units appear at most once each, largest first.

export type DurationResult = { ok: true; ms: number | null } | { ok: false; message: string };

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
type Unit = keyof typeof UNIT_MS;
/** Largest first: the only order in which units may be written. */
const UNIT_ORDER: readonly Unit[] = ['d', 'h', 'm', 's'];

/** Anything longer is almost certainly a typo (`365d` is already far beyond any sane session limit). */
export const MAX_DURATION_MS = 365 * UNIT_MS.d;

const EXAMPLES = 'like 90s, 10m, 2h, 7d or 1h30m';

function isUnit(s: string): s is Unit {
  return s === 'd' || s === 'h' || s === 'm' || s === 's';
}

/**
 * Parses a duration. `off` yields `ms: null` (the limit is disabled); whether `off` is acceptable for a
 * given key is the caller's decision. Zero is refused so that "disabled" is always spelled `off`.
 */
export function parseDuration(input: string): DurationResult {
  const fail = (message: string): DurationResult => ({ ok: false, message });

  if (input === '') return fail(`empty duration; write one ${EXAMPLES}, or off`);
  if (input === 'off') return { ok: true, ms: null };
  if (input.toLowerCase() === 'off') return fail('write off in lowercase');
  if (/\s/.test(input)) return fail(`a duration has no spaces; write it ${EXAMPLES}`);
  if (input.startsWith('-')) return fail('a duration cannot be negative');
  if (/^\d+$/.test(input)) {
    return fail(`a duration needs a unit (s, m, h or d): write ${input}s or ${input}m, for example`);
  }
  if (/\d[.,]\d/.test(input)) return fail('fractions are not allowed; combine units instead, like 1h30m');
  if (/[A-Z]/.test(input)) return fail('units are lowercase: s, m, h, d');

  let rest = input;
  let total = 0;
  let lastRank = -1;
  while (rest !== '') {
    const m = /^(\d+)([a-z]+)/.exec(rest);
    if (m === null && /^\d+$/.test(rest)) return fail(`"${rest}" at the end has no unit (s, m, h or d)`);
    if (m === null) return fail(`not a duration; write one ${EXAMPLES}, or off`);
    const digits = m[1] ?? '';
    const unit = m[2] ?? '';
    if (!isUnit(unit)) return fail(`unknown unit "${unit}"; use s, m, h or d`);
    const rank = UNIT_ORDER.indexOf(unit);
    if (rank <= lastRank) {
      return fail('each unit may appear once, largest first (d, h, m, s), like 1d2h3m4s');
    }
    lastRank = rank;
    // A huge digit string becomes a huge (or infinite) number, caught by the maximum check below.
    total += Number(digits) * UNIT_MS[unit];
    rest = rest.slice(m[0].length);
  }

  if (total === 0) return fail('zero is not a duration; write off to disable');
  if (!(total <= MAX_DURATION_MS)) return fail('too long; the maximum is 365d');
  return { ok: true, ms: total };
}

/**
 * The inverse of parseDuration for whole seconds: 5400000 → `1h30m`, 0 → `0s`, null → `off`.
 * Sub-second remainders are dropped (used for messages and tables, not for arithmetic);
 * a negative value (e.g. from clock skew) is shown with a leading `-`.
 */
export function formatDuration(ms: number | null): string {
  if (ms === null) return 'off';
  if (!Number.isFinite(ms)) return ms > 0 ? 'inf' : '-inf';
  if (ms < 0) {
    const positive = formatDuration(-ms);
    return positive === '0s' ? '0s' : `-${positive}`;
  }
  let seconds = Math.floor(ms / 1000);
  if (seconds === 0) return '0s';
  let out = '';
  for (const unit of UNIT_ORDER) {
    const size = UNIT_MS[unit] / 1000;
    const n = Math.floor(seconds / size);
    if (n > 0) {
      out += `${n}${unit}`;
      seconds -= n * size;
    }
  }
  return out;
}
