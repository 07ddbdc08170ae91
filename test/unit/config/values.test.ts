import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INVALID, YamlDocument, type Read } from '../../../src/config/reader.js';
import {
  absolutePath,
  bool,
  cron,
  duration,
  durationOrOff,
  names,
  oneOf,
  optionalPath,
  timezone,
  type Value,
} from '../../../src/config/values.js';

/** Reads the value written as `v: TEXT` (on line 1, from column 4) with `read`, at the path `k.v`. */
function readAs<T>(read: Value<T>, text: string): { value: Read<T>; errors: string[] } {
  const doc = new YamlDocument(`v: ${text}\n`, 'v.yaml');
  assert.equal(doc.walkable, true, text);
  const fields = doc.fields(doc.root(), '', { allowed: ['v'], notMap: 'x' });
  if (fields === INVALID) assert.fail('expected a map');
  const value = read(doc, fields.entries.get('v')?.value, 'k.v');
  const errors = doc.sortedErrors().map((e) => `${e.line}:${e.col} ${e.code} ${e.key}: ${e.message} (${e.value})`);
  assert.equal(value === INVALID, errors.length > 0, `INVALID exactly when an error is reported: ${errors}`);
  return { value, errors };
}

function ok<T>(read: Value<T>, text: string, expected: T): void {
  assert.deepEqual(readAs(read, text), { value: expected, errors: [] }, text);
}

function refused<T>(read: Value<T>, text: string, error: string): void {
  assert.deepEqual(readAs(read, text), { value: INVALID, errors: [error] }, text);
}

describe('values: durations', () => {
  it('reads units and combinations into ms', () => {
    ok(duration(), '90s', 90_000);
    ok(duration(), '1h30m', 5_400_000);
    ok(durationOrOff, '7d', 7 * 86_400_000);
    ok(durationOrOff, 'off', null);
  });

  it('follows an alias and reports where the alias is written', () => {
    const doc = new YamlDocument('a: &t 10x\nv: *t\n', 'v.yaml');
    const f = doc.fields(doc.root(), '', { allowed: ['a', 'v'], notMap: 'x' });
    if (f === INVALID) assert.fail('expected a map');
    assert.equal(duration()(doc, f.entries.get('v')?.value, 'v'), INVALID);
    assert.deepEqual(
      doc.sortedErrors().map((e) => [e.line, e.col, e.value]),
      [[2, 4, '*t']],
    );
  });

  it('refuses off where a duration must be set, and below the minimum', () => {
    refused(duration(), 'off', '1:4 BAD_DURATION k.v: this limit cannot be off; give a duration like 10s (off)');
    refused(duration({ minMs: 60_000 }), '59s', '1:4 BAD_DURATION k.v: must be at least 1m (59s)');
    ok(duration({ minMs: 60_000 }), '1m', 60_000);
  });

  it('refuses a bare number, a boolean, an empty value and a list, each with its reason', () => {
    refused(durationOrOff, '30', '1:4 BAD_TYPE k.v: a number is not a duration; add a unit, like 30s or 30m (30)');
    refused(
      durationOrOff,
      'false',
      '1:4 BAD_TYPE k.v: expected a duration like 30m or 1h30m, or off, not a boolean; to disable, write off (false)',
    );
    refused(duration(), 'false', '1:4 BAD_TYPE k.v: expected a duration like 30s or 10m, not a boolean (false)');
    refused(
      duration(),
      '~',
      '1:4 BAD_TYPE k.v: empty value; expected a duration like 30s or 10m (remove the key to get the default) (~)',
    );
    refused(
      durationOrOff,
      '[1m]',
      '1:4 BAD_TYPE k.v: expected a duration like 30m or 1h30m, or off, not a list ([1m])',
    );
  });
});

describe('values: bool, paths, words', () => {
  it('bool: only unquoted true and false', () => {
    ok(bool, 'true', true);
    ok(bool, 'false', false);
    refused(
      bool,
      "'no'",
      "1:4 BAD_TYPE k.v: expected true or false, not a string; write true or false, without quotes ('no')",
    );
    refused(bool, 'maybe', '1:4 BAD_TYPE k.v: expected true or false, not a string (maybe)');
  });

  it('paths: absolute only; only the optional one takes an empty value', () => {
    ok(absolutePath, '/etc/x', '/etc/x');
    ok(optionalPath, '~', null);
    refused(absolutePath, '~', '1:4 BAD_TYPE k.v: expected an absolute path, not an empty value (~)');
    refused(optionalPath, 'rel/x', '1:4 BAD_PATH k.v: must be an absolute path (starting with /) (rel/x)');
    refused(absolutePath, '"/a\\0b"', '1:4 BAD_PATH k.v: must be an absolute path (starting with /) ("/a\\0b")');
    refused(optionalPath, '5', '1:4 BAD_TYPE k.v: expected an absolute path (or leave the key out), not a number (5)');
  });

  it('oneOf: the listed words only', () => {
    const word = oneOf(['red', 'green'] as const);
    ok(word, 'green', 'green');
    refused(word, 'blue', '1:4 BAD_VALUE k.v: expected one of red, green (blue)');
    refused(word, '[red]', '1:4 BAD_TYPE k.v: expected one of red, green, not a list ([red])');
  });
});

describe('values: names', () => {
  it('reads a list; an empty value is none', () => {
    ok(names('user'), '[alice, svc$, bob@example.com]', ['alice', 'svc$', 'bob@example.com']);
    ok(names('group'), '~', []);
    ok(names('group'), '[]', []);
  });

  it('reports every bad item at its own position', () => {
    const r = readAs(names('group'), '[ok, 1000, "a b", -x]');
    assert.equal(r.value, INVALID);
    assert.deepEqual(r.errors, [
      '1:9 BAD_TYPE k.v[1]: expected a group name, not a number; quote it if it really is a name (1000)',
      '1:15 BAD_NAME k.v[2]: not a valid group name (letters, digits, _ . - @, optionally ending in $; no spaces or colons) ("a b")',
      '1:22 BAD_NAME k.v[3]: not a valid group name (letters, digits, _ . - @, optionally ending in $; no spaces or colons) (-x)',
    ]);
  });

  it('suggests the list form for a single name', () => {
    refused(
      names('user'),
      'deploy',
      '1:4 BAD_TYPE k.v: expected a list of user names, like [deploy]; not a string (deploy)',
    );
    refused(
      names('user'),
      '{a: 1}',
      '1:4 BAD_TYPE k.v: expected a list of user names, like [name]; not a map ({a: 1})',
    );
  });
});

describe('values: cron and timezone', () => {
  it('cron: 5 or 6 fields, with node-cron reason when refused', () => {
    ok(cron, '"0 3 * * *"', '0 3 * * *');
    ok(cron, '"30 0 22 * * 1-5"', '30 0 22 * * 1-5');
    const r = readAs(cron, '"0 3 * *"');
    assert.equal(r.value, INVALID);
    assert.match(
      r.errors[0] ?? '',
      /^1:4 BAD_CRON k\.v: not a valid cron expression \(5 fields, or 6 with seconds first\): .*5 or 6 fields but got 4/,
    );
    refused(cron, '5', '1:4 BAD_TYPE k.v: expected a cron expression in quotes, like "0 3 * * *", not a number (5)');
  });

  it('timezone: an IANA name; an empty value is none', () => {
    ok(timezone, 'Europe/Berlin', 'Europe/Berlin');
    ok(timezone, 'UTC', 'UTC');
    ok(timezone, '~', null);
    refused(
      timezone,
      'Mars/Olympus',
      '1:4 BAD_TIMEZONE k.v: unknown time zone; use an IANA name like Europe/Berlin or UTC (Mars/Olympus)',
    );
    refused(timezone, '""', '1:4 BAD_TIMEZONE k.v: unknown time zone; use an IANA name like Europe/Berlin or UTC ("")');
  });
});
