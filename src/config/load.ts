// Reads the YAML config into the fully-defaulted, frozen Policy (see CONTRACT.md, "Config").
//
// The YAML tree is walked by hand rather than converted to plain JS first, so that every error can name
// the line and column of the exact node it is about. Every problem is collected; nothing stops at the first.

import { isValidName } from '../core/names.js';
import { readFile } from 'node:fs/promises';
import { validate as validateCron, validateDetailed as explainCron } from 'node-cron';
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, visit, type Document } from 'yaml';
import { formatDuration, parseDuration } from '../core/duration.js';
import type { Limits, LogLevel, Policy, Rule, Schedule, SweepTarget } from '../core/types.js';
import type { ConfigError, ConfigErrorCode } from './errors.js';

export type ConfigResult = { ok: true; policy: Policy } | { ok: false; errors: ConfigError[] };

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  idleTimeoutMs: 30 * 60_000,
  countOutput: false,
  warnBeforeMs: 2 * 60_000,
  graceMs: 10_000,
  maxAgeMs: null,
  detachedTimeoutMs: null,
  exempt: false,
});

export const DEFAULT_SCAN_INTERVAL_MS = 5_000;
export const MIN_SCAN_INTERVAL_MS = 1_000;
export const DEFAULT_REVOCATION_FILE = '/etc/moshwarden/revoked';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
export const SWEEP_TARGETS: readonly SweepTarget[] = ['detached', 'all'];

const TOP_KEYS = ['scan_interval', 'dry_run', 'revocation_file', 'defaults', 'rules', 'schedules', 'log', 'metrics'];
TOP_KEYS.push('fleet'); // accepted here, read by src/fleet/config.ts (docs/fleet.md)
const LIMIT_KEYS = ['idle_timeout', 'count_output', 'warn_before', 'grace', 'max_age', 'detached_timeout'];
const RULE_KEYS = ['users', 'groups', 'exempt', ...LIMIT_KEYS];
const SCHEDULE_KEYS = ['cron', 'timezone', 'terminate', 'users', 'groups'];
const LOG_KEYS = ['level', 'audit_file'];
const METRICS_KEYS = ['textfile'];

/**
 * Letters, digits, `_`, `.`, `-` (not first), optionally ending in `$` (Samba machine accounts).
 * `@` is allowed after the first character because SSSD/AD setups use fully-qualified names
 * (`alice@example.com`). No spaces or colons: they cannot occur in a passwd/group entry.
 */

/** Marks a value that failed to read (its error has already been recorded). */
const INVALID: unique symbol = Symbol('invalid');
type Read<T> = T | typeof INVALID;

interface Field {
  /** The key node (for positions of key-level errors). */
  key: unknown;
  value: unknown;
}

/** The known keys of one map, with the map's own path (like `rules[0]`). */
interface Fields {
  path: string;
  entries: Map<string, Field>;
}

function noFields(path: string): Fields {
  return { path, entries: new Map() };
}

/** Parses config text. Pure apart from node-cron's validation; `file` is only used in error messages. */
export function parseConfig(text: string, file: string): ConfigResult {
  const lineCounter = new LineCounter();
  // uniqueKeys is off because duplicates are reported below, where the full key path is known.
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: false,
    merge: false,
  });
  const reader = new ConfigReader(text, file, lineCounter, doc);

  if (doc.errors.length > 0) {
    // The tree may be broken; walking it would mostly produce noise. For the same reason only the first
    // syntax error of each line is kept (an unquoted `* * * * *` alone gives five).
    for (const e of doc.errors) reader.yamlProblem(e.pos[0], e.message + aliasHint(e.message));
    return { ok: false, errors: reader.sortedErrors() };
  }
  for (const w of doc.warnings) reader.yamlProblem(w.pos[0], w.message);
  // yaml only notices an alias without an anchor when converting to JS, which this reader never does.
  let danglingAliases = 0;
  visit(doc, {
    Alias(_, alias) {
      if (alias.resolve(doc) === undefined) {
        danglingAliases++;
        const hint = aliasHint('alias');
        reader.yamlProblem(alias.range?.[0] ?? 0, `*${alias.source} names no anchor (&${alias.source})${hint}`);
      }
    },
  });
  if (danglingAliases > 0) return { ok: false, errors: reader.sortedErrors() };

  const policy = reader.readPolicy();
  const errors = reader.sortedErrors();
  if (errors.length > 0 || policy === INVALID) return { ok: false, errors };
  return { ok: true, policy: deepFreeze(policy) };
}

/** Reads and parses a config file. A file that cannot be read is a READ_FAILED error at line 0, col 0. */
export async function loadConfigFile(path: string): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      errors: [
        {
          file: path,
          line: 0,
          col: 0,
          key: '',
          value: null,
          code: 'READ_FAILED',
          message: `cannot read the config: ${message}`,
        },
      ],
    };
  }
  return parseConfig(text, path);
}

class ConfigReader {
  private readonly errors: ConfigError[] = [];

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly lines: LineCounter,
    private readonly doc: Document.Parsed,
  ) {}

  sortedErrors(): ConfigError[] {
    // Array.prototype.sort is stable: errors at the same spot keep the order they were found in.
    return [...this.errors].sort((a, b) => a.line - b.line || a.col - b.col);
  }

  yamlProblem(offset: number, message: string): void {
    const { line, col } = this.lines.linePos(offset);
    if (this.errors.some((e) => e.code === 'YAML_SYNTAX' && e.line === line)) return;
    this.errors.push({ file: this.file, line, col, key: '', value: null, code: 'YAML_SYNTAX', message });
  }

  // ---- the sections ------------------------------------------------------------------------------

  readPolicy(): Read<Policy> {
    const root = this.deref(this.doc.contents);
    if (root === null || (isScalar(root) && root.value === null)) return defaultPolicy();
    if (!isMap(root)) {
      this.report(
        'BAD_TYPE',
        '',
        root,
        `the config must be a map of keys like "scan_interval: 5s", not ${kindOf(root)}`,
      );
      return INVALID;
    }
    const top = this.fields(root, '', TOP_KEYS);
    if (top === INVALID) return INVALID;

    const scanIntervalMs = this.optional(top, 'scan_interval', DEFAULT_SCAN_INTERVAL_MS, (n, p) =>
      this.duration(n, p, { off: false, minMs: MIN_SCAN_INTERVAL_MS }),
    );
    const dryRun = this.optional(top, 'dry_run', false, (n, p) => this.bool(n, p));
    const revocationFile = this.optional(top, 'revocation_file', DEFAULT_REVOCATION_FILE, (n, p) =>
      this.path(n, p, { nullable: false }),
    );
    const defaults = this.readDefaults(top.entries.get('defaults'));
    const rules = this.readRules(top.entries.get('rules'));
    const schedules = this.readSchedules(top.entries.get('schedules'));
    const log = this.readLog(top.entries.get('log'));
    const metrics = this.readMetrics(top.entries.get('metrics'));

    if (
      scanIntervalMs === INVALID ||
      scanIntervalMs === null ||
      dryRun === INVALID ||
      revocationFile === INVALID ||
      revocationFile === null ||
      defaults === INVALID ||
      rules === INVALID ||
      schedules === INVALID ||
      log === INVALID ||
      metrics === INVALID
    ) {
      return INVALID;
    }
    return { scanIntervalMs, dryRun, revocationFile, defaults, rules, schedules, log, metrics };
  }

  private readDefaults(field: Field | undefined): Read<Limits> {
    if (field === undefined) return { ...DEFAULT_LIMITS };
    const fields = this.sectionFields(field.value, 'defaults', LIMIT_KEYS, (key) =>
      key === 'exempt' ? 'exempt is only allowed in a rule (rules:), not in defaults' : undefined,
    );
    if (fields === INVALID) return INVALID;
    const overrides = this.limits(fields);
    if (overrides === INVALID) return INVALID;
    return { ...DEFAULT_LIMITS, ...overrides };
  }

  private readRules(field: Field | undefined): Read<Rule[]> {
    const items = this.list(field, 'rules', 'a list of rules (each item starting with "- ")');
    if (items === INVALID) return INVALID;
    let ok = true;
    const rules: Rule[] = [];
    items.forEach((item, index) => {
      const rule = this.readRule(item, index);
      if (rule === INVALID) ok = false;
      else rules.push(rule);
    });
    return ok ? rules : INVALID;
  }

  private readRule(node: unknown, index: number): Read<Rule> {
    const path = `rules[${index}]`;
    const map = this.deref(node);
    if (!isMap(map)) {
      this.report('BAD_TYPE', path, node, `a rule must be a map with users: and/or groups:, not ${kindOf(map)}`);
      return INVALID;
    }
    const fields = this.fields(map, path, RULE_KEYS);
    if (fields === INVALID) return INVALID;

    const users = this.names(fields.entries.get('users'), `${path}.users`, 'user');
    const groups = this.names(fields.entries.get('groups'), `${path}.groups`, 'group');
    const overrides = this.limits(fields);
    const exempt = this.optional(fields, 'exempt', undefined, (n, p) => this.bool(n, p));

    if (users !== INVALID && groups !== INVALID && users.length === 0 && groups.length === 0) {
      // Never let a rule silently apply to everyone (an exempt rule would switch enforcement off).
      const named = fields.entries.has('users') || fields.entries.has('groups');
      this.report(
        'MISSING_SELECTOR',
        path,
        map,
        named
          ? 'users and groups are both empty; a rule must name at least one user or group (it would match everyone)'
          : 'a rule needs users: or groups: (without them it would match everyone)',
        null,
      );
      return INVALID;
    }
    if (users === INVALID || groups === INVALID || overrides === INVALID || exempt === INVALID) return INVALID;
    if (exempt !== undefined) overrides.exempt = exempt;
    return { index, users, groups, overrides };
  }

  private readSchedules(field: Field | undefined): Read<Schedule[]> {
    const items = this.list(field, 'schedules', 'a list of schedules (each item starting with "- ")');
    if (items === INVALID) return INVALID;
    let ok = true;
    const schedules: Schedule[] = [];
    items.forEach((item, index) => {
      const schedule = this.readSchedule(item, index);
      if (schedule === INVALID) ok = false;
      else schedules.push(schedule);
    });
    return ok ? schedules : INVALID;
  }

  private readSchedule(node: unknown, index: number): Read<Schedule> {
    const path = `schedules[${index}]`;
    const map = this.deref(node);
    if (!isMap(map)) {
      this.report('BAD_TYPE', path, node, `a schedule must be a map with cron: and terminate:, not ${kindOf(map)}`);
      return INVALID;
    }
    const fields = this.fields(map, path, SCHEDULE_KEYS);
    if (fields === INVALID) return INVALID;

    const cron = this.required(fields, map, 'cron', 'a schedule needs cron: (like "0 3 * * *")', (n, p) =>
      this.cron(n, p),
    );
    const timezone = this.optional(fields, 'timezone', null, (n, p) => this.timezone(n, p));
    const terminate = this.required(fields, map, 'terminate', 'a schedule needs terminate: detached or all', (n, p) =>
      this.oneOf(n, p, SWEEP_TARGETS),
    );
    // Empty selectors are fine here: a sweep is explicit, so "everyone" is what the operator asked for.
    const users = this.names(fields.entries.get('users'), `${path}.users`, 'user');
    const groups = this.names(fields.entries.get('groups'), `${path}.groups`, 'group');

    if (cron === INVALID || timezone === INVALID || terminate === INVALID || users === INVALID || groups === INVALID) {
      return INVALID;
    }
    return { index, cron, timezone, terminate, users, groups };
  }

  private readLog(field: Field | undefined): Read<Policy['log']> {
    const fields = field === undefined ? noFields('log') : this.sectionFields(field.value, 'log', LOG_KEYS);
    if (fields === INVALID) return INVALID;
    const level = this.optional(fields, 'level', 'info' as LogLevel, (n, p) => this.oneOf(n, p, LOG_LEVELS));
    const auditFile = this.optional(fields, 'audit_file', null, (n, p) => this.path(n, p, { nullable: true }));
    if (level === INVALID || auditFile === INVALID) return INVALID;
    return { level, auditFile };
  }

  private readMetrics(field: Field | undefined): Read<Policy['metrics']> {
    const fields = field === undefined ? noFields('metrics') : this.sectionFields(field.value, 'metrics', METRICS_KEYS);
    if (fields === INVALID) return INVALID;
    const textfile = this.optional(fields, 'textfile', null, (n, p) => this.path(n, p, { nullable: true }));
    if (textfile === INVALID) return INVALID;
    return { textfile };
  }

  /** The limit keys present in `fields` (defaults: or a rule), converted; only the keys that are set. */
  private limits(fields: Fields): Read<Partial<Limits>> {
    const out: Partial<Limits> = {};
    let ok = true;
    const at = (key: string): { node: unknown; path: string } | undefined => {
      const f = fields.entries.get(key);
      return f === undefined ? undefined : { node: f.value, path: join(fields.path, key) };
    };
    const durationKey = (key: string, off: boolean, set: (ms: number | null) => void): void => {
      const f = at(key);
      if (f === undefined) return;
      const v = this.duration(f.node, f.path, { off });
      if (v === INVALID) ok = false;
      else set(v);
    };
    durationKey('idle_timeout', true, (v) => (out.idleTimeoutMs = v));
    durationKey('warn_before', true, (v) => (out.warnBeforeMs = v));
    durationKey('grace', false, (v) => {
      if (v !== null) out.graceMs = v;
    });
    durationKey('max_age', true, (v) => (out.maxAgeMs = v));
    durationKey('detached_timeout', true, (v) => (out.detachedTimeoutMs = v));
    const countOutput = at('count_output');
    if (countOutput !== undefined) {
      const v = this.bool(countOutput.node, countOutput.path);
      if (v === INVALID) ok = false;
      else out.countOutput = v;
    }
    return ok ? out : INVALID;
  }

  // ---- structure -----------------------------------------------------------------------------------

  /**
   * The keys of a map, checked against `allowed`: unknown and duplicate keys are reported (at the key's own
   * position). Returns INVALID only if `node` is not a map at all; the known keys are still returned otherwise,
   * so that their values are checked too.
   */
  private fields(
    node: unknown,
    path: string,
    allowed: readonly string[],
    hint?: (key: string) => string | undefined,
  ): Read<Fields> {
    const map = this.deref(node);
    if (!isMap(map)) {
      this.report('BAD_TYPE', path, node, `expected a map of keys, not ${kindOf(map)}`);
      return INVALID;
    }
    const out = noFields(path);
    const firstLine = new Map<string, number>();
    for (const pair of map.items) {
      // A pair written without a key (`: x`) has no key node: point at its value instead.
      const keyNode = pair.key ?? pair.value;
      const key = isScalar(pair.key) ? String(pair.key.value ?? '') : (this.written(pair.key) ?? '');
      const keyPath = join(path, key);
      const seen = firstLine.get(key);
      if (seen !== undefined) {
        this.report('DUPLICATE_KEY', keyPath, keyNode, `duplicate key; it is already set on line ${seen}`, null);
        continue;
      }
      firstLine.set(key, this.position(keyNode).line);
      if (!allowed.includes(key)) {
        const message = hint?.(key) ?? unknownKeyMessage(key, allowed);
        this.report('UNKNOWN_KEY', keyPath, keyNode, message, null);
        continue;
      }
      out.entries.set(key, { key: keyNode, value: pair.value });
    }
    return out;
  }

  /** Like `fields`, for a section that may be left empty (`log:` with every line below commented out). */
  private sectionFields(
    node: unknown,
    path: string,
    allowed: readonly string[],
    hint?: (key: string) => string | undefined,
  ): Read<Fields> {
    const v = this.deref(node);
    if (isScalar(v) && v.value === null) return noFields(path);
    return this.fields(node, path, allowed, hint);
  }

  /** The items of a list-valued section; absent or empty means no items. */
  private list(field: Field | undefined, path: string, expected: string): Read<unknown[]> {
    if (field === undefined) return [];
    const v = this.deref(field.value);
    if (isScalar(v) && v.value === null) return [];
    if (!isSeq(v)) {
      this.report('BAD_TYPE', path, field.value, `expected ${expected}, not ${kindOf(v)}`);
      return INVALID;
    }
    return v.items;
  }

  private optional<T, D>(
    fields: Fields,
    key: string,
    fallback: D,
    read: (node: unknown, path: string) => Read<T>,
  ): Read<T | D> {
    const f = fields.entries.get(key);
    if (f === undefined) return fallback;
    return read(f.value, join(fields.path, key));
  }

  private required<T>(
    fields: Fields,
    container: unknown,
    key: string,
    message: string,
    read: (node: unknown, path: string) => Read<T>,
  ): Read<T> {
    const f = fields.entries.get(key);
    if (f === undefined) {
      this.report('MISSING_KEY', join(fields.path, key), container, message, null);
      return INVALID;
    }
    return read(f.value, join(fields.path, key));
  }

  // ---- values --------------------------------------------------------------------------------------

  private duration(node: unknown, path: string, opts: { off: boolean; minMs?: number }): Read<number | null> {
    const v = this.deref(node);
    const expected = opts.off ? 'a duration like 30m or 1h30m, or off' : 'a duration like 30s or 10m';
    if (!isScalar(v)) {
      this.report('BAD_TYPE', path, node, `expected ${expected}, not ${kindOf(v)}`);
      return INVALID;
    }
    const value: unknown = v.value;
    if (typeof value === 'number') {
      this.report('BAD_TYPE', path, node, 'a number is not a duration; add a unit, like 30s or 30m');
      return INVALID;
    }
    if (typeof value === 'boolean') {
      const hint = opts.off && value === false ? '; to disable, write off' : '';
      this.report('BAD_TYPE', path, node, `expected ${expected}, not a boolean${hint}`);
      return INVALID;
    }
    if (value === null) {
      this.report('BAD_TYPE', path, node, `empty value; expected ${expected} (remove the key to get the default)`);
      return INVALID;
    }
    if (typeof value !== 'string') {
      this.report('BAD_TYPE', path, node, `expected ${expected}`);
      return INVALID;
    }
    const parsed = parseDuration(value);
    if (!parsed.ok) {
      this.report('BAD_DURATION', path, node, parsed.message);
      return INVALID;
    }
    if (parsed.ms === null && !opts.off) {
      this.report('BAD_DURATION', path, node, 'this limit cannot be off; give a duration like 10s');
      return INVALID;
    }
    if (parsed.ms !== null && opts.minMs !== undefined && parsed.ms < opts.minMs) {
      this.report('BAD_DURATION', path, node, `must be at least ${formatDuration(opts.minMs)}`);
      return INVALID;
    }
    return parsed.ms;
  }

  private bool(node: unknown, path: string): Read<boolean> {
    const v = this.deref(node);
    if (isScalar(v) && typeof v.value === 'boolean') return v.value;
    let message = `expected true or false, not ${kindOf(v)}`;
    if (isScalar(v) && typeof v.value === 'string' && /^(yes|no|on|off|true|false|y|n)$/i.test(v.value)) {
      message += '; write true or false, without quotes';
    }
    this.report('BAD_TYPE', path, node, message);
    return INVALID;
  }

  private path(node: unknown, path: string, opts: { nullable: boolean }): Read<string | null> {
    const v = this.deref(node);
    if (isScalar(v) && v.value === null && opts.nullable) return null;
    if (!isScalar(v) || typeof v.value !== 'string') {
      const hint = opts.nullable ? ' (or leave the key out)' : '';
      this.report('BAD_TYPE', path, node, `expected an absolute path${hint}, not ${kindOf(v)}`);
      return INVALID;
    }
    if (!v.value.startsWith('/') || v.value.includes('\0')) {
      this.report('BAD_PATH', path, node, 'must be an absolute path (starting with /)');
      return INVALID;
    }
    return v.value;
  }

  private oneOf<T extends string>(node: unknown, path: string, allowed: readonly T[]): Read<T> {
    const v = this.deref(node);
    if (!isScalar(v) || typeof v.value !== 'string') {
      this.report('BAD_TYPE', path, node, `expected one of ${allowed.join(', ')}, not ${kindOf(v)}`);
      return INVALID;
    }
    const found = allowed.find((a) => a === v.value);
    if (found === undefined) {
      this.report('BAD_VALUE', path, node, `expected one of ${allowed.join(', ')}`);
      return INVALID;
    }
    return found;
  }

  /** A list of user or group names; absent or empty means none. */
  private names(field: Field | undefined, path: string, what: 'user' | 'group'): Read<string[]> {
    if (field === undefined) return [];
    const v = this.deref(field.value);
    if (isScalar(v) && v.value === null) return [];
    if (!isSeq(v)) {
      const example = isScalar(v) && typeof v.value === 'string' ? `[${v.value}]` : '[name]';
      this.report('BAD_TYPE', path, field.value, `expected a list of ${what} names, like ${example}; not ${kindOf(v)}`);
      return INVALID;
    }
    let ok = true;
    const names: string[] = [];
    v.items.forEach((item, i) => {
      const itemPath = `${path}[${i}]`;
      const n = this.deref(item);
      if (!isScalar(n) || typeof n.value !== 'string') {
        const hint = isScalar(n) && typeof n.value === 'number' ? '; quote it if it really is a name' : '';
        this.report('BAD_TYPE', itemPath, item, `expected a ${what} name, not ${kindOf(n)}${hint}`);
        ok = false;
        return;
      }
      if (!isValidName(n.value)) {
        this.report(
          'BAD_NAME',
          itemPath,
          item,
          `not a valid ${what} name (letters, digits, _ . - @, optionally ending in $; no spaces or colons)`,
        );
        ok = false;
        return;
      }
      names.push(n.value);
    });
    return ok ? names : INVALID;
  }

  private cron(node: unknown, path: string): Read<string> {
    const v = this.deref(node);
    if (!isScalar(v) || typeof v.value !== 'string') {
      this.report('BAD_TYPE', path, node, `expected a cron expression in quotes, like "0 3 * * *", not ${kindOf(v)}`);
      return INVALID;
    }
    const expr = v.value;
    let valid = false;
    try {
      valid = validateCron(expr);
    } catch {
      valid = false;
    }
    if (!valid) {
      let detail = '';
      try {
        detail = explainCron(expr)
          .errors.map((e) => e.message)
          .join('; ');
      } catch {
        // The plain message below is enough.
      }
      const base = 'not a valid cron expression (5 fields, or 6 with seconds first)';
      this.report('BAD_CRON', path, node, detail === '' ? base : `${base}: ${detail}`);
      return INVALID;
    }
    return expr;
  }

  private timezone(node: unknown, path: string): Read<string | null> {
    const v = this.deref(node);
    if (isScalar(v) && v.value === null) return null;
    if (!isScalar(v) || typeof v.value !== 'string') {
      this.report('BAD_TYPE', path, node, `expected a time zone name like Europe/Berlin, not ${kindOf(v)}`);
      return INVALID;
    }
    if (!isTimeZone(v.value)) {
      this.report('BAD_TIMEZONE', path, node, 'unknown time zone; use an IANA name like Europe/Berlin or UTC');
      return INVALID;
    }
    return v.value;
  }

  // ---- positions and reporting ---------------------------------------------------------------------

  /** Follows an alias to the node it names; positions are still reported where the alias is written. */
  private deref(node: unknown): unknown {
    if (isAlias(node)) return node.resolve(this.doc) ?? null;
    return node ?? null;
  }

  private position(node: unknown): { line: number; col: number } {
    const start = rangeStart(node);
    if (start === null) return { line: 0, col: 0 };
    return this.lines.linePos(start);
  }

  /** The node's source text, on one line and shortened; null when nothing is written there. */
  private written(node: unknown): string | null {
    const r = range(node);
    if (r === null) return null;
    const raw = this.text.slice(r[0], r[1]).replace(/\s+/g, ' ').trim();
    if (raw === '') return null;
    return raw.length > 60 ? `${raw.slice(0, 57)}...` : raw;
  }

  private report(code: ConfigErrorCode, key: string, node: unknown, message: string, value?: string | null): void {
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

// ---- helpers ---------------------------------------------------------------------------------------

function defaultPolicy(): Policy {
  return {
    scanIntervalMs: DEFAULT_SCAN_INTERVAL_MS,
    dryRun: false,
    revocationFile: DEFAULT_REVOCATION_FILE,
    defaults: { ...DEFAULT_LIMITS },
    rules: [],
    schedules: [],
    log: { level: 'info', auditFile: null },
    metrics: { textfile: null },
  };
}

/** YAML reads a leading `*` as an alias; the usual cause is an unquoted cron expression. */
function aliasHint(message: string): string {
  return /alias/i.test(message) ? ' (text starting with *, like a cron expression, must be quoted)' : '';
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function range(node: unknown): [number, number] | null {
  if (isPair(node)) return range(node.key);
  if (typeof node === 'object' && node !== null && 'range' in node) {
    const r: unknown = node.range;
    if (Array.isArray(r) && typeof r[0] === 'number' && typeof r[1] === 'number') return [r[0], r[1]];
  }
  return null;
}

function rangeStart(node: unknown): number | null {
  return range(node)?.[0] ?? null;
}

function kindOf(node: unknown): string {
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

function isTimeZone(name: string): boolean {
  if (name === '') return false;
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

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

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
