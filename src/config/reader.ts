// A parsed YAML document that keeps every node's position, so that each problem can be reported with
// FILE:LINE:COL, the key path and the value as written. It knows YAML and maps of keys, not moshwarden's keys:
// which keys exist where is the schema's business (schema.ts).
//
// The YAML tree is walked by hand rather than converted to plain JS first, so that every error can name the
// line and column of the exact node it is about. Every problem is collected; nothing stops at the first.

import { Scalar, parseDocument, visit, type Document } from 'yaml';
import { isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { ConfigError, ConfigErrorCode } from './errors.js';

/** Marks a value that failed to read (its error has already been recorded). */
export const INVALID: unique symbol = Symbol('invalid');
export type Read<T> = T | typeof INVALID;

export interface Field {
  /** The key node (for positions of key-level errors). */
  key: unknown;
  value: unknown;
}

/** The known keys of one map, with the map's own path (like `rules[0]`). */
export interface Fields {
  path: string;
  entries: Map<string, Field>;
}

export interface KeyRules {
  /** The allowed keys, in the order the "allowed here:" message lists them. */
  allowed: readonly string[];
  /** The start of the message when the node is not a map; ", not a list" (or whatever it is) follows. */
  notMap: string;
  /** Messages for keys that are not allowed here but are known elsewhere (instead of "did you mean"). */
  hints?: Readonly<Record<string, string>>;
}

export class YamlDocument {
  private readonly errors: ConfigError[] = [];
  /** Offsets where lines begin. Counted here, not with yaml's LineCounter: that one misses a line inside a
   * multi-line plain scalar the parser could not place (`.\n#\ns\nt`, found by fast-check in
   * test/unit/config/load.property.test.ts), and every error after it pointed at a line too high. */
  private readonly lineStarts: number[] = [0];
  private readonly doc: Document.Parsed;
  /** False when the text is not YAML or has an alias without an anchor: walking the tree would be noise. */
  readonly walkable: boolean;

  /** Parses `text`; `file` is only used in error messages. */
  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {
    // uniqueKeys is off because duplicates are reported by fields(), where the full key path is known.
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    this.doc = parseDocument(text, { prettyErrors: false, uniqueKeys: false, merge: false });
    this.walkable = this.checkSyntax();
  }

  private checkSyntax(): boolean {
    if (this.doc.errors.length > 0) {
      // The tree may be broken; walking it would mostly produce noise.
      for (const e of this.doc.errors) this.yamlProblem(e.pos[0], e.message + aliasHint(e.message));
      return false;
    }
    for (const w of this.doc.warnings) this.yamlProblem(w.pos[0], w.message);
    // yaml only notices an alias without an anchor when converting to JS, which this reader never does.
    let danglingAliases = 0;
    visit(this.doc, {
      Alias: (_, alias) => {
        if (alias.resolve(this.doc) === undefined) {
          danglingAliases++;
          const hint = aliasHint('alias');
          this.yamlProblem(alias.range?.[0] ?? 0, `*${alias.source} names no anchor (&${alias.source})${hint}`);
        }
      },
    });
    return danglingAliases === 0;
  }

  /** Only the first syntax error of each line is kept (an unquoted `* * * * *` alone gives five). */
  private yamlProblem(offset: number, message: string): void {
    const { line, col } = this.linePos(offset);
    if (this.errors.some((e) => e.code === 'YAML_SYNTAX' && e.line === line)) return;
    this.errors.push({ file: this.file, line, col, key: '', value: null, code: 'YAML_SYNTAX', message });
  }

  /** Every problem recorded so far, by position. */
  sortedErrors(): ConfigError[] {
    // Array.prototype.sort is stable: errors at the same spot keep the order they were found in.
    return [...this.errors].sort((a, b) => a.line - b.line || a.col - b.col);
  }

  /** The top node; an empty document reads as an empty value, like a file holding only `~`. */
  root(): unknown {
    return this.doc.contents ?? new Scalar(null);
  }

  /**
   * The keys of a map, checked against `rules.allowed`: unknown and duplicate keys are reported (at the key's
   * own position). Returns INVALID only if `node` is not a map at all; the known keys are still returned
   * otherwise, so that their values are checked too.
   */
  fields(node: unknown, path: string, rules: KeyRules): Read<Fields> {
    const map = this.deref(node);
    if (!isMap(map)) {
      this.report('BAD_TYPE', path, node, `${rules.notMap}, not ${kindOf(map)}`);
      return INVALID;
    }
    const out = noFields(path);
    const firstLine = new Map<string, number>();
    for (const pair of map.items) {
      // A pair written without a key (`: x`) has no key node: point at its value instead.
      const keyNode = pair.key ?? pair.value;
      // A key that YAML reads as another type (`.0` is the number 0) is named as written.
      const key =
        isScalar(pair.key) && typeof pair.key.value === 'string' ? pair.key.value : (this.written(pair.key) ?? '');
      const keyPath = join(path, key);
      const seen = firstLine.get(key);
      if (seen !== undefined) {
        this.report('DUPLICATE_KEY', keyPath, keyNode, `duplicate key; it is already set on line ${seen}`, null);
        continue;
      }
      firstLine.set(key, this.position(keyNode).line);
      if (!rules.allowed.includes(key)) {
        const hint = rules.hints !== undefined && Object.hasOwn(rules.hints, key) ? rules.hints[key] : undefined;
        const message = hint ?? unknownKeyMessage(key, rules.allowed);
        this.report('UNKNOWN_KEY', keyPath, keyNode, message, null);
        continue;
      }
      // A key without a value (`{level}` in a flow map) has no value node: its empty value is placed right
      // after the key, as for `level:`, so that an error about it has a position (fast-check found 0:0).
      out.entries.set(key, { key: keyNode, value: pair.value ?? emptyAfter(keyNode) });
    }
    return out;
  }

  /** The items of a list; an empty value means no items. `expected` names what belongs here. */
  list(node: unknown, path: string, expected: string): Read<unknown[]> {
    const v = this.deref(node);
    if (isEmpty(v)) return [];
    if (!isSeq(v)) {
      this.report('BAD_TYPE', path, node, `expected ${expected}, not ${kindOf(v)}`);
      return INVALID;
    }
    return v.items;
  }

  /** Follows an alias to the node it names; positions are still reported where the alias is written. */
  deref(node: unknown): unknown {
    if (isAlias(node)) return node.resolve(this.doc) ?? null;
    return node ?? null;
  }

  position(node: unknown): { line: number; col: number } {
    const start = range(node)?.[0];
    if (start === undefined) return { line: 0, col: 0 };
    return this.linePos(start);
  }

  /** 1-based line and column (in UTF-16 units, as yaml counts offsets) of a character offset. */
  private linePos(offset: number): { line: number; col: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.lineStarts[lo]! + 1 };
  }

  /** The node's source text, on one line and shortened; null when nothing is written there. */
  written(node: unknown): string | null {
    return writtenText(this.text, range(node));
  }

  /** Records a problem at `node`; `value` defaults to what is written there. */
  report(code: ConfigErrorCode, key: string, node: unknown, message: string, value?: string | null): void {
    const { line, col } = this.position(node);
    this.errors.push({
      file: this.file,
      line,
      col,
      key,
      value: value === undefined ? this.written(node) : value,
      code,
      message,
    });
  }
}

export function noFields(path: string): Fields {
  return { path, entries: new Map() };
}

/** An empty value written right after `node`. */
function emptyAfter(node: unknown): Scalar {
  const empty = new Scalar(null);
  const r = range(node);
  if (r !== null) empty.range = [r[1], r[1], r[1]];
  return empty;
}

/** An empty value (`key:`, `~`, `null`), as opposed to no node at all. */
export function isEmpty(node: unknown): boolean {
  return isScalar(node) && node.value === null;
}

/** The path of `key` inside the map at `path` (`defaults` + `grace` → `defaults.grace`). */
export function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** What a node is, in words, for "expected X, not Y" messages. */
export function kindOf(node: unknown): string {
  if (node === null || node === undefined) return 'an empty value';
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (isPair(node)) return 'a key: value pair';
  if (isScalar(node)) {
    const v: unknown = node.value;
    if (v === null) return 'an empty value';
    if (typeof v === 'string') return 'a string';
    if (typeof v === 'number' || typeof v === 'bigint') return 'a number';
    if (typeof v === 'boolean') return 'a boolean';
  }
  return 'something else';
}

/** YAML reads a leading `*` as an alias; the usual cause is an unquoted cron expression. */
function aliasHint(message: string): string {
  return /alias/i.test(message) ? ' (text starting with *, like a cron expression, must be quoted)' : '';
}

function range(node: unknown): [number, number] | null {
  if (isPair(node)) return range(node.key);
  if (typeof node === 'object' && node !== null && 'range' in node) {
    const r: unknown = node.range;
    if (Array.isArray(r) && typeof r[0] === 'number' && typeof r[1] === 'number') return [r[0], r[1]];
  }
  return null;
}

/** "did you mean" for a near miss (a typo, `-` for `_`, wrong case), else the list of allowed keys. */
function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  const normalized = key.toLowerCase().replace(/-/g, '_');
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = candidate === normalized ? 0 : editDistance(normalized, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best !== undefined && bestDistance <= 2) return `unknown key; did you mean ${best}?`;
  return `unknown key; allowed here: ${allowed.join(', ')}`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** What is written in `text` over `r` (blanks folded, a long one cut with "..."): an error's `value`. */
export function writtenText(text: string, r: readonly [number, number] | null): string | null {
  if (r === null) return null;
  const raw = text.slice(r[0], r[1]).replace(/\s+/g, ' ').trim();
  if (raw === '') return null;
  return raw.length > 60 ? `${raw.slice(0, 57)}...` : raw;
}
