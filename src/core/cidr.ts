// IPv4/IPv6 addresses and CIDR ranges as plain bytes, so `from:` revocations can be matched purely.
// Written here rather than with node:net so that core/ stays free of node: imports.

export interface Cidr {
  bytes: Uint8Array; // 4 or 16 bytes, host bits cleared
  prefix: number;
}

export function parseIPv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    // No leading zeros: "010" is octal to some parsers and decimal to others; refuse the ambiguity.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

export function parseIPv6(text: string): Uint8Array | null {
  if (text.length === 0 || text.length > 45) return null;
  let head = text;
  let v4Tail: Uint8Array | null = null;
  // An embedded IPv4 tail (::ffff:192.0.2.1) fills the last 32 bits.
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    v4Tail = parseIPv4(text.slice(lastColon + 1));
    if (!v4Tail) return null;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = groupsOf(halves[0]!);
  const right = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!left || !right) return null;
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  if (v4Tail) out.set(v4Tail, 12);
  return out;
}

/** Parses an address of either family; an IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes IPv4. */
export function parseAddress(text: string): Uint8Array | null {
  const v4 = parseIPv4(text);
  if (v4) return v4;
  const v6 = parseIPv6(text);
  if (!v6) return null;
  const mapped = v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? v6.slice(12) : v6;
}

/** `203.0.113.0/24`, `2001:db8::/32`, or a bare address (a /32 or /128). Host bits must be zero. */
export function parseCidr(text: string): Cidr | { error: string } {
  const slash = text.indexOf('/');
  const addrText = slash === -1 ? text : text.slice(0, slash);
  const bytes = parseIPv4(addrText) ?? parseIPv6(addrText);
  if (!bytes) return { error: `not an IPv4 or IPv6 address: ${addrText}` };
  const max = bytes.length * 8;
  let prefix = max;
  if (slash !== -1) {
    const p = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > max) return { error: `bad prefix length /${p}` };
    prefix = Number(p);
  }
  // Refuse 10.0.0.5/8: the operator may have meant the single host, and /8 would widen the revocation.
  for (let bit = prefix; bit < max; bit++) {
    if ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) return { error: `host bits set in ${text}` };
  }
  // ::ffff:a.b.c.d/N names IPv4 addresses; clients are compared as IPv4 (parseAddress), so is the range.
  const mapped =
    bytes.length === 16 && bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped && prefix >= 96) return { bytes: bytes.slice(12), prefix: prefix - 96 };
  return { bytes, prefix };
}

export function cidrContains(cidr: Cidr, address: string): boolean {
  const a = parseAddress(address);
  if (!a || a.length !== cidr.bytes.length) return false;
  for (let bit = 0; bit < cidr.prefix; bit++) {
    const i = bit >> 3;
    const mask = 1 << (7 - (bit & 7));
    if ((a[i]! & mask) !== (cidr.bytes[i]! & mask)) return false;
  }
  return true;
}
