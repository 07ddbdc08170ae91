// Properties of the revocation parser, checked with fast-check (docs/architecture.md, "Dependencies": a
// failure shrinks to a minimal counter-example). Runs per property: MOSHWARDEN_FC_RUNS
// (test/unit/property-runs.ts); `npm run soak:props` runs 100000.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { Revocation } from '../../../src/core/types.js';
import {
  MAX_LINE_BYTES,
  parseRevocations,
  parseTarget,
  quoteReason,
  targetText,
  type ParsedRevocations,
} from '../../../src/revocation/parse.js';
import { fcParams } from '../property-runs.js';
import { anyBytes, anyText, concat, mutatedLine, printableText, splicedFile, validLine } from './arbitraries.js';
import { assertSaysExactly } from './oracle.js';

const enc = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const anyInput = fc.oneof(anyBytes, printableText, anyText, splicedFile);

/** Independently of the parser: is this complete line (without its \n) blank or a comment? */
function isIgnorable(line: Uint8Array): boolean {
  let body = line;
  if (body.length > 0 && body[body.length - 1] === 0x0d) body = body.subarray(0, body.length - 1);
  if (body.length > MAX_LINE_BYTES) return false;
  if (body.some((b) => (b < 0x20 && b !== 0x09) || b === 0x7f)) return false;
  let text: string;
  try {
    text = strictUtf8.decode(body);
  } catch {
    return false;
  }
  return /^\s*(#[^]*)?$/.test(text);
}

function splitLines(b: Uint8Array): { complete: Uint8Array[]; tail: number } {
  const complete: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x0a) {
      complete.push(b.subarray(start, i));
      start = i + 1;
    }
  }
  return { complete, tail: b.length - start };
}

function withNewline(line: Uint8Array | string): Uint8Array {
  return concat(typeof line === 'string' ? enc.encode(line) : line, enc.encode('\n'));
}

/** parseRevocations never throws; every complete line is an entry, an error or ignorable, by its own number. */
function checkInvariants(data: Uint8Array): ParsedRevocations {
  let p: ParsedRevocations;
  try {
    p = parseRevocations(data);
  } catch (e) {
    assert.fail(`parseRevocations threw ${String(e)}`);
  }
  const { complete, tail } = splitLines(data);
  assert.equal(p.pendingBytes, tail, 'pendingBytes');
  for (const [name, ls] of [
    ['entry', p.entries.map((e) => e.line)],
    ['error', p.errors.map((e) => e.line)],
  ] as const) {
    ls.forEach((l, i) => {
      assert.ok(
        Number.isInteger(l) && l >= 1 && l <= complete.length,
        `${name} line ${l} outside 1..${complete.length}`,
      );
      if (i > 0) assert.ok(l > ls[i - 1]!, `${name} lines not strictly increasing: ${ls.join(',')}`);
    });
  }
  const judged = new Map<number, string>();
  for (const e of p.entries) judged.set(e.line, 'entry');
  for (const e of p.errors) {
    assert.ok(!judged.has(e.line), `line ${e.line} is both an entry and an error`);
    assert.equal(typeof e.message, 'string');
    judged.set(e.line, 'error');
  }
  complete.forEach((line, i) => {
    assert.equal(!judged.has(i + 1), isIgnorable(line), `line ${i + 1}: ignored iff blank or a comment`);
  });
  return p;
}

/** The one entry of a single line, or null when the line is an error or ignorable. */
function entryOf(line: string): Revocation | null {
  const p = parseRevocations(withNewline(line));
  return p.entries.length === 1 ? p.entries[0]! : null;
}

describe('parseRevocations: properties (fast-check)', () => {
  test('any input: never throws, and every complete line is an entry, an error or ignorable, by its own number', () => {
    fc.assert(
      fc.property(anyInput, (data) => {
        checkInvariants(data);
      }),
      fcParams(),
    );
  });

  test('a line parsed alone gives the verdict it gets in the whole file', () => {
    fc.assert(
      fc.property(fc.oneof(printableText, splicedFile), (data) => {
        const whole = parseRevocations(data);
        splitLines(data).complete.forEach((line, j) => {
          const alone = parseRevocations(withNewline(line));
          const e = whole.entries.find((x) => x.line === j + 1);
          const err = whole.errors.find((x) => x.line === j + 1);
          assert.deepEqual(alone.entries, e ? [{ ...e, line: 1 }] : [], `line ${j + 1}`);
          assert.deepEqual(alone.errors, err ? [{ ...err, line: 1 }] : [], `line ${j + 1}`);
        });
      }),
      fcParams(),
    );
  });

  test('a valid line parses to exactly the entry written', () => {
    fc.assert(
      fc.property(validLine, (v) => {
        const p = parseRevocations(withNewline(v.text));
        assert.deepEqual(p, {
          entries: [{ target: v.target, line: 1, reason: v.reason, until: v.until }],
          errors: [],
          pendingBytes: 0,
        });
      }),
      fcParams(),
    );
  });

  test('an entry never covers more than its text says: mutated and partly valid lines are exact or errors', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          mutatedLine,
          validLine.map((v) => v.text),
        ),
        (line) => {
          const p = checkInvariants(withNewline(line));
          if (p.entries.length === 1) assertSaysExactly(line, p.entries[0]!);
        },
      ),
      fcParams(),
    );
  });

  test('parse → targetText/quoteReason → parse is the identity', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          validLine.map((v) => v.text),
          mutatedLine,
        ),
        (line) => {
          const e = entryOf(line);
          if (e === null) return;
          assert.deepEqual(parseTarget(targetText(e.target)), e.target);
          let text = targetText(e.target);
          if (e.reason !== null) {
            const q = quoteReason(e.reason);
            // A tab is allowed in a line but not in a reason `revoke` writes: the one way back that is refused.
            if (q === null) return assert.match(e.reason, /\t/, `quoteReason refused ${JSON.stringify(e.reason)}`);
            text += ` reason=${q}`;
          }
          if (e.until !== null) text += ` until=${new Date(e.until).toISOString()}`;
          assert.deepEqual(entryOf(text), e, `${JSON.stringify(line)} → ${JSON.stringify(text)}`);
        },
      ),
      fcParams(),
    );
  });

  test('appending valid lines never changes what a prefix said', () => {
    fc.assert(
      fc.property(anyInput, fc.boolean(), fc.array(validLine, { minLength: 1, maxLength: 5 }), (raw, cut, added) => {
        // Make the prefix end in a newline: cut after its last one, or add one.
        const last = raw.lastIndexOf(0x0a);
        const prefix = cut && last !== -1 ? raw.subarray(0, last + 1) : withNewline(raw);
        const before = parseRevocations(prefix);
        assert.equal(before.pendingBytes, 0);
        const lines = splitLines(prefix).complete.length;
        const after = parseRevocations(concat(prefix, enc.encode(added.map((a) => a.text + '\n').join(''))));
        assert.deepEqual(after.entries.slice(0, before.entries.length), before.entries);
        assert.deepEqual(after.errors, before.errors);
        assert.deepEqual(
          after.entries.slice(before.entries.length),
          added.map((a, k) => ({ target: a.target, line: lines + k + 1, reason: a.reason, until: a.until })),
        );
        assert.equal(after.pendingBytes, 0);
      }),
      fcParams(),
    );
  });
});
