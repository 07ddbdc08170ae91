// The value readers: each turns one YAML node into a typed value, or reports why it cannot (at the node's
// position, with the text as written) and returns INVALID. They know value syntax, not where a key lives.

import { validate as validateCron, validateDetailed as explainCron } from 'node-cron';
import { isScalar, isSeq } from 'yaml';
import { formatDuration, parseDuration } from '../core/duration.js';
import { isValidName } from '../core/names.js';
import { INVALID, isEmpty, kindOf, type Read, type YamlDocument } from './reader.js';

/** Reads the node written under a key; `path` is the key's full path, for the error. */
export type Value<T> = (doc: YamlDocument, node: unknown, path: string) => Read<T>;

/** A duration that must be set: `10s`, `1h30m`; `off` is refused. */
export function duration(opts: { minMs?: number } = {}): Value<number> {
  return (doc, node, path) => {
    const ms = durationValue(doc, node, path, { off: false, ...opts });
    if (ms === null) {
      doc.report('BAD_DURATION', path, node, 'this limit cannot be off; give a duration like 10s');
      return INVALID;
    }
    return ms;
  };
}

/** A duration, or `off` (null). */
export const durationOrOff: Value<number | null> = (doc, node, path) => durationValue(doc, node, path, { off: true });

function durationValue(
  doc: YamlDocument,
  node: unknown,
  path: string,
  opts: { off: boolean; minMs?: number },
): Read<number | null> {
  const v = doc.deref(node);
  const expected = opts.off ? 'a duration like 30m or 1h30m, or off' : 'a duration like 30s or 10m';
  if (!isScalar(v)) {
    doc.report('BAD_TYPE', path, node, `expected ${expected}, not ${kindOf(v)}`);
    return INVALID;
  }
  const value: unknown = v.value;
  if (typeof value === 'number') {
    doc.report('BAD_TYPE', path, node, 'a number is not a duration; add a unit, like 30s or 30m');
    return INVALID;
  }
  if (typeof value === 'boolean') {
    const hint = opts.off && value === false ? '; to disable, write off' : '';
    doc.report('BAD_TYPE', path, node, `expected ${expected}, not a boolean${hint}`);
    return INVALID;
  }
  if (value === null) {
    doc.report('BAD_TYPE', path, node, `empty value; expected ${expected} (remove the key to get the default)`);
    return INVALID;
  }
  if (typeof value !== 'string') {
    doc.report('BAD_TYPE', path, node, `expected ${expected}`);
    return INVALID;
  }
  const parsed = parseDuration(value);
  if (!parsed.ok) {
    doc.report('BAD_DURATION', path, node, parsed.message);
    return INVALID;
  }
  // `off` where it is not allowed is the caller's error to report; the minimum applies to real durations.
  if (parsed.ms !== null && opts.minMs !== undefined && parsed.ms < opts.minMs) {
    doc.report('BAD_DURATION', path, node, `must be at least ${formatDuration(opts.minMs)}`);
    return INVALID;
  }
  return parsed.ms;
}

/** `true` or `false`, unquoted; yes/no/on/off are refused (YAML 1.2 reads them as strings). */
export const bool: Value<boolean> = (doc, node, path) => {
  const v = doc.deref(node);
  if (isScalar(v) && typeof v.value === 'boolean') return v.value;
  let message = `expected true or false, not ${kindOf(v)}`;
  if (isScalar(v) && typeof v.value === 'string' && /^(yes|no|on|off|true|false|y|n)$/i.test(v.value)) {
    message += '; write true or false, without quotes';
  }
  doc.report('BAD_TYPE', path, node, message);
  return INVALID;
};

/** An absolute path that must be given. */
export const absolutePath: Value<string> = (doc, node, path) => pathValue(doc, node, path, false) ?? INVALID;

/** An absolute path, or an empty value for none (null). */
export const optionalPath: Value<string | null> = (doc, node, path) => pathValue(doc, node, path, true);

function pathValue(doc: YamlDocument, node: unknown, path: string, nullable: boolean): Read<string | null> {
  const v = doc.deref(node);
  if (nullable && isEmpty(v)) return null;
  if (!isScalar(v) || typeof v.value !== 'string') {
    const hint = nullable ? ' (or leave the key out)' : '';
    doc.report('BAD_TYPE', path, node, `expected an absolute path${hint}, not ${kindOf(v)}`);
    return INVALID;
  }
  if (!v.value.startsWith('/') || v.value.includes('\0')) {
    doc.report('BAD_PATH', path, node, 'must be an absolute path (starting with /)');
    return INVALID;
  }
  return v.value;
}

/** One of a fixed set of words. */
export function oneOf<T extends string>(allowed: readonly T[]): Value<T> {
  return (doc, node, path) => {
    const v = doc.deref(node);
    if (!isScalar(v) || typeof v.value !== 'string') {
      doc.report('BAD_TYPE', path, node, `expected one of ${allowed.join(', ')}, not ${kindOf(v)}`);
      return INVALID;
    }
    const found = allowed.find((a) => a === v.value);
    if (found === undefined) {
      doc.report('BAD_VALUE', path, node, `expected one of ${allowed.join(', ')}`);
      return INVALID;
    }
    return found;
  };
}

/** A list of user or group names; an empty value means none. Every bad item is reported. */
export function names(what: 'user' | 'group'): Value<string[]> {
  return (doc, node, path) => {
    const v = doc.deref(node);
    if (isEmpty(v)) return [];
    if (!isSeq(v)) {
      const example = isScalar(v) && typeof v.value === 'string' ? `[${v.value}]` : '[name]';
      doc.report('BAD_TYPE', path, node, `expected a list of ${what} names, like ${example}; not ${kindOf(v)}`);
      return INVALID;
    }
    let ok = true;
    const out: string[] = [];
    v.items.forEach((item, i) => {
      const itemPath = `${path}[${i}]`;
      const n = doc.deref(item);
      if (!isScalar(n) || typeof n.value !== 'string') {
        const hint = isScalar(n) && typeof n.value === 'number' ? '; quote it if it really is a name' : '';
        doc.report('BAD_TYPE', itemPath, item, `expected a ${what} name, not ${kindOf(n)}${hint}`);
        ok = false;
        return;
      }
      if (!isValidName(n.value)) {
        doc.report(
          'BAD_NAME',
          itemPath,
          item,
          `not a valid ${what} name (letters, digits, _ . - @, optionally ending in $; no spaces or colons)`,
        );
        ok = false;
        return;
      }
      out.push(n.value);
    });
    return ok ? out : INVALID;
  };
}

/** A cron expression node-cron accepts (5 fields, or 6 with seconds first), with its reason when not. */
export const cron: Value<string> = (doc, node, path) => {
  const v = doc.deref(node);
  if (!isScalar(v) || typeof v.value !== 'string') {
    doc.report('BAD_TYPE', path, node, `expected a cron expression in quotes, like "0 3 * * *", not ${kindOf(v)}`);
    return INVALID;
  }
  const expr = v.value;
  let valid = false;
  try {
    valid = validateCron(expr);
  } catch {
    valid = false;
  }
  if (!valid) {
    let detail = '';
    try {
      detail = explainCron(expr)
        .errors.map((e) => e.message)
        .join('; ');
    } catch {
      // The plain message below is enough.
    }
    const base = 'not a valid cron expression (5 fields, or 6 with seconds first)';
    doc.report('BAD_CRON', path, node, detail === '' ? base : `${base}: ${detail}`);
    return INVALID;
  }
  return expr;
};

/** An IANA time zone name; an empty value means none (null: the host's zone). */
export const timezone: Value<string | null> = (doc, node, path) => {
  const v = doc.deref(node);
  if (isEmpty(v)) return null;
  if (!isScalar(v) || typeof v.value !== 'string') {
    doc.report('BAD_TYPE', path, node, `expected a time zone name like Europe/Berlin, not ${kindOf(v)}`);
    return INVALID;
  }
  if (!isTimeZone(v.value)) {
    doc.report('BAD_TIMEZONE', path, node, 'unknown time zone; use an IANA name like Europe/Berlin or UTC');
    return INVALID;
  }
  return v.value;
};

function isTimeZone(name: string): boolean {
  if (name === '') return false;
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
