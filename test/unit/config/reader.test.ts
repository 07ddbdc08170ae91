import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigError } from '../../../src/config/errors.js';
import { INVALID, YamlDocument, kindOf, type Fields, type KeyRules } from '../../../src/config/reader.js';

const FILE = 'r.yaml';

function brief(e: ConfigError): [string, number, number, string, string | null, string] {
  return [e.code, e.line, e.col, e.key, e.value, e.message];
}

function fieldsOf(text: string, rules: KeyRules): { doc: YamlDocument; fields: Fields } {
  const doc = new YamlDocument(text, FILE);
  assert.equal(doc.walkable, true);
  const fields = doc.fields(doc.root(), '', rules);
  if (fields === INVALID) assert.fail('expected a map');
  return { doc, fields };
}

const TOP: KeyRules = { allowed: ['scan_interval', 'dry_run', 'defaults'], notMap: 'must be a map' };

describe('YamlDocument: syntax', () => {
  it('keeps only the first syntax error of each line, and is not walkable', () => {
    const doc = new YamlDocument('a: * * * * *\nb: [x\n', FILE);
    assert.equal(doc.walkable, false);
    const errors = doc.sortedErrors();
    assert.deepEqual(
      errors.map((e) => e.line),
      [...new Set(errors.map((e) => e.line))],
    );
    assert.ok(errors.every((e) => e.code === 'YAML_SYNTAX' && e.file === FILE && e.key === '' && e.value === null));
    assert.match(errors[0]?.message ?? '', /must be quoted/);
  });

  it('reports an alias without an anchor at the alias, and is not walkable', () => {
    const doc = new YamlDocument('a: 1\nb: *nowhere\n', FILE);
    assert.equal(doc.walkable, false);
    assert.deepEqual(doc.sortedErrors().map(brief), [
      [
        'YAML_SYNTAX',
        2,
        4,
        '',
        null,
        '*nowhere names no anchor (&nowhere) (text starting with *, like a cron expression, must be quoted)',
      ],
    ]);
  });

  it('reports a yaml warning but still lets the tree be walked', () => {
    const doc = new YamlDocument('a: !custom x\n', FILE);
    assert.equal(doc.walkable, true);
    assert.deepEqual(
      doc.sortedErrors().map((e) => [e.code, e.line, e.col]),
      [['YAML_SYNTAX', 1, 4]],
    );
  });

  it('reads an empty document as an empty value', () => {
    const doc = new YamlDocument('# only a comment\n', FILE);
    assert.equal(kindOf(doc.root()), 'an empty value');
    assert.deepEqual(doc.sortedErrors(), []);
  });
});

describe('YamlDocument.fields: key reporting', () => {
  it('returns the allowed keys with their value nodes', () => {
    const { doc, fields } = fieldsOf('dry_run: true\ndefaults:\n  grace: 5s\n', TOP);
    assert.deepEqual([...fields.entries.keys()], ['dry_run', 'defaults']);
    assert.equal(doc.written(fields.entries.get('dry_run')?.value), 'true');
    assert.deepEqual(doc.position(fields.entries.get('dry_run')?.key), { line: 1, col: 1 });
    assert.deepEqual(doc.sortedErrors(), []);
  });

  it('suggests a near miss: a typo, a dash for an underscore, another case', () => {
    const { doc } = fieldsOf('scan_intervall: 5s\ndry-run: true\nDEFAULTS: {}\n', TOP);
    assert.deepEqual(
      doc.sortedErrors().map((e) => [e.key, e.line, e.col, e.message]),
      [
        ['scan_intervall', 1, 1, 'unknown key; did you mean scan_interval?'],
        ['dry-run', 2, 1, 'unknown key; did you mean dry_run?'],
        ['DEFAULTS', 3, 1, 'unknown key; did you mean defaults?'],
      ],
    );
  });

  it('lists the allowed keys, in their order, when nothing is close', () => {
    const { doc, fields } = fieldsOf('colour: blue\n', TOP);
    assert.equal(fields.entries.size, 0);
    assert.deepEqual(doc.sortedErrors().map(brief), [
      ['UNKNOWN_KEY', 1, 1, 'colour', null, 'unknown key; allowed here: scan_interval, dry_run, defaults'],
    ]);
  });

  it('uses a hint for a key known elsewhere, and only for that key', () => {
    const rules: KeyRules = { ...TOP, hints: { exempt: 'exempt belongs in a rule' } };
    const { doc } = fieldsOf('exempt: true\ntoString: 1\nconstructor: 2\n', rules);
    assert.deepEqual(
      doc.sortedErrors().map((e) => e.message),
      [
        'exempt belongs in a rule',
        'unknown key; allowed here: scan_interval, dry_run, defaults',
        'unknown key; allowed here: scan_interval, dry_run, defaults',
      ],
    );
  });

  it('reports a duplicate at the second occurrence, naming the first line, and keeps the first', () => {
    const dup = fieldsOf('dry_run: true\n\ndry_run: false\n', TOP);
    assert.equal(dup.doc.written(dup.fields.entries.get('dry_run')?.value), 'true');
    assert.deepEqual(dup.doc.sortedErrors().map(brief), [
      ['DUPLICATE_KEY', 3, 1, 'dry_run', null, 'duplicate key; it is already set on line 1'],
    ]);
  });

  it('joins the key to the map path', () => {
    const doc = new YamlDocument('m:\n  bogus: 1\n', FILE);
    const top = doc.fields(doc.root(), '', { allowed: ['m'], notMap: 'x' });
    if (top === INVALID) assert.fail('expected a map');
    doc.fields(top.entries.get('m')?.value, 'rules[2]', { allowed: ['users'], notMap: 'x' });
    assert.deepEqual(
      doc.sortedErrors().map((e) => e.key),
      ['rules[2].bogus'],
    );
  });

  it('refuses a value that is not a map, with the caller words and what it is', () => {
    const doc = new YamlDocument('- a\n- b\n', FILE);
    assert.equal(doc.fields(doc.root(), 'x', { allowed: [], notMap: 'x must be a map' }), INVALID);
    assert.deepEqual(doc.sortedErrors().map(brief), [
      ['BAD_TYPE', 1, 1, 'x', '- a - b', 'x must be a map, not a list'],
    ]);
  });
});

describe('YamlDocument: lists, aliases, positions and written values', () => {
  it('list: an empty value is no items; a map is refused', () => {
    const doc = new YamlDocument('a:\nb: [1, 2]\nc: {k: v}\n', FILE);
    const f = doc.fields(doc.root(), '', { allowed: ['a', 'b', 'c'], notMap: 'x' });
    if (f === INVALID) assert.fail('expected a map');
    assert.deepEqual(doc.list(f.entries.get('a')?.value, 'a', 'a list'), []);
    const b = doc.list(f.entries.get('b')?.value, 'b', 'a list');
    assert.equal(b === INVALID ? -1 : b.length, 2);
    assert.equal(doc.list(f.entries.get('c')?.value, 'c', 'a list of things'), INVALID);
    assert.deepEqual(doc.sortedErrors().map(brief), [
      ['BAD_TYPE', 3, 4, 'c', '{k: v}', 'expected a list of things, not a map'],
    ]);
  });

  it('deref follows an alias; the position stays where the alias is written', () => {
    const doc = new YamlDocument('a: &x 15m\nb: *x\n', FILE);
    const f = doc.fields(doc.root(), '', { allowed: ['a', 'b'], notMap: 'x' });
    if (f === INVALID) assert.fail('expected a map');
    const alias = f.entries.get('b')?.value;
    assert.equal(kindOf(doc.deref(alias)), 'a string');
    doc.report('BAD_VALUE', 'b', alias, 'm');
    assert.deepEqual(doc.sortedErrors().map(brief), [['BAD_VALUE', 2, 4, 'b', '*x', 'm']]);
  });

  it('written: one line, shortened to 60 characters; null for nothing', () => {
    const long = 'x'.repeat(80);
    const doc = new YamlDocument(`a: ${long}\nb: [1,\n  2]\n`, FILE);
    const f = doc.fields(doc.root(), '', { allowed: ['a', 'b'], notMap: 'x' });
    if (f === INVALID) assert.fail('expected a map');
    assert.equal(doc.written(f.entries.get('a')?.value), `${'x'.repeat(57)}...`);
    assert.equal(doc.written(f.entries.get('b')?.value), '[1, 2]');
    assert.equal(doc.written(null), null);
    assert.deepEqual(doc.position(null), { line: 0, col: 0 });
  });

  it('sortedErrors: by line and column, in the order found within one spot', () => {
    const doc = new YamlDocument('a: 1\nb: 2\n', FILE);
    const f = doc.fields(doc.root(), '', { allowed: ['a', 'b'], notMap: 'x' });
    if (f === INVALID) assert.fail('expected a map');
    doc.report('BAD_VALUE', 'b', f.entries.get('b')?.value, 'second line');
    doc.report('BAD_VALUE', 'a', f.entries.get('a')?.value, 'first, found first');
    doc.report('BAD_TYPE', 'a', f.entries.get('a')?.value, 'first, found second');
    assert.deepEqual(
      doc.sortedErrors().map((e) => e.message),
      ['first, found first', 'first, found second', 'second line'],
    );
  });
});
