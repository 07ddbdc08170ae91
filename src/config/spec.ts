// The building blocks the schema is declared with. A map is declared as a shape: for every property of the
// result, the YAML key it is read from, its value reader, and what it is when the key is absent (a default,
// "required", or left out). The same declaration gives the allowed keys, the reading, and the defaults, so a
// default is written once and the default policy is the policy of an empty file.

import { INVALID, isEmpty, join, noFields, type Fields, type Read, type YamlDocument } from './reader.js';
import type { ConfigErrorCode } from './errors.js';
import type { Value } from './values.js';

type Absent<T> = { default: () => T } | { required: string } | { leaveOut: true };

/** How one property of a map's result is filled. */
export type Entry<T> =
  | { kind: 'key'; key: string; read: Value<T>; absent: Absent<T> }
  /** The keys of `shape` are written in the same YAML map; their result is nested under this property. */
  | { kind: 'inline'; shape: Shape<T> }
  /** Not read from YAML at all. */
  | { kind: 'fixed'; value: T };

/** One entry per property of T, in the order the keys are listed in messages (and read). */
export type Shape<T> = { readonly [K in keyof T]-?: Entry<T[K]> };

/** What a map read, property by property, before it is accepted; for `MapOptions.check`. */
export type Got<T> = { readonly [K in keyof T]-?: Read<T[K]> };

export interface MapOptions<T> {
  /** The start of the message when the value is not a map; default "expected a map of keys". */
  notMap?: string;
  /** An empty value (`log:` with every line below commented out) reads as a map without keys. */
  emptyOk?: boolean;
  /** Messages for keys that are not allowed here but are known elsewhere. */
  hints?: Readonly<Record<string, string>>;
  /** Keys accepted here but read by another reader (the `fleet:` section: src/fleet/config.ts). */
  readElsewhere?: readonly string[];
  /** A rule across keys, checked even when some values were invalid; `has` tells whether a key is written. */
  check?: (got: Got<T>, has: (key: string) => boolean) => { code: ConfigErrorCode; message: string } | undefined;
}

export interface MapSpec<T> {
  read: Value<T>;
  /** The result for a map without keys: every default. Throws if the shape has a required key. */
  defaults(): T;
}

/** A key that may be left out; `fallback` is its default (copied for each result). */
export function optional<T>(key: string, read: Value<T>, fallback: T): Entry<T> {
  return { kind: 'key', key, read, absent: { default: () => structuredClone(fallback) } };
}

/** A key that must be written; `message` says so when it is not. */
export function required<T>(key: string, read: Value<T>, message: string): Entry<T> {
  return { kind: 'key', key, read, absent: { required: message } };
}

/** A key whose default comes from elsewhere: absent, the property is left out of the result. */
export function ifWritten<T>(key: string, read: Value<T>): Entry<T | undefined> {
  return { kind: 'key', key, read, absent: { leaveOut: true } };
}

/** The same keys with every default dropped: only what is written ends up in the result. */
export function writtenOnly<T>(shape: Shape<T>): Shape<Partial<T>> {
  const out: Record<string, Entry<unknown>> = {};
  for (const [prop, entry] of entriesOf(shape)) {
    out[prop] = entry.kind === 'key' ? ifWritten(entry.key, entry.read) : entry;
  }
  return out as Shape<Partial<T>>;
}

export function inline<T>(shape: Shape<T>): Entry<T> {
  return { kind: 'inline', shape };
}

export function fixed<T>(value: T): Entry<T> {
  return { kind: 'fixed', value };
}

/** A key holding a map of its own keys (absent or empty: every default). */
export function section<T>(key: string, shape: Shape<T>, opts: Omit<MapOptions<T>, 'emptyOk'> = {}): Entry<T> {
  const spec = map(shape, { ...opts, emptyOk: true });
  return { kind: 'key', key, read: spec.read, absent: { default: spec.defaults } };
}

/** A list of maps (absent or empty: none); each item carries its position in the list as `index`. */
export function items<T>(key: string, item: MapSpec<T>, expected: string): Entry<Array<{ index: number } & T>> {
  const read: Value<Array<{ index: number } & T>> = (doc, node, path) => {
    const nodes = doc.list(node, path, expected);
    if (nodes === INVALID) return INVALID;
    let ok = true;
    const out: Array<{ index: number } & T> = [];
    nodes.forEach((itemNode, index) => {
      const value = item.read(doc, itemNode, `${path}[${index}]`);
      if (value === INVALID) ok = false;
      else out.push({ index, ...value });
    });
    return ok ? out : INVALID;
  };
  return { kind: 'key', key, read, absent: { default: () => [] } };
}

export function map<T>(shape: Shape<T>, opts: MapOptions<T> = {}): MapSpec<T> {
  const keyRules = {
    allowed: [...keysOf(shape), ...(opts.readElsewhere ?? [])],
    notMap: opts.notMap ?? 'expected a map of keys',
    hints: opts.hints,
  };
  return {
    read(doc, node, path) {
      const fields = opts.emptyOk && isEmpty(doc.deref(node)) ? noFields(path) : doc.fields(node, path, keyRules);
      if (fields === INVALID) return INVALID;
      const got = fill(shape, (entry) => readKey(doc, node, fields, entry));
      const problem = opts.check?.(got as Got<T>, (key) => fields.entries.has(key));
      if (problem !== undefined) {
        doc.report(problem.code, path, doc.deref(node), problem.message, null);
        return INVALID;
      }
      return whole(got) as Read<T>;
    },
    defaults: () =>
      fill(shape, (entry) => {
        if ('required' in entry.absent) throw new Error(`${entry.key} is required: the map has no defaults`);
        return 'default' in entry.absent ? entry.absent.default() : undefined;
      }) as T,
  };
}

type KeyEntry = Extract<Entry<unknown>, { kind: 'key' }>;

/** One key's value: read when written; else its default, undefined (leave out), or MISSING_KEY. */
function readKey(doc: YamlDocument, node: unknown, fields: Fields, entry: KeyEntry): Read<unknown> {
  const path = join(fields.path, entry.key);
  const field = fields.entries.get(entry.key);
  if (field !== undefined) return entry.read(doc, field.value, path);
  if ('default' in entry.absent) return entry.absent.default();
  if ('required' in entry.absent) {
    doc.report('MISSING_KEY', path, doc.deref(node), entry.absent.required, null);
    return INVALID;
  }
  return undefined;
}

/** Builds the result in declaration order; a key entry's value comes from `keyValue` (undefined: left out). */
function fill<T>(shape: Shape<T>, keyValue: (entry: KeyEntry) => Read<unknown>): Record<string, Read<unknown>> {
  const out: Record<string, Read<unknown>> = {};
  for (const [prop, entry] of entriesOf(shape)) {
    let value: Read<unknown>;
    if (entry.kind === 'key') value = keyValue(entry);
    else if (entry.kind === 'fixed') value = structuredClone(entry.value);
    else value = whole(fill(entry.shape, keyValue));
    if (value !== undefined) out[prop] = value;
  }
  return out;
}

/** The result, or INVALID if any part of it is. */
function whole(got: Record<string, Read<unknown>>): Read<Record<string, unknown>> {
  return Object.values(got).includes(INVALID) ? INVALID : got;
}

/** The YAML keys of a shape, inline shapes included, in declaration order. */
function keysOf<T>(shape: Shape<T>): string[] {
  return entriesOf(shape).flatMap(([, e]) => (e.kind === 'key' ? [e.key] : e.kind === 'inline' ? keysOf(e.shape) : []));
}

function entriesOf<T>(shape: Shape<T>): Array<[string, Entry<unknown>]> {
  return Object.entries(shape) as Array<[string, Entry<unknown>]>;
}
