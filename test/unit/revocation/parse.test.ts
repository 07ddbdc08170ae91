import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Revocation, RevocationTarget } from '../../../src/core/types.js';
import {
  MAX_LINE_BYTES,
  parseInstant,
  parseRevocations,
  parseTarget,
  quoteReason,
  targetText,
  type ParsedRevocations,
} from '../../../src/revocation/parse.js';

const enc = new TextEncoder();
const bytes = (...parts: (string | number[])[]): Uint8Array => {
  const chunks = parts.map((p) => (typeof p === 'string' ? enc.encode(p) : Uint8Array.from(p)));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
};

const user = (name: string): RevocationTarget => ({ kind: 'user', name });
const group = (name: string): RevocationTarget => ({ kind: 'group', name });
const uid = (n: number): RevocationTarget => ({ kind: 'uid', uid: n });
const from = (text: string, b: number[], prefix: number): RevocationTarget => ({
  kind: 'from',
  cidr: { bytes: Uint8Array.from(b), prefix },
  text,
});
const entry = (
  target: RevocationTarget,
  line: number,
  reason: string | null = null,
  until: number | null = null,
): Revocation => ({ target, line, reason, until });

/** The single line's outcome: the entry, or the error message. */
function one(line: string): Revocation | string {
  const p = parseRevocations(line + '\n');
  assert.equal(
    p.entries.length + p.errors.length,
    1,
    `expected exactly one entry or error for ${JSON.stringify(line)}, got ${JSON.stringify(p)}`,
  );
  assert.equal(p.pendingBytes, 0);
  if (p.errors.length === 1) {
    assert.equal(p.errors[0]!.line, 1);
    return p.errors[0]!.message;
  }
  return p.entries[0]!;
}

function errorOf(line: string | Uint8Array): string {
  const data = typeof line === 'string' ? line + '\n' : bytes(Array.from(line), '\n');
  const p = parseRevocations(data);
  assert.equal(
    p.entries.length,
    0,
    `expected no entry for ${JSON.stringify(typeof line === 'string' ? line : Array.from(line))}`,
  );
  assert.equal(
    p.errors.length,
    1,
    `expected one error for ${JSON.stringify(typeof line === 'string' ? line : Array.from(line))}`,
  );
  assert.equal(p.errors[0]!.line, 1);
  return p.errors[0]!.message;
}

const DEC_1_2026 = 1796083200000; // 2026-12-01T00:00:00Z

describe('parseRevocations: targets', () => {
  test('the example from the contract, line by line', () => {
    const file = [
      'mw-alice                                   # a user name; same as user:mw-alice',
      'user:mw-alice   reason="offboarding OPS-12"',
      'uid:1005',
      'group:contractors   until=2026-12-01T00:00:00Z',
      'from:203.0.113.0/24                        # sessions whose client or ssh origin is in this range',
      '',
    ].join('\n');
    assert.deepEqual(parseRevocations(file), {
      entries: [
        entry(user('mw-alice'), 1),
        entry(user('mw-alice'), 2, 'offboarding OPS-12'),
        entry(uid(1005), 3),
        entry(group('contractors'), 4, null, DEC_1_2026),
        entry(from('203.0.113.0/24', [203, 0, 113, 0], 24), 5),
      ],
      errors: [],
      pendingBytes: 0,
    } satisfies ParsedRevocations);
  });

  test('bare name is a user; names with @, . and a trailing $ are fine', () => {
    assert.deepEqual(one('mw-alice'), entry(user('mw-alice'), 1));
    assert.deepEqual(one('alice@example.com'), entry(user('alice@example.com'), 1));
    assert.deepEqual(one('user:host01$'), entry(user('host01$'), 1));
    assert.deepEqual(one('_svc.backup'), entry(user('_svc.backup'), 1));
    assert.deepEqual(one('group:ops-team'), entry(group('ops-team'), 1));
    assert.deepEqual(one('user:' + 'a'.repeat(256)), entry(user('a'.repeat(256)), 1));
  });

  test('uid: range and form', () => {
    assert.deepEqual(one('uid:0'), entry(uid(0), 1));
    assert.deepEqual(one('uid:1005'), entry(uid(1005), 1));
    assert.deepEqual(one('uid:4294967294'), entry(uid(4294967294), 1));
  });

  test('from: IPv4 and IPv6, ranges and bare addresses', () => {
    assert.deepEqual(one('from:203.0.113.0/24'), entry(from('203.0.113.0/24', [203, 0, 113, 0], 24), 1));
    assert.deepEqual(one('from:198.51.100.7'), entry(from('198.51.100.7', [198, 51, 100, 7], 32), 1));
    assert.deepEqual(one('from:0.0.0.0/0'), entry(from('0.0.0.0/0', [0, 0, 0, 0], 0), 1));
    assert.deepEqual(
      one('from:2001:db8::/32'),
      entry(from('2001:db8::/32', [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 32), 1),
    );
    assert.deepEqual(
      one('from:2001:db8::9'),
      entry(from('2001:db8::9', [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9], 128), 1),
    );
    assert.deepEqual(one('from:::1'), entry(from('::1', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128), 1));
  });

  test('errors for bad targets name the problem', () => {
    assert.match(errorOf('host:web1'), /^unknown target "host:"/);
    assert.match(errorOf('User:mw-alice'), /^unknown target "User:"/);
    assert.match(errorOf(':mw-alice'), /^unknown target ":"/);
    assert.equal(errorOf('user:'), 'not a valid user name: ""');
    assert.equal(errorOf('user:-bob'), 'not a valid user name: "-bob"');
    assert.equal(errorOf('-bob'), 'not a valid user name: "-bob"');
    assert.equal(errorOf('user:a:b'), 'not a valid user name: "a:b"');
    assert.equal(errorOf('group:al/ice'), 'not a valid group name: "al/ice"');
    assert.equal(errorOf('group:'), 'not a valid group name: ""');
    assert.equal(errorOf('user:a$b'), 'not a valid user name: "a$b"');
    assert.match(errorOf('user:' + 'a'.repeat(257)), /^not a valid user name/);
    assert.equal(errorOf('user:café'), 'not a valid user name: "café"');
  });

  test('uid errors: out of range, leading zeros, not a number', () => {
    for (const bad of ['4294967295', '99999999999', '01', '00', '-1', '', '1e3', '0x10', '1.0', '+5', '５']) {
      assert.equal(one(`uid:${bad}`), `not a valid uid: "${bad}"`, bad);
    }
    // A space ends the target: what follows is neither a uid nor a field.
    assert.match(errorOf('uid: 5'), /^unexpected text "5"/);
  });

  test('from errors: host bits, bad prefix, not an address', () => {
    assert.equal(errorOf('from:10.0.0.5/8'), 'from: host bits set in 10.0.0.5/8');
    assert.equal(errorOf('from:203.0.113.1/24'), 'from: host bits set in 203.0.113.1/24');
    assert.equal(errorOf('from:2001:db8::1/64'), 'from: host bits set in 2001:db8::1/64');
    assert.equal(errorOf('from:1.2.3.0/33'), 'from: bad prefix length /33');
    assert.equal(errorOf('from:2001:db8::/129'), 'from: bad prefix length /129');
    assert.equal(errorOf('from:1.2.3.0/024'), 'from: bad prefix length /024');
    assert.equal(errorOf('from:300.1.1.1'), 'from: not an IPv4 or IPv6 address: 300.1.1.1');
    assert.equal(errorOf('from:example.com'), 'from: not an IPv4 or IPv6 address: example.com');
    assert.equal(errorOf('from:'), 'from: not an IPv4 or IPv6 address: ');
  });
});

describe('parseRevocations: fields', () => {
  test('reason= quoted with escaped quotes and backslashes, or a bare word', () => {
    assert.equal(
      (one('mw-alice reason="say \\"hi\\" from C:\\\\tmp\\\\"') as Revocation).reason,
      'say "hi" from C:\\tmp\\',
    );
    assert.equal((one('mw-alice reason=""') as Revocation).reason, '');
    assert.equal((one('mw-alice reason=OPS-12') as Revocation).reason, 'OPS-12');
    // A backslash before anything else is kept as it is.
    assert.equal((one('mw-alice reason="a\\nb"') as Revocation).reason, 'a\\nb');
    assert.equal((one('mw-alice reason="café ☕ # not a comment"') as Revocation).reason, 'café ☕ # not a comment');
    assert.equal((one('mw-alice\treason="tabs\tinside"\t# and a comment') as Revocation).reason, 'tabs\tinside');
  });

  test('until= with Z and with offsets gives exact epoch ms', () => {
    const cases: [string, number][] = [
      ['2026-12-01T00:00:00Z', DEC_1_2026],
      ['2026-12-01T00:00Z', DEC_1_2026],
      ['2026-12-01T05:30:00+05:30', DEC_1_2026],
      ['2026-11-30T19:00:00-05:00', DEC_1_2026],
      ['2026-12-01T00:00:00+00:00', DEC_1_2026],
      ['2026-12-01T00:00:00-00:00', DEC_1_2026],
      ['2026-12-01T00:00:00.5Z', DEC_1_2026 + 500],
      ['2026-12-01T00:00:00.123456789Z', DEC_1_2026 + 123],
      ['2024-02-29T12:34:56.789Z', 1709210096789],
      ['2024-02-29T23:59:59.999-12:00', 1709294399999],
    ];
    for (const [text, ms] of cases) {
      assert.deepEqual(one(`group:contractors until=${text}`), entry(group('contractors'), 1, null, ms), text);
    }
  });

  test('both fields in either order, plus a trailing comment', () => {
    const want = entry(user('mw-bob'), 1, 'left', DEC_1_2026);
    assert.deepEqual(one('user:mw-bob reason="left" until=2026-12-01T00:00:00Z # OPS-7'), want);
    assert.deepEqual(one('  user:mw-bob   until=2026-12-01T00:00:00Z\treason="left"\t#OPS-7'), want);
    assert.deepEqual(one('mw-bob # reason="not a field"'), entry(user('mw-bob'), 1));
  });

  test('field errors', () => {
    assert.equal(
      errorOf('mw-alice until=2026-12-01T00:00:00'),
      'until=2026-12-01T00:00:00 is not an ISO-8601 time with a zone, like 2026-12-01T00:00:00Z',
    );
    assert.match(
      errorOf('mw-alice until=2026-02-30T00:00:00Z'),
      /^until=2026-02-30T00:00:00Z is not an ISO-8601 time with a zone/,
    );
    assert.match(errorOf('mw-alice until=tomorrow'), /^until=tomorrow is not an ISO-8601 time/);
    assert.match(errorOf('mw-alice until=2026-12-01'), /^until=2026-12-01 is not/);
    assert.equal(errorOf('mw-alice colour=red'), 'unknown field colour= (known: reason=, until=)');
    assert.equal(errorOf('mw-alice reason="a" reason="b"'), 'reason= given twice');
    assert.equal(errorOf('mw-alice until=2026-12-01T00:00:00Z until=2027-12-01T00:00:00Z'), 'until= given twice');
    assert.equal(errorOf('mw-alice reason="never closed'), 'reason= has an unterminated quote');
    assert.equal(errorOf('mw-alice reason="escaped at the end\\"'), 'reason= has an unterminated quote');
    assert.equal(errorOf('mw-alice reason="x"y'), 'reason= has text right after its closing quote');
    assert.equal(errorOf('mw-alice reason="x"#c'), 'reason= has text right after its closing quote');
    assert.equal(errorOf('mw-alice reason='), 'reason= has no value');
    assert.equal(errorOf('mw-alice reason=ab"c'), 'reason= has a stray quote');
    assert.match(errorOf('mw-alice mw-bob'), /^unexpected text "mw-bob"/);
    assert.match(errorOf('mw-alice Reason="x"'), /^unexpected text "Reason="x""/);
    assert.match(errorOf('mw alice'), /^unexpected text "alice"/);
  });
});

describe('parseRevocations: lines', () => {
  test('blank and comment lines are ignored but counted; CRLF lines parse', () => {
    const p = parseRevocations(
      '# header\r\n\r\n   \t \n  # indented comment\nmw-alice\r\nuid:7 reason="crlf"\r\n#\nfoo:bar\r\n',
    );
    assert.deepEqual(p, {
      entries: [entry(user('mw-alice'), 5), entry(uid(7), 6, 'crlf')],
      errors: [{ line: 8, message: 'unknown target "foo:" (use a user name, user:, uid:, group:, from: or session:)' }],
      pendingBytes: 0,
    });
  });

  test('errors carry exact line numbers, and good lines after bad ones still apply', () => {
    const data = bytes(
      'host:x\n', // 1
      [0xff, 0xfe, 0x0a], // 2: not UTF-8
      'mw-alice\n', // 3
      '\n', // 4
      'mw\u0000bob\n', // 5: NUL
      'uid:01\n', // 6
      'x'.repeat(MAX_LINE_BYTES + 1) + '\n', // 7
      'group:ops until=2026-12-01T00:00:00Z\n', // 8
    );
    const p = parseRevocations(data);
    assert.deepEqual(p.entries, [entry(user('mw-alice'), 3), entry(group('ops'), 8, null, DEC_1_2026)]);
    assert.deepEqual(
      p.errors.map((e) => e.line),
      [1, 2, 5, 6, 7],
    );
    assert.deepEqual(
      p.errors.map((e) => e.message),
      [
        'unknown target "host:" (use a user name, user:, uid:, group:, from: or session:)',
        'not valid UTF-8',
        'contains control characters',
        'not a valid uid: "01"',
        `line longer than ${MAX_LINE_BYTES} bytes`,
      ],
    );
  });

  test('line length: MAX_LINE_BYTES is allowed (CR not counted), one more is not, even for a comment', () => {
    const pad = (n: number) => {
      const head = 'user:mw-alice reason="';
      return head + 'r'.repeat(n - head.length - 1) + '"';
    };
    assert.equal(Buffer.byteLength(pad(MAX_LINE_BYTES)), MAX_LINE_BYTES);
    assert.equal((one(pad(MAX_LINE_BYTES)) as Revocation).reason, 'r'.repeat(MAX_LINE_BYTES - 23));
    assert.equal((one(pad(MAX_LINE_BYTES) + '\r') as Revocation).target.kind, 'user');
    assert.equal(errorOf(pad(MAX_LINE_BYTES + 1)), `line longer than ${MAX_LINE_BYTES} bytes`);
    assert.equal(errorOf('#'.repeat(MAX_LINE_BYTES + 1)), `line longer than ${MAX_LINE_BYTES} bytes`);
    // Multi-byte characters count as bytes, not characters: 2049 × "é" is 4098 bytes.
    assert.equal(errorOf('#' + 'é'.repeat(2048)), `line longer than ${MAX_LINE_BYTES} bytes`);
  });

  test('invalid UTF-8 in any form is one error', () => {
    const seqs = [
      [0x6d, 0x77, 0xff], // 0xff never appears
      [0xc3, 0x28], // bad continuation
      [0xc0, 0xaf], // overlong "/"
      [0xed, 0xa0, 0x80], // UTF-16 surrogate
      [0xe2, 0x82], // truncated sequence
      [0x23, 0x20, 0x80], // in a comment, too
    ];
    for (const s of seqs) assert.equal(errorOf(Uint8Array.from(s)), 'not valid UTF-8', JSON.stringify(s));
  });

  test('NUL and control bytes are errors, tabs are not', () => {
    for (const c of [0x00, 0x01, 0x08, 0x0b, 0x0c, 0x1b, 0x1f, 0x7f]) {
      assert.equal(errorOf(bytes('mw-alice', [c])), 'contains control characters', `byte ${c}`);
      assert.equal(errorOf(bytes('# comment ', [c])), 'contains control characters', `byte ${c} in a comment`);
    }
    assert.equal(errorOf('mw-alice\rreason="x"'), 'contains control characters'); // a CR that does not end the line
    assert.deepEqual(one('\tmw-alice\t'), entry(user('mw-alice'), 1));
  });

  test('an unfinished last line is pending, and parsed once its newline arrives', () => {
    const a = parseRevocations('mw-alice\nuid:1005 reason="é"');
    assert.deepEqual(a, {
      entries: [entry(user('mw-alice'), 1)],
      errors: [],
      pendingBytes: Buffer.byteLength('uid:1005 reason="é"'),
    });
    assert.equal(a.pendingBytes, 20);
    const b = parseRevocations('mw-alice\nuid:1005 reason="é"\n');
    assert.deepEqual(b, {
      entries: [entry(user('mw-alice'), 1), entry(uid(1005), 2, 'é')],
      errors: [],
      pendingBytes: 0,
    });
    // Junk being written is not an error yet either.
    assert.deepEqual(parseRevocations(bytes('host:x reason="', [0xff])), { entries: [], errors: [], pendingBytes: 16 });
    assert.deepEqual(parseRevocations(''), { entries: [], errors: [], pendingBytes: 0 });
    assert.deepEqual(parseRevocations('mw-alice'), { entries: [], errors: [], pendingBytes: 8 });
    assert.deepEqual(parseRevocations('mw-alice\r'), { entries: [], errors: [], pendingBytes: 9 });
  });

  test('string and byte input agree', () => {
    const text = 'mw-alice reason="ü"\nfoo:bar\nuid:3';
    assert.deepEqual(parseRevocations(text), parseRevocations(enc.encode(text)));
  });
});

describe('targetText, quoteReason, parseTarget', () => {
  test('targetText gives canonical forms', () => {
    const canon = (t: string) => {
      const r = parseTarget(t);
      assert.notEqual(typeof r, 'string', t);
      return targetText(r as RevocationTarget);
    };
    assert.equal(canon('mw-alice'), 'user:mw-alice');
    assert.equal(canon('user:mw-alice'), 'user:mw-alice');
    assert.equal(canon('uid:1005'), 'uid:1005');
    assert.equal(canon('group:contractors'), 'group:contractors');
    assert.equal(canon('from:203.0.113.0/24'), 'from:203.0.113.0/24');
    assert.equal(canon('from:2001:db8::/32'), 'from:2001:db8::/32');
    assert.equal(targetText(user('x')), 'user:x');
    assert.equal(targetText(uid(0)), 'uid:0');
    assert.equal(targetText(group('g')), 'group:g');
  });

  test('parseTarget returns a message for a bad target', () => {
    assert.equal(parseTarget('uid:x'), 'not a valid uid: "x"');
    assert.deepEqual(parseTarget('mw-alice'), user('mw-alice'));
  });

  test('quoteReason escapes exactly " and \\, refuses control characters', () => {
    assert.equal(quoteReason('offboarding OPS-12'), '"offboarding OPS-12"');
    assert.equal(quoteReason('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(quoteReason(''), '""');
    for (const bad of ['a\nb', 'a\rb', 'tab\there', 'nul\u0000', 'del\u007f', '\u001b[31m'])
      assert.equal(quoteReason(bad), null, JSON.stringify(bad));
  });

  test('quoteReason round-trips through the parser', () => {
    const samples = [
      '',
      'plain',
      '"',
      '\\',
      '\\"',
      '"\\',
      'ends with backslash\\',
      'x" until=2026-12-01T00:00:00Z',
      '# not a comment',
      'a = b',
      '  spaced  ',
      'ünïcödé ☕ 𝄞',
      '\\\\\\"\\',
    ];
    for (const s of samples) {
      const q = quoteReason(s);
      assert.notEqual(q, null);
      assert.deepEqual(one(`mw-alice reason=${q}`), entry(user('mw-alice'), 1, s), JSON.stringify(s));
    }
  });
});

describe('parseInstant', () => {
  test('accepts valid instants with a zone', () => {
    assert.equal(parseInstant('2026-12-01T00:00:00Z'), DEC_1_2026);
    assert.equal(parseInstant('2000-02-29T00:00:00Z'), Date.UTC(2000, 1, 29));
    assert.equal(parseInstant('1970-01-01T00:00:00Z'), 0);
    assert.equal(parseInstant('1969-12-31T23:59:59.999Z'), -1);
    assert.equal(parseInstant('2026-12-31T23:59:59Z'), Date.UTC(2026, 11, 31, 23, 59, 59));
    assert.equal(parseInstant('2026-12-01T00:00:00+23:59'), DEC_1_2026 - (23 * 60 + 59) * 60_000);
    assert.equal(parseInstant('2026-12-01T00:00:00.1Z'), DEC_1_2026 + 100);
    assert.equal(parseInstant('2026-12-01T00:00:00.01Z'), DEC_1_2026 + 10);
    assert.equal(parseInstant('2026-12-01T00:00:00.999999999Z'), DEC_1_2026 + 999);
  });

  test('every millisecond fraction is exact', () => {
    for (let i = 0; i < 1000; i++) {
      const f = String(i).padStart(3, '0');
      assert.equal(parseInstant(`2026-12-01T00:00:00.${f}Z`), DEC_1_2026 + i, f);
    }
  });

  test('refuses the impossible and the ambiguous', () => {
    const bad = [
      '2026-02-29T00:00:00Z', // not a leap year
      '1900-02-29T00:00:00Z', // century, not a leap year
      '2026-02-30T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-00-01T00:00:00Z',
      '2026-12-00T00:00:00Z',
      '2026-12-01T24:00:00Z',
      '2026-12-01T23:60:00Z',
      '2026-12-01T23:59:60Z',
      '2026-12-01T00:00:00+24:00',
      '2026-12-01T00:00:00+05:60',
      '2026-12-01T00:00:00+0530',
      '2026-12-01T00:00:00', // no zone
      '2026-12-01T00:00:00z',
      '2026-12-01t00:00:00Z',
      '2026-12-01 00:00:00Z',
      '2026-12-01',
      '2026-12-01TZ',
      '2026-12-01T00:00:00.Z',
      '2026-12-01T00:00:00.1234567890Z',
      '26-12-01T00:00:00Z',
      '+002026-12-01T00:00:00Z',
      ' 2026-12-01T00:00:00Z',
      '2026-12-01T00:00:00Z ',
      '2026-1-01T00:00:00Z',
      'tomorrow',
      '',
      '1796083200000',
    ];
    for (const b of bad) assert.equal(parseInstant(b), null, JSON.stringify(b));
  });
});

// ---------------------------------------------------------------------------------------------------
// Property-style checks with a seeded PRNG. Failures print the seed and case index.

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  readonly rand: () => number;
  constructor(readonly seed: number) {
    this.rand = mulberry32(seed);
  }
  int(n: number): number {
    return Math.floor(this.rand() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.rand() < p;
  }
}

const SEED = Number(process.env.MW_PROP_SEED ?? 0x5eed2026);

/** Bytes with the characters the parser cares about over-represented. */
function randomBytes(g: Gen): Uint8Array {
  const len = g.int(g.chance(0.05) ? 5000 : 300);
  const special = [0x0a, 0x0a, 0x0d, 0x20, 0x09, 0x23, 0x22, 0x5c, 0x3d, 0x3a, 0x00, 0xff, 0xc3, 0xa9, 0x80, 0xed];
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = g.chance(0.3) ? g.pick(special) : g.int(256);
  return out;
}

const PRINTABLE = 'abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-_.@$:/= \t#"\\\n\n\n\r+Zé☕𝄞\u00a0\u2028\ufeff';
function randomText(g: Gen): Uint8Array {
  const chars = Array.from(PRINTABLE);
  const len = g.int(400);
  let s = '';
  for (let i = 0; i < len; i++) s += g.pick(chars);
  return enc.encode(s);
}

const NAMES = ['mw-alice', 'mw-bob', 'alice@example.com', 'host01$', '_svc.backup', 'x'];
const CIDRS: [string, number[], number][] = [
  ['203.0.113.0/24', [203, 0, 113, 0], 24],
  ['198.51.100.7', [198, 51, 100, 7], 32],
  ['10.0.0.0/8', [10, 0, 0, 0], 8],
  ['2001:db8::/32', [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 32],
  ['::1', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128],
];
const REASON_CHARS = Array.from('abc XYZ 019 "\\ #=:\'-é☕𝄞\u00a0');

/** A valid line (without its newline) and the entry it must parse to (its line number left to the caller). */
function validLine(g: Gen): { text: string; target: RevocationTarget; reason: string | null; until: number | null } {
  let text: string;
  let target: RevocationTarget;
  switch (g.int(5)) {
    case 0: {
      const n = g.pick(NAMES);
      target = user(n);
      text = g.chance(0.5) ? n : `user:${n}`;
      break;
    }
    case 1: {
      const n = g.chance(0.5) ? g.int(70000) : 4294967294 - g.int(3);
      target = uid(n);
      text = `uid:${n}`;
      break;
    }
    case 2: {
      const n = g.pick(NAMES);
      target = group(n);
      text = `group:${n}`;
      break;
    }
    default: {
      const [t, b, p] = g.pick(CIDRS);
      target = from(t, b, p);
      text = `from:${t}`;
    }
  }
  const ws = () => g.pick([' ', '\t', '  ', ' \t ']);
  const fields: string[] = [];
  let reason: string | null = null;
  let until: number | null = null;
  if (g.chance(0.5)) {
    let r = '';
    const n = g.int(30);
    for (let i = 0; i < n; i++) r += g.pick(REASON_CHARS);
    reason = r;
    fields.push(`reason=${quoteReason(r)}`);
  }
  if (g.chance(0.4)) {
    until = Date.UTC(2020 + g.int(20), g.int(12), 1 + g.int(28), g.int(24), g.int(60), g.int(60), g.int(1000));
    fields.push(`until=${new Date(until).toISOString()}`);
  }
  if (g.chance(0.5)) fields.reverse();
  for (const f of fields) text += ws() + f;
  if (g.chance(0.3)) text += ws() + '# ' + g.pick(['note', 'reason="x"', '"unbalanced', '']);
  if (g.chance(0.2)) text = ws() + text;
  if (g.chance(0.2)) text += '\r';
  return { text, target, reason, until };
}

const JUNK = [
  'host:x',
  'uid:01',
  '"',
  'reason="',
  '#',
  '',
  '   ',
  'from:10.0.0.5/8',
  'mw alice',
  '\u0000',
  'x'.repeat(MAX_LINE_BYTES + 3),
  'until=2026-02-30T00:00:00Z',
  'é',
];
function randomSplice(g: Gen): Uint8Array {
  let s = '';
  const n = 1 + g.int(15);
  for (let i = 0; i < n; i++) {
    s += g.chance(0.6) ? validLine(g).text : g.pick(JUNK);
    if (g.chance(0.8)) s += '\n';
  }
  const b = enc.encode(s);
  // Cut and paste some random ranges, sometimes inserting raw bytes: lines get torn in arbitrary places.
  const parts: Uint8Array[] = [];
  let at = 0;
  while (at < b.length) {
    const take = 1 + g.int(40);
    parts.push(b.subarray(at, at + take));
    if (g.chance(0.15)) parts.push(Uint8Array.from({ length: 1 + g.int(4) }, () => g.int(256)));
    at += take + (g.chance(0.1) ? g.int(10) : 0);
  }
  if (g.chance(0.3)) parts.reverse();
  return bytes(...parts.map((p) => Array.from(p)));
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

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

function checkInvariants(data: Uint8Array, where: string): ParsedRevocations {
  let p: ParsedRevocations;
  try {
    p = parseRevocations(data);
  } catch (e) {
    assert.fail(`${where}: parseRevocations threw ${String(e)}`);
  }
  const { complete, tail } = splitLines(data);
  const ignored = complete.filter(isIgnorable).length;
  assert.equal(
    p.entries.length + p.errors.length + ignored,
    complete.length,
    `${where}: entries ${p.entries.length} + errors ${p.errors.length} + ignored ${ignored} != lines ${complete.length}`,
  );
  assert.equal(p.pendingBytes, tail, `${where}: pendingBytes`);
  const entryLines = p.entries.map((e) => e.line);
  const errorLines = p.errors.map((e) => e.line);
  for (const [name, ls] of [
    ['entry', entryLines],
    ['error', errorLines],
  ] as const) {
    for (let i = 0; i < ls.length; i++) {
      assert.ok(
        Number.isInteger(ls[i]) && ls[i]! >= 1 && ls[i]! <= complete.length,
        `${where}: ${name} line ${ls[i]} outside 1..${complete.length}`,
      );
      if (i > 0) assert.ok(ls[i]! > ls[i - 1]!, `${where}: ${name} lines not strictly increasing: ${ls.join(',')}`);
    }
  }
  const all = [...entryLines, ...errorLines];
  assert.equal(new Set(all).size, all.length, `${where}: a line is both an entry and an error: ${all.join(',')}`);
  // Each line is judged on its own: the ignorable ones are exactly those with neither entry nor error,
  // and parsing a line alone gives the same verdict.
  const judged = new Set(all);
  complete.forEach((line, i) => {
    assert.equal(!judged.has(i + 1), isIgnorable(line), `${where}: line ${i + 1} ignorable mismatch`);
  });
  return p;
}

describe('parseRevocations: properties', () => {
  test(`random input never throws and accounts for every line (seed ${SEED})`, () => {
    const g = new Gen(SEED);
    const kinds = [randomBytes, randomText, randomSplice];
    let total = 0;
    let withEntries = 0;
    let withErrors = 0;
    for (let i = 0; i < 3000; i++) {
      const kind = kinds[i % 3]!;
      const data = kind(g);
      const p = checkInvariants(data, `seed ${SEED} case ${i} (${kind.name})`);
      total++;
      if (p.entries.length > 0) withEntries++;
      if (p.errors.length > 0) withErrors++;
    }
    assert.equal(total, 3000);
    // The generators must actually exercise both outcomes, or the checks above prove little.
    assert.ok(withEntries > 300, `seed ${SEED}: only ${withEntries} inputs had entries`);
    assert.ok(withErrors > 1000, `seed ${SEED}: only ${withErrors} inputs had errors`);
  });

  test(`each line parsed alone gives the same verdict as in the whole file (seed ${SEED + 1})`, () => {
    const g = new Gen(SEED + 1);
    for (let i = 0; i < 500; i++) {
      const data = i % 2 ? randomSplice(g) : randomText(g);
      const whole = parseRevocations(data);
      const { complete } = splitLines(data);
      complete.forEach((line, j) => {
        const alone = parseRevocations(bytes(Array.from(line), '\n'));
        const e = whole.entries.find((x) => x.line === j + 1);
        const err = whole.errors.find((x) => x.line === j + 1);
        const where = `seed ${SEED + 1} case ${i} line ${j + 1}`;
        assert.deepEqual(alone.entries, e ? [{ ...e, line: 1 }] : [], where);
        assert.deepEqual(alone.errors, err ? [{ ...err, line: 1 }] : [], where);
      });
    }
  });

  test(`generated valid lines parse to exactly the intended entry (seed ${SEED + 2})`, () => {
    const g = new Gen(SEED + 2);
    for (let i = 0; i < 2000; i++) {
      const v = validLine(g);
      assert.deepEqual(
        one(v.text),
        entry(v.target, 1, v.reason, v.until),
        `seed ${SEED + 2} case ${i}: ${JSON.stringify(v.text)}`,
      );
    }
  });

  test(`appending valid lines never changes what a prefix said (seed ${SEED + 3})`, () => {
    const g = new Gen(SEED + 3);
    const kinds = [randomBytes, randomText, randomSplice];
    for (let i = 0; i < 2000; i++) {
      const where = `seed ${SEED + 3} case ${i}`;
      let prefix = kinds[i % 3]!(g);
      // Make it end in a newline: cut after the last one, or add one.
      const last = prefix.lastIndexOf(0x0a);
      prefix = g.chance(0.5) && last !== -1 ? prefix.subarray(0, last + 1) : bytes(Array.from(prefix), '\n');
      const before = parseRevocations(prefix);
      assert.equal(before.pendingBytes, 0, where);
      const lines = splitLines(prefix).complete.length;
      const added = Array.from({ length: 1 + g.int(5) }, () => validLine(g));
      const after = parseRevocations(bytes(Array.from(prefix), added.map((a) => a.text + '\n').join('')));
      assert.deepEqual(after.entries.slice(0, before.entries.length), before.entries, where);
      assert.deepEqual(after.errors, before.errors, where);
      assert.deepEqual(
        after.entries.slice(before.entries.length),
        added.map((a, k) => entry(a.target, lines + k + 1, a.reason, a.until)),
        where,
      );
      assert.equal(after.pendingBytes, 0, where);
    }
  });
});

describe('session: targets', () => {
  test('parse to host, pid and start ticks, and print back the same', () => {
    const t = parseTarget('session:web-17/4242-1234567');
    assert.deepEqual(t, { kind: 'session', host: 'web-17', pid: 4242, startTicks: 1234567 });
    assert.equal(targetText(t as RevocationTarget), 'session:web-17/4242-1234567');
    const line = parseRevocations('session:web-17/4242-1234567 reason="ops" until=2026-12-02T10:00:00Z\n');
    assert.equal(line.errors.length, 0);
    assert.equal(line.entries[0]!.reason, 'ops');
  });

  test('refuse what is not a session id', () => {
    for (const bad of [
      'session:',
      'session:4242-1',
      'session:web/4242',
      'session:web/0-1',
      'session:a b/1-1',
      'session:web/1-01',
    ])
      assert.equal(typeof parseTarget(bad), 'string', bad);
  });
});
