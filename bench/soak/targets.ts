// Which session a revocation target covers, written from the contract (docs/contract.md, "Revocation
// file") and not from src/: the oracle must not share the daemon's mistakes.
import type { SessionRecord } from './timeline.js';

/** An address as a bit string of 32 or 128 bits; null if it is not one. */
function bits(addr: string): string | null {
  if (/^\d+(\.\d+){3}$/.test(addr)) {
    const parts = addr.split('.').map(Number);
    if (parts.some((p) => p > 255)) return null;
    return parts.map((p) => p.toString(2).padStart(8, '0')).join('');
  }
  if (!addr.includes(':')) return null;
  const [head, tail = null] = addr.split('::');
  const h = head ? head.split(':') : [];
  const t = tail === null ? [] : tail ? tail.split(':') : [];
  const groups = tail === null ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return null;
  return groups.map((g) => parseInt(g, 16).toString(2).padStart(16, '0')).join('');
}

/** A CIDR as (bits, prefix length); a bare address is a /32 or /128. */
function cidr(text: string): { net: string; len: number } | null {
  const [addr = '', len] = text.split('/');
  const b = bits(addr);
  if (!b) return null;
  const n = len === undefined ? b.length : Number(len);
  return Number.isInteger(n) && n >= 0 && n <= b.length ? { net: b.slice(0, n), len: b.length } : null;
}

export function inRange(addr: string, range: string): boolean {
  const a = bits(addr);
  const c = cidr(range);
  return !!a && !!c && a.length === c.len && a.startsWith(c.net);
}

/** The contract's canonical form: a bare name is `user:NAME`, a range compares by value. */
export function canonical(target: string): string {
  if (!target.includes(':')) return `user:${target}`;
  if (target.startsWith('from:')) {
    const c = cidr(target.slice(5));
    return c ? `from:${c.len}/${c.net}` : target;
  }
  return target;
}

export function covers(target: string, s: SessionRecord): boolean {
  const t = canonical(target);
  const value = target.slice(target.indexOf(':') + 1);
  if (t.startsWith('user:')) return t === `user:${s.user}`;
  if (t.startsWith('uid:')) return value === String(s.uid);
  if (t.startsWith('group:')) return s.groups.includes(value);
  if (t.startsWith('from:')) return inRange(s.origin, value);
  if (t.startsWith('session:')) return value === s.id;
  return false;
}
