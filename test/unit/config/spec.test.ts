import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INVALID, YamlDocument, type Read } from '../../../src/config/reader.js';
import {
  fixed,
  ifWritten,
  inline,
  items,
  map,
  optional,
  required,
  section,
  writtenOnly,
  type MapSpec,
  type Shape,
} from '../../../src/config/spec.js';
import { bool, durationOrOff, names, oneOf } from '../../../src/config/values.js';

// A toy schema, unrelated to moshwarden's keys: what the building blocks do on their own.
interface Knobs {
  speedMs: number | null;
  loud: boolean;
}
interface Toy {
  name: 'a' | 'b';
  knobs: Knobs;
  tags: string[];
  jobs: Array<{ index: number; who: string[]; tweaks: Partial<Knobs>; kind: 'job' }>;
}

const KNOBS: Shape<Knobs> = {
  speedMs: optional('speed', durationOrOff, 5_000),
  loud: optional('loud', bool, false),
};

const TOY: MapSpec<Toy> = map<Toy>(
  {
    name: required('name', oneOf(['a', 'b'] as const), 'a toy needs a name'),
    knobs: section('knobs', KNOBS, { hints: { who: 'who belongs in a job' } }),
    tags: optional('tags', names('user'), []),
    jobs: items(
      'jobs',
      map(
        { who: optional('who', names('user'), []), tweaks: inline(writtenOnly(KNOBS)), kind: fixed('job' as const) },
        {
          notMap: 'a job must be a map',
          check: ({ who }, has) =>
            who !== INVALID && who.length === 0
              ? { code: 'MISSING_SELECTOR', message: has('who') ? 'who is empty' : 'a job needs who:' }
              : undefined,
        },
      ),
      'a list of jobs',
    ),
  },
  { notMap: 'a toy must be a map', emptyOk: true },
);

function read(text: string): { value: Read<Toy>; errors: string[] } {
  const doc = new YamlDocument(text, 't.yaml');
  const value = TOY.read(doc, doc.root(), '');
  return { value, errors: doc.sortedErrors().map((e) => `${e.line}:${e.col} ${e.code} ${e.key}: ${e.message}`) };
}

describe('spec: reading a declared map', () => {
  it('fills every absent key from its declaration and reads the written ones', () => {
    assert.deepEqual(read('name: b\nknobs:\n  loud: true\n'), {
      value: { name: 'b', knobs: { speedMs: 5_000, loud: true }, tags: [], jobs: [] },
      errors: [],
    });
  });

  it('lists the allowed keys in declaration order, inline keys in place; hints replace the suggestion', () => {
    assert.deepEqual(read('name: a\nbogus: 1\njobs:\n  - who: [x]\n    nope: 1\nknobs:\n  who: [x]\n').errors, [
      '2:1 UNKNOWN_KEY bogus: unknown key; allowed here: name, knobs, tags, jobs',
      '5:5 UNKNOWN_KEY jobs[0].nope: unknown key; allowed here: who, speed, loud',
      '7:3 UNKNOWN_KEY knobs.who: who belongs in a job',
    ]);
  });

  it('reports a required key at its map; valueless keys of a flow map right after the key', () => {
    // `{loud, speed}` reads like `loud:` and `speed:` (they used to be reported at 0:0).
    assert.deepEqual(read('knobs: {loud, speed}\n').errors, [
      '1:1 MISSING_KEY name: a toy needs a name',
      '1:13 BAD_TYPE knobs.loud: expected true or false, not an empty value',
      '1:20 BAD_TYPE knobs.speed: empty value; expected a duration like 30m or 1h30m, or off (remove the key to get the default)',
    ]);
  });

  it('numbers list items, keeps only the written inline keys, and fills fixed entries', () => {
    const r = read('name: a\njobs:\n  - who: [x]\n  - who: [y]\n    speed: off\n');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.value === INVALID ? null : r.value.jobs, [
      { index: 0, who: ['x'], tweaks: {}, kind: 'job' },
      { index: 1, who: ['y'], tweaks: { speedMs: null }, kind: 'job' },
    ]);
  });

  it('runs the cross-key check even when another key is invalid', () => {
    assert.deepEqual(read('name: a\njobs:\n  - loud: maybe\n  - who: []\n  - 7\n').errors, [
      '3:5 MISSING_SELECTOR jobs[0]: a job needs who:',
      '3:11 BAD_TYPE jobs[0].loud: expected true or false, not a string',
      '4:5 MISSING_SELECTOR jobs[1]: who is empty',
      '5:5 BAD_TYPE jobs[2]: a job must be a map, not a number',
    ]);
  });

  it('takes an empty value as a map without keys only where allowed', () => {
    assert.equal(read('~\n').errors[0], '1:1 MISSING_KEY name: a toy needs a name');
    assert.deepEqual(read('name: a\nknobs:\n').value, {
      name: 'a',
      knobs: { speedMs: 5_000, loud: false },
      tags: [],
      jobs: [],
    });
    assert.deepEqual(read('name: a\njobs:\n  -\n').errors, [
      '3:4 BAD_TYPE jobs[0]: a job must be a map, not an empty value',
    ]);
  });
});

describe('spec: defaults come from the same declarations', () => {
  const KNOB_MAP = map(KNOBS);

  it('defaults() is what an empty map reads as', () => {
    const doc = new YamlDocument('{}\n', 't.yaml');
    assert.deepEqual(KNOB_MAP.defaults(), KNOB_MAP.read(doc, doc.root(), ''));
    assert.deepEqual(KNOB_MAP.defaults(), { speedMs: 5_000, loud: false });
  });

  it('gives a fresh copy of every default, each time', () => {
    const spec = map({ tags: optional('tags', names('user'), ['root']), f: fixed({ n: 1 }) });
    const a = spec.defaults();
    a.tags.push('changed');
    a.f.n = 2;
    assert.deepEqual(spec.defaults(), { tags: ['root'], f: { n: 1 } });
  });

  it('leaves out a key without a default, and refuses to invent a required one', () => {
    assert.deepEqual(map({ x: ifWritten('x', bool) }).defaults(), {});
    assert.throws(() => TOY.defaults(), /name is required/);
  });
});
