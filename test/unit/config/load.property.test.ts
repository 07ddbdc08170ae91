// Properties of the config loader, checked with fast-check (docs/architecture.md, "Dependencies": a
// failure shrinks to a minimal counter-example): whatever the text, parseConfig returns a frozen policy or
// typed errors (it never throws), and every error points at a line and column inside the text.
// Runs per property: MOSHWARDEN_FC_RUNS (test/unit/property-runs.ts); `npm run soak:props` runs 100000.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { stringify } from 'yaml';
import type { ConfigErrorCode } from '../../../src/config/errors.js';
import { parseConfig } from '../../../src/config/load.js';
import { fcParams } from '../property-runs.js';
import { CONTRACT_KEYS } from './keys.js';

const FILE = 'prop.yaml';
const EXAMPLE = readFileSync(fileURLToPath(new URL('../../../../config.example.yaml', import.meta.url)), 'utf8');

/** Every code a text can produce (READ_FAILED belongs to loadConfigFile: it is about the file, not the text). */
const CODES: readonly ConfigErrorCode[] = [
  'YAML_SYNTAX',
  'DUPLICATE_KEY',
  'UNKNOWN_KEY',
  'MISSING_KEY',
  'BAD_TYPE',
  'BAD_DURATION',
  'BAD_VALUE',
  'BAD_PATH',
  'BAD_NAME',
  'MISSING_SELECTOR',
  'BAD_CRON',
  'BAD_TIMEZONE',
];

/** A config rejected or accepted, never a throw; each error typed and pointing into the text. */
function checkResult(text: string): void {
  let r: ReturnType<typeof parseConfig>;
  try {
    r = parseConfig(text, FILE);
  } catch (e) {
    assert.fail(`parseConfig threw ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
  if (r.ok) {
    assert.ok(Object.isFrozen(r.policy) && Object.isFrozen(r.policy.defaults) && Object.isFrozen(r.policy.rules));
    return;
  }
  assert.ok(r.errors.length > 0, 'rejected without an error');
  // Lines end at \n (a lone \r is not a line break to yaml); columns count UTF-16 units, as yaml does.
  const lines = text.split('\n');
  const starts = [0];
  for (const l of lines) starts.push(starts[starts.length - 1]! + l.length + 1);
  const fold = (k: string) => k.replace(/\s+/g, ' ').trim();
  for (const e of r.errors) {
    const where = `${e.code} at ${e.line}:${e.col} (${e.key}): ${e.message}`;
    assert.ok(CODES.includes(e.code), `unknown code: ${where}`);
    assert.equal(e.file, FILE);
    assert.equal(typeof e.message, 'string');
    assert.ok(e.message.length > 0, where);
    assert.ok(
      Number.isInteger(e.line) && e.line >= 1 && e.line <= lines.length,
      `line outside 1..${lines.length}: ${where}`,
    );
    const len = lines[e.line - 1]!.length;
    assert.ok(Number.isInteger(e.col) && e.col >= 1 && e.col <= len + 1, `col outside 1..${len + 1}: ${where}`);
    // The value is quoted from the text at that very spot (blanks folded, a long one cut with "...").
    const at = text
      .slice(starts[e.line - 1]! + e.col - 1)
      .replace(/\s+/g, ' ')
      .trimStart();
    if (e.value !== null)
      assert.ok(at.startsWith(e.value.replace(/\.\.\.$/, '')), `value not at ${e.line}:${e.col}: ${where}`);
    // An unknown or duplicate key is reported where that key is written (unless it is quoted or a block
    // scalar): its path
    // is the parent's path, a dot, then the key as written.
    if ((e.code === 'UNKNOWN_KEY' || e.code === 'DUPLICATE_KEY') && !/^["'|>]/.test(at)) {
      const suffixes = [e.key, ...[...e.key.matchAll(/\./g)].map((m) => e.key.slice(m.index + 1))].map(fold);
      assert.ok(
        suffixes.some((k) => at.startsWith(k)), // an empty or blank key matches anywhere: nothing to check
        `the key is not at ${e.line}:${e.col}: ${where}`,
      );
    }
    // yaml names the scalar it choked on: it is at the reported spot.
    const token = /^Unexpected scalar token in YAML stream: "(.*)"$/s.exec(e.message)?.[1];
    if (token !== undefined)
      assert.ok(at.startsWith(fold(JSON.parse(`"${token}"`) as string)), `token not at the spot: ${where}`);
  }
}

/** Characters YAML gives meaning to, and some it does not. */
const YAML_CHARS = Array.from('abcdefghijklmnopqrstuvwxyz_019 :-#\'"[]{},&*!|>%@`?\\\n\n\n\t\r~.é☕𝄞\ufeff\u2028');
/** Pieces of YAML syntax, so that random text is often almost a config. */
const YAML_TOKENS = [
  ': ',
  ':',
  '\n',
  '\n  ',
  '\n    ',
  '- ',
  '~',
  'null',
  '[',
  ']',
  '{',
  '}',
  ', ',
  '"',
  "'",
  '&a ',
  '*a',
  '!!str ',
  '? ',
  '<<: ',
  '|\n',
  '---\n',
  '...\n',
  '# c\n',
];
const KEYS = [...CONTRACT_KEYS, 'fleet', 'idle-timeout', 'Grace', '', '<<'];
const SCALARS = [
  '5s',
  '30m',
  '1h30m',
  'off',
  '0s',
  '1.5m',
  '30',
  'true',
  'false',
  'yes',
  'null',
  '~',
  '/etc/moshwarden/revoked',
  'relative/path',
  '0 3 * * *',
  '61 * * * *',
  'Europe/Berlin',
  'Mars/Olympus',
  'detached',
  'all',
  'info',
  'loud',
  'mw-alice',
  '-opt',
  'a b',
];

type Tree = string | number | boolean | null | Tree[] | { [k: string]: Tree };

/** Trees of maps with (mostly) the config's own keys, lists and scalars of every kind. */
const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<Tree>(...SCALARS),
    fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 20 })),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })), tie('node'), { maxKeys: 6 }),
  ),
})).node;

/** The same tree written by yaml in one of its styles (block, flow, quoted), with anchors and aliases where shared. */
const yamlText = fc
  .tuple(
    tree,
    fc.constantFrom<'block' | 'flow'>('block', 'flow'),
    fc.constantFrom('PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE'),
  )
  .map(([t, style, scalar]) =>
    stringify(t, {
      collectionStyle: style,
      defaultStringType: scalar as 'PLAIN',
      defaultKeyType: 'PLAIN',
    }),
  );

/** Valid files, then lines deleted, duplicated, swapped or re-indented, and characters inserted. */
const VALID = [
  EXAMPLE,
  EXAMPLE.replace(/^#( {2}.*)$/gm, '$1').replace(/^( +)# ((?:audit_file|textfile): .*)$/gm, '$1$2'),
  'rules:\n  - users: [a, "b"]\n    groups: [g]\n    idle_timeout: 10m\nschedules:\n  - cron: "0 3 * * *"\n    terminate: all\n',
  'defaults: &d\n  grace: 5s\nlog: {level: debug}\n',
];
const edit = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), to: fc.nat() }),
  fc.record({ kind: fc.constant('indent' as const), at: fc.nat(), by: fc.integer({ min: -3, max: 3 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    col: fc.nat(),
    text: fc.string({ unit: fc.constantFrom(...YAML_CHARS), minLength: 1, maxLength: 3 }),
  }),
);
/** Each line kept, mostly; shrinking drops lines, so a counter-example is as short as it can be. */
const keep = fc.integer({ min: 0, max: 19 }).map((n) => n !== 0);
const VALID_LINES = VALID.map((f) => f.split('\n'));
const MOST_LINES = Math.max(...VALID_LINES.map((l) => l.length));
const mutatedFile = fc
  .tuple(
    fc.nat({ max: VALID.length - 1 }),
    fc.array(keep, { minLength: MOST_LINES, maxLength: MOST_LINES }),
    fc.array(edit, { minLength: 1, maxLength: 5 }),
  )
  .map(([which, k, edits]) => [VALID_LINES[which]!.filter((_, i) => k[i]), edits] as const)
  .map(([kept, edits]) => {
    const lines = kept.length > 0 ? [...kept] : [''];
    for (const e of edits) {
      const i = e.at % lines.length;
      const line = lines[i]!;
      if (e.kind === 'delete' && lines.length > 1) lines.splice(i, 1);
      else if (e.kind === 'duplicate') lines.splice(i, 0, line);
      else if (e.kind === 'swap') {
        const j = e.to % lines.length;
        [lines[i], lines[j]] = [lines[j]!, line];
      } else if (e.kind === 'indent') lines[i] = e.by >= 0 ? ' '.repeat(e.by) + line : line.slice(-e.by);
      else if (e.kind === 'insert') {
        const c = e.col % (line.length + 1);
        lines[i] = line.slice(0, c) + e.text + line.slice(c);
      }
    }
    return lines.join('\n');
  });

describe('parseConfig: properties (fast-check)', () => {
  test('arbitrary text: never throws; errors are typed and point into the text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.string({ unit: fc.constantFrom(...YAML_CHARS), maxLength: 300 }),
          fc.string({
            unit: fc.oneof(fc.constantFrom(...YAML_TOKENS, ...KEYS, ...SCALARS), fc.constantFrom(...YAML_CHARS)),
            maxLength: 60,
          }),
        ),
        checkResult,
      ),
      fcParams(),
    );
  });

  test('YAML-shaped trees of config keys: never throws; errors are typed and point into the text', () => {
    fc.assert(fc.property(yamlText, checkResult), fcParams());
  });

  test('mutated valid files: never throws; errors are typed and point into the text', () => {
    fc.assert(fc.property(mutatedFile, checkResult), fcParams());
  });
});
