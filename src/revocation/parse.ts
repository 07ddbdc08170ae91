// The revocation file's format (docs/contract.md, "Revocation file"): one entry per line, `#` comments, blank lines ignored.
//
//   mw-alice                                   a user name; same as user:mw-alice
//   user:mw-alice   reason="offboarding OPS-12"
//   uid:1005
//   group:contractors   until=2026-12-01T00:00:00Z
//   from:203.0.113.0/24
//   session:web-17/4242-1234567                one session, by the id `sessions` shows
//
// Pure and total: any bytes in, entries and per-line errors out; it never throws. No node: imports.
import { parseCidr } from '../core/cidr.js';
import { isValidName } from '../core/names.js';
import type { Revocation, RevocationTarget } from '../core/types.js';
import { parseSessionId, sessionIdText } from '../fleet/session-id.js';

export interface LineError {
  /** 1-based. */
  line: number;
  message: string;
}

export interface ParsedRevocations {
  entries: Revocation[];
  errors: LineError[];
  /** Bytes after the last newline: a line still being written, not parsed until it is complete. */
  pendingBytes: number;
}

/** Longer lines are junk (or an attack on the parser), never an entry. */
export const MAX_LINE_BYTES = 4096;
const UID_MAX = 4294967294; // (uid_t)-1 means "no uid"

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Keeps a byte-order mark, so that the first line reads as it does when decoded alone (trim() drops it). */
const wholeUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function parseRevocations(data: Uint8Array | string): ParsedRevocations {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const entries: Revocation[] = [];
  const errors: LineError[] = [];
  const rest = bytes.lastIndexOf(0x0a) + 1;
  // One decode for the whole file when it is valid UTF-8 (the usual case), and line offsets rather than a
  // subarray per line: a decode call and a subarray per line made a file of many short lines cost
  // microseconds a line (bench/RESULTS.md, "Revocation file"). A newline byte never occurs inside a UTF-8
  // sequence, so the text splits into the same lines.
  const texts = decodeWhole(bytes.subarray(0, rest));
  let line = 0;
  for (let start = 0; start < rest;) {
    const nl = bytes.indexOf(0x0a, start);
    const res = parseLine(bytes, start, nl, ++line, texts?.[line - 1]);
    if (res && 'message' in res) errors.push(res);
    else if (res) entries.push(res);
    start = nl + 1;
  }
  return { entries, errors, pendingBytes: bytes.length - rest };
}

/** The lines of `bytes` (which ends in a newline, or is empty) as text, or null if it is not all UTF-8. */
function decodeWhole(bytes: Uint8Array): string[] | null {
  let text: string;
  try {
    text = wholeUtf8.decode(bytes);
  } catch {
    return null;
  }
  return text.split('\n');
}

/**
 * The complete lines of `bytes`, each with its '\n', and the offset where an unfinished last line (one
 * still being written) begins. Shared by the parser and `unrevoke`'s rewrite, which must agree on it.
 */
export function completeLines(bytes: Uint8Array): { lines: Uint8Array[]; rest: number } {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (;;) {
    const nl = bytes.indexOf(0x0a, start);
    if (nl === -1) break;
    lines.push(bytes.subarray(start, nl + 1));
    start = nl + 1;
  }
  return { lines, rest: start };
}

/**
 * The line of `file` from `start` to its newline at `nl`. `decoded`: its text (with a CR that ends it),
 * when the whole file was decoded at once.
 */
function parseLine(
  file: Uint8Array,
  start: number,
  nl: number,
  line: number,
  decoded?: string,
): Revocation | LineError | null {
  const cr = nl > start && file[nl - 1] === 0x0d; // CRLF files
  const end = cr ? nl - 1 : nl;
  if (end - start > MAX_LINE_BYTES) return { line, message: `line longer than ${MAX_LINE_BYTES} bytes` };
  if (end === start) return null;
  let text: string;
  if (decoded !== undefined) {
    text = cr ? decoded.slice(0, -1) : decoded;
  } else {
    try {
      text = utf8.decode(file.subarray(start, end));
    } catch {
      return { line, message: 'not valid UTF-8' };
    }
  }
  // Tabs are white space; every other control character (NUL, ESC, ...) means binary junk.
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(text)) return { line, message: 'contains control characters' };
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return null;
  const entry = parseEntry(trimmed, line);
  return typeof entry === 'string' ? { line, message: entry } : entry;
}

/** Returns the entry, or why the line is not one. */
function parseEntry(text: string, line: number): Revocation | string {
  const tokens = tokenize(text);
  if (typeof tokens === 'string') return tokens;
  const [targetText, ...fields] = tokens;
  const target = parseTarget(targetText!);
  if (typeof target === 'string') return target;

  let reason: string | null = null;
  let until: number | null = null;
  const seen = new Set<string>();
  for (const f of fields) {
    if (seen.has(f.key)) return `${f.key}= given twice`;
    seen.add(f.key);
    if (f.key === 'reason') {
      reason = f.value;
    } else if (f.key === 'until') {
      const t = parseInstant(f.value);
      if (t === null) return `until=${f.value} is not an ISO-8601 time with a zone, like 2026-12-01T00:00:00Z`;
      until = t;
    } else {
      return `unknown field ${f.key}= (known: reason=, until=)`;
    }
  }
  return { target, line, reason, until };
}

const QUOTE_OR_BACKSLASH = /["\\]/g;

interface Field {
  key: string;
  value: string;
}

/** Splits `TARGET key=value key="quoted \" value" # comment` into the target and its fields. */
function tokenize(text: string): [string, ...Field[]] | string {
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  const word = () => {
    const from = i;
    while (i < text.length && text[i] !== ' ' && text[i] !== '\t') i++;
    return text.slice(from, i);
  };
  const target = word();
  const fields: Field[] = [];
  for (;;) {
    skipSpace();
    if (i >= text.length || text[i] === '#') break; // a trailing comment
    const key = /^[a-z_]+(?==)/.exec(text.slice(i))?.[0];
    if (key === undefined) return `unexpected text "${word()}" (fields look like reason="..." or until=...)`;
    i += key.length + 1;
    if (text[i] === '"') {
      // From one quote or backslash to the next, not a character at a time: a 4 KB reason stays cheap.
      let value = '';
      let from = i + 1;
      QUOTE_OR_BACKSLASH.lastIndex = from;
      for (;;) {
        const m = QUOTE_OR_BACKSLASH.exec(text);
        if (m === null) return `${key}= has an unterminated quote`;
        const at = m.index;
        if (text[at] === '"') {
          value += text.slice(from, at);
          i = at + 1;
          break;
        }
        const next = text[at + 1];
        if (next === '"' || next === '\\') {
          value += text.slice(from, at) + next;
          from = at + 2;
        }
        // A backslash before anything else is kept as it is (it stays in text.slice(from, ...)).
        QUOTE_OR_BACKSLASH.lastIndex = next === '"' || next === '\\' ? at + 2 : at + 1;
      }
      if (i < text.length && text[i] !== ' ' && text[i] !== '\t')
        return `${key}= has text right after its closing quote`;
      fields.push({ key, value });
    } else {
      const value = word();
      if (value === '') return `${key}= has no value`;
      if (value.includes('"')) return `${key}= has a stray quote`;
      fields.push({ key, value });
    }
  }
  return [target, ...fields];
}

export function parseTarget(text: string): RevocationTarget | string {
  const colon = text.indexOf(':');
  const kind = colon === -1 ? 'user' : text.slice(0, colon);
  const value = colon === -1 ? text : text.slice(colon + 1);
  switch (kind) {
    case 'user':
    case 'group':
      if (!isValidName(value)) return `not a valid ${kind} name: "${value}"`;
      return { kind, name: value };
    case 'uid': {
      if (!/^(0|[1-9][0-9]{0,9})$/.test(value) || Number(value) > UID_MAX) return `not a valid uid: "${value}"`;
      return { kind: 'uid', uid: Number(value) };
    }
    case 'from': {
      const cidr = parseCidr(value);
      if ('error' in cidr) return `from: ${cidr.error}`;
      return { kind: 'from', cidr, text: value };
    }
    case 'session': {
      const id = parseSessionId(value);
      if (typeof id === 'string') return `session: ${id}`;
      return { kind: 'session', ...id };
    }
    default:
      return `unknown target "${kind}:" (use a user name, user:, uid:, group:, from: or session:)`;
  }
}

/** Canonical text of a target: `user:NAME`, `uid:N`, `group:NAME`, `from:CIDR`, `session:ID`. */
export function targetText(t: RevocationTarget): string {
  switch (t.kind) {
    case 'user':
    case 'group':
      return `${t.kind}:${t.name}`;
    case 'uid':
      return `uid:${t.uid}`;
    case 'from':
      return `from:${t.text}`;
    case 'session':
      return `session:${sessionIdText(t)}`;
    case 'fleet-strict':
      return 'fleet:strict';
  }
}

/**
 * Strict ISO-8601 with a zone: a time without one would mean different instants on different hosts, and
 * a revocation must not lapse earlier than the operator meant.
 */
export function parseInstant(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '00', frac = '', zone] = m;
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  // Date.UTC rolls 2026-02-31 over to March: reject anything that does not survive the round trip.
  const check = new Date(base);
  if (
    check.getUTCFullYear() !== Number(y) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  ) {
    return null;
  }
  const ms = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  let offset = 0;
  if (zone !== 'Z') {
    const sign = zone![0] === '-' ? -1 : 1;
    const [oh, om] = zone!.slice(1).split(':').map(Number);
    if (oh! > 23 || om! > 59) return null;
    offset = sign * (oh! * 60 + om!) * 60_000;
  }
  return base + ms - offset;
}

/** Quotes a reason for the file: backslash-escapes `"` and `\`; newlines and control characters are refused. */
export function quoteReason(reason: string): string | null {
  if (/[\u0000-\u001f\u007f]/.test(reason)) return null;
  return `"${reason.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
