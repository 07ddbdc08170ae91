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
import { concat } from './arbitraries.js';

const enc = new TextEncoder();
const bytes = (...parts: (string | number[])[]): Uint8Array =>
  concat(...parts.map((p) => (typeof p === 'string' ? enc.encode(p) : Uint8Array.from(p))));

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
