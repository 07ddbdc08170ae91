// fast-check generators for revocation files (not a test file: it holds no tests). Valid lines are built
// from the format in docs/contract.md ("Revocation file") together with the entry they must parse to; the
// rest is junk made to tear lines in the places the parser cares about.
import fc from 'fast-check';
import type { RevocationTarget } from '../../../src/core/types.js';
import { MAX_LINE_BYTES, quoteReason } from '../../../src/revocation/parse.js';

const enc = new TextEncoder();

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** A valid line (without its newline) and the entry it must parse to (its line number left to the caller). */
export interface ValidLine {
  text: string;
  target: RevocationTarget;
  reason: string | null;
  until: number | null;
}

/** Bytes the parser treats specially, over-represented: newline, CR, blanks, #, quote, backslash, =, :, NUL, broken UTF-8. */
const SPECIAL = [0x0a, 0x0a, 0x0d, 0x20, 0x09, 0x23, 0x22, 0x5c, 0x3d, 0x3a, 0x00, 0xff, 0xc3, 0xa9, 0x80, 0xed];
const byte = fc.oneof(fc.constantFrom(...SPECIAL), fc.integer({ min: 0, max: 255 }));
export const anyBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 19, arbitrary: fc.array(byte, { maxLength: 300 }).map((b) => Uint8Array.from(b)) },
  { weight: 1, arbitrary: fc.array(byte, { minLength: 300, maxLength: 5000 }).map((b) => Uint8Array.from(b)) },
);

const PRINTABLE = Array.from(
  'abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-_.@$:/= \t#"\\\n\n\n\r+Zé☕𝄞\u00a0\u2028\ufeff',
);
/** Text from the characters revocation lines are made of. */
export const printableText: fc.Arbitrary<Uint8Array> = fc
  .string({ unit: fc.constantFrom(...PRINTABLE), maxLength: 400 })
  .map((s) => enc.encode(s));
/** Any code points at all (control characters, astral planes), UTF-8 encoded. */
export const anyText: fc.Arbitrary<Uint8Array> = fc
  .string({ unit: 'binary', maxLength: 200 })
  .map((s) => enc.encode(s));

const NAMES = ['mw-alice', 'mw-bob', 'alice@example.com', 'host01$', '_svc.backup', 'x'];
const name = fc.oneof(fc.constantFrom(...NAMES), fc.stringMatching(/^[A-Za-z0-9_.][A-Za-z0-9_.@-]{0,30}\$?$/));

function hex4(n: number, upper: boolean): string {
  const s = n.toString(16);
  return upper ? s.toUpperCase() : s;
}

/** A CIDR range with host bits cleared, written in one of its valid forms, and the bytes it stands for. */
const cidr: fc.Arbitrary<{ text: string; bytes: number[]; prefix: number }> = fc.oneof(
  fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
      fc.integer({ min: 0, max: 32 }),
      fc.boolean(),
    )
    .map(([b, prefix, bare]) => {
      const bytes = mask(b, prefix);
      const addr = bytes.join('.');
      return prefix === 32 && bare ? { text: addr, bytes, prefix } : { text: `${addr}/${prefix}`, bytes, prefix };
    }),
  fc
    .tuple(
      fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 255 })), { minLength: 16, maxLength: 16 }),
      fc.integer({ min: 0, max: 128 }),
      fc.boolean(),
      fc.boolean(),
      fc.boolean(),
    )
    .map(([b, prefix, bare, upper, compress]) => {
      const bytes = mask(b, prefix);
      const groups = Array.from({ length: 8 }, (_, i) => hex4(bytes[2 * i]! * 256 + bytes[2 * i + 1]!, upper));
      let addr = groups.join(':');
      if (compress) {
        // The first run of zero groups becomes ::.
        const m = /(^|:)0(:0)*(:|$)/.exec(addr);
        if (m) addr = `${addr.slice(0, m.index)}::${addr.slice(m.index + m[0].length)}`;
      }
      const text = prefix === 128 && bare ? addr : `${addr}/${prefix}`;
      // ::ffff:a.b.c.d/N (N >= 96) names IPv4 addresses and is kept as the IPv4 range (core/cidr.ts).
      const mapped = bytes.slice(0, 10).every((x) => x === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
      return mapped && prefix >= 96 ? { text, bytes: bytes.slice(12), prefix: prefix - 96 } : { text, bytes, prefix };
    }),
);

function mask(b: number[], prefix: number): number[] {
  return b.map((x, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    return x & ((0xff00 >> keep) & 0xff);
  });
}

type Written = { text: string; target: RevocationTarget };
const target: fc.Arbitrary<Written> = fc.oneof(
  fc
    .tuple(name, fc.boolean())
    .map(([n, bare]) => ({ text: bare ? n : `user:${n}`, target: { kind: 'user', name: n } }) as Written),
  fc
    .oneof(fc.integer({ min: 0, max: 70000 }), fc.integer({ min: 0, max: 4294967294 }))
    .map((n) => ({ text: `uid:${n}`, target: { kind: 'uid', uid: n } }) as Written),
  name.map((n) => ({ text: `group:${n}`, target: { kind: 'group', name: n } }) as Written),
  cidr.map((c): Written => ({
    text: `from:${c.text}`,
    target: { kind: 'from', cidr: { bytes: Uint8Array.from(c.bytes), prefix: c.prefix }, text: c.text },
  })),
);

const REASON_CHARS = Array.from('abc XYZ 019 "\\ #=:\'-é☕𝄞\u00a0');
const reasonText = fc.string({
  unit: fc.oneof(fc.constantFrom(...REASON_CHARS), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })),
  maxLength: 30,
});
/** A reason, quoted, or as a bare word when it can be one. */
const reason = fc.oneof(
  reasonText.map((r) => ({ text: quoteReason(r)!, value: r })),
  fc.stringMatching(/^[A-Za-z0-9_.:#=-]{1,20}$/).map((r) => ({ text: r, value: r })),
);

/** An instant and one of the ways to write it: Z or an offset, minutes only, 0 to 9 fraction digits. */
const until = fc
  .tuple(
    fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(9998, 11, 31) }),
    fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
    fc.constantFrom('Z', 'offset', 'minutes'),
    fc.integer({ min: 0, max: 9 }),
    fc.stringMatching(/^[0-9]{6}$/),
  )
  .map(([ms0, offMin, form, digits, extra]) => {
    // Fewer than 3 fraction digits cannot hold every millisecond: round the instant to what they can.
    const ms = digits >= 3 ? ms0 : ms0 - (ms0 % 10 ** (3 - digits));
    const off = form === 'offset' ? offMin : 0;
    const wall = new Date(ms + off * 60_000).toISOString(); // yyyy-mm-ddThh:mm:ss.sssZ
    const frac = (wall.slice(20, 23) + extra).slice(0, digits);
    const zone =
      off === 0 && form !== 'offset'
        ? 'Z'
        : `${off < 0 ? '-' : '+'}${String(Math.floor(Math.abs(off) / 60)).padStart(2, '0')}:${String(Math.abs(off) % 60).padStart(2, '0')}`;
    if (form === 'minutes') {
      const whole = ms - (ms % 60_000);
      return { text: `${new Date(whole).toISOString().slice(0, 16)}Z`, value: whole };
    }
    return { text: `${wall.slice(0, 19)}${digits > 0 ? `.${frac}` : ''}${zone}`, value: ms };
  });

const ws = fc.constantFrom(' ', '\t', '  ', ' \t ');
const comment = fc.constantFrom('# note', '#', '# reason="x"', '#"unbalanced', '# until=2020-01-01T00:00:00Z');

export const validLine: fc.Arbitrary<ValidLine> = fc
  .record({
    target,
    reason: fc.option(reason),
    until: fc.option(until),
    reversed: fc.boolean(),
    seps: fc.array(ws, { minLength: 3, maxLength: 3 }),
    comment: fc.option(comment),
    lead: fc.option(ws),
    cr: fc.boolean(),
  })
  .map((r) => {
    const fields = [...(r.reason ? [`reason=${r.reason.text}`] : []), ...(r.until ? [`until=${r.until.text}`] : [])];
    if (r.reversed) fields.reverse();
    let text = (r.lead ?? '') + r.target.text;
    fields.forEach((f, i) => (text += r.seps[i]! + f));
    if (r.comment !== null) text += r.seps[2]! + r.comment;
    if (r.cr) text += '\r';
    return { text, target: r.target.target, reason: r.reason?.value ?? null, until: r.until?.value ?? null };
  });

const JUNK = [
  'host:x',
  'uid:01',
  '"',
  'reason="',
  '#',
  '',
  '   ',
  'from:10.0.0.5/8',
  'from:10.0.0.0/8x',
  'mw alice',
  '\u0000',
  'x'.repeat(MAX_LINE_BYTES + 3),
  'until=2026-02-30T00:00:00Z',
  'é',
];

/** Valid lines and junk, then cut and pasted: bytes deleted and inserted at arbitrary places. */
export const splicedFile: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.array(
      fc.tuple(
        fc.oneof(
          validLine.map((v) => v.text),
          fc.constantFrom(...JUNK),
        ),
        fc.boolean(),
      ),
      {
        minLength: 1,
        maxLength: 15,
      },
    ),
    fc.array(fc.record({ at: fc.nat(), del: fc.nat({ max: 10 }), ins: fc.uint8Array({ maxLength: 4 }) }), {
      maxLength: 8,
    }),
  )
  .map(([lines, edits]) => {
    let b: Uint8Array = enc.encode(lines.map(([l, nl]) => l + (nl ? '\n' : '')).join(''));
    for (const e of edits) {
      const at = e.at % (b.length + 1);
      b = concat(b.subarray(0, at), e.ins, b.subarray(Math.min(b.length, at + e.del)));
    }
    return b;
  });

/** Characters that change what a line means when they land in it. */
const MEANINGFUL = Array.from(' \t#"\\=:/.x0Z+-@$\u00a0é');
/** A valid line, then a few characters inserted, deleted or replaced; or junk glued onto its target. */
export const mutatedLine: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      validLine,
      fc.array(
        fc.record({
          at: fc.nat(),
          del: fc.nat({ max: 3 }),
          ins: fc.string({ unit: fc.constantFrom(...MEANINGFUL), maxLength: 2 }),
        }),
        {
          minLength: 1,
          maxLength: 3,
        },
      ),
    )
    .map(([v, edits]) => {
      // By code point, so that a surrogate pair is never split into text UTF-8 cannot carry.
      let s = Array.from(v.text);
      for (const e of edits) {
        const at = e.at % (s.length + 1);
        s = [...s.slice(0, at), ...e.ins, ...s.slice(at + e.del)];
      }
      return s.join('');
    }),
  fc
    .tuple(
      validLine,
      fc.string({ unit: fc.constantFrom(...MEANINGFUL.filter((c) => c.trim() !== '')), minLength: 1, maxLength: 3 }),
    )
    .map(([v, junk]) => {
      const body = v.text.trimStart();
      const end = body.search(/[ \t\r]|$/);
      return body.slice(0, end) + junk + body.slice(end);
    }),
);
