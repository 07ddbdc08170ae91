// What a revocation line says, worked out independently of src/revocation/parse.ts (not a test file: it
// holds no tests). The grammar is the one in docs/contract.md ("Revocation file"); addresses are compared
// with node:net, which shares no code with core/cidr.ts. Used to check that whatever the parser accepts
// covers exactly what its text says, never more.
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Revocation } from '../../../src/core/types.js';

const QUOTED = String.raw`"(?:\\["\\]|\\(?!["\\])|[^"\\])*"`;
const FIELD = String.raw`[a-z_]+=(?:${QUOTED}|[^ \t"]+)`;
/** TARGET, then fields separated by blanks, then perhaps a comment after a blank. */
const LINE = new RegExp(String.raw`^([^ \t]+)((?:[ \t]+${FIELD})*)(?:[ \t]+#.*)?$`, 's');
const FIELDS = new RegExp(String.raw`[ \t]+([a-z_]+)=(${QUOTED}|[^ \t"]+)`, 'gs');

/** Asserts that `e`, parsed from `line` (without its newline), is exactly what the line says. */
export function assertSaysExactly(line: string, e: Revocation): void {
  const body = line.replace(/\r$/, '').trim();
  const m = LINE.exec(body);
  assert.ok(m, `an entry from a line outside the grammar: ${JSON.stringify(line)} → ${show(e)}`);
  const written = m[1]!;
  const fields = new Map<string, string>();
  for (const f of m[2]!.matchAll(FIELDS)) {
    assert.ok(!fields.has(f[1]!), `${f[1]}= twice, yet an entry: ${JSON.stringify(line)}`);
    const raw = f[2]!;
    fields.set(f[1]!, raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(["\\])/g, '$1') : raw);
  }
  for (const k of fields.keys()) assert.ok(k === 'reason' || k === 'until', `unknown field ${k}= accepted`);
  assertTarget(written, e, line);
  assert.equal(e.reason, fields.get('reason') ?? null, `reason of ${JSON.stringify(line)}`);
  const until = fields.get('until');
  if (until === undefined) {
    assert.equal(e.until, null, `until of ${JSON.stringify(line)}`);
  } else {
    // A zone is required; the instant is what Date.parse (V8's own ISO reader) makes of the text.
    assert.match(until, /(Z|[+-]\d\d:\d\d)$/, `until without a zone accepted: ${JSON.stringify(line)}`);
    assert.equal(e.until, Date.parse(until), `until of ${JSON.stringify(line)}`);
  }
}

function assertTarget(written: string, e: Revocation, line: string): void {
  const colon = written.indexOf(':');
  const kind = colon === -1 ? 'user' : written.slice(0, colon);
  const value = colon === -1 ? written : written.slice(colon + 1);
  const t = e.target;
  const where = `${JSON.stringify(line)} → ${show(e)}`;
  assert.equal(t.kind, kind, where);
  switch (t.kind) {
    case 'user':
    case 'group':
      assert.equal(t.name, value, where);
      return;
    case 'uid':
      assert.equal(String(t.uid), value, where);
      return;
    case 'from': {
      assert.equal(t.text, value, where);
      const slash = value.indexOf('/');
      const addr = slash === -1 ? value : value.slice(0, slash);
      const family = net.isIPv4(addr) ? 'ipv4' : net.isIPv6(addr) ? 'ipv6' : null;
      assert.ok(family, `not an address by node:net, yet an entry: ${where}`);
      const full = family === 'ipv4' ? 32 : 128;
      const prefixText = slash === -1 ? String(full) : value.slice(slash + 1);
      assert.match(prefixText, /^(0|[1-9][0-9]*)$/, `prefix written ${JSON.stringify(prefixText)}: ${where}`);
      const prefix = Number(prefixText);
      // The range kept starts exactly at the address written (so no host bits were dropped) ...
      const list = new net.BlockList();
      list.addAddress(addr, family);
      const b = Array.from(t.cidr.bytes);
      const start =
        b.length === 4
          ? b.join('.')
          : Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16)).join(':');
      assert.ok(list.check(start, b.length === 4 ? 'ipv4' : 'ipv6'), `range starts at ${start}: ${where}`);
      // ... and is exactly as wide (an IPv4-mapped IPv6 range is kept as the IPv4 range, 96 bits shorter).
      const kept = b.length === 4 && family === 'ipv6' ? t.cidr.prefix + 96 : t.cidr.prefix;
      assert.equal(kept, prefix, `prefix: ${where}`);
      return;
    }
  }
}

function show(e: Revocation): string {
  return JSON.stringify(e, (_, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v));
}
