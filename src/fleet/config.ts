// The `fleet:` section of the config file (README, "Fleet"), read from the same YAML with errors that
// name FILE:LINE:COL like the rest of the config. It lives here for now, beside the config reader rather
// than in it, and moves into the config schema later; the main reader only accepts and ignores the key.
// Pure apart from yaml.
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { parseDuration } from '../core/duration.js';
import type { ConfigError, ConfigErrorCode } from '../config/errors.js';
import { writtenText } from '../config/reader.js';
import { DEFAULT_PREFIX, prefixProblem } from './keys.js';
import { isValidHost } from './session-id.js';

export interface FleetConfig {
  endpoints: string[];
  prefix: string;
  host: string;
  ca: string | null;
  cert: string | null;
  key: string | null;
  revocationFile: string;
  sessionsFile: string;
  /** Extension: where the fleet service keeps its status (docs/fleet.md, "The status file"). */
  statusFile: string;
  leaseTtlMs: number;
  /** null = off. */
  strictMs: number | null;
}

export const FLEET_DEFAULTS = {
  prefix: DEFAULT_PREFIX,
  revocationFile: '/var/lib/moshwarden/fleet.revoked',
  sessionsFile: '/run/moshwarden/sessions.json',
  statusFile: '/run/moshwarden-fleet/status.json',
  leaseTtlMs: 10_000,
};

const KEYS = [
  'endpoints',
  'prefix',
  'host',
  'ca',
  'cert',
  'key',
  'revocation_file',
  'sessions_file',
  'status_file',
  'lease_ttl',
  'strict',
];

export type FleetConfigResult = { ok: true; fleet: FleetConfig | null } | { ok: false; errors: ConfigError[] };

/** The `fleet:` section of `text`; `fleet: null` when there is none (a single host). */
export function parseFleetConfig(text: string, file: string, defaultHost: string): FleetConfigResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const errors: ConfigError[] = [];
  const report = (code: ConfigErrorCode, key: string, node: unknown, message: string, withValue = true) => {
    const range = (node as Node | null)?.range;
    const { line, col } = range ? lines.linePos(range[0]) : { line: 0, col: 0 };
    // Quoted from the text at that spot, as every other config error is (config/reader.ts).
    const value = withValue && isScalar(node) && range ? writtenText(text, [range[0], range[1]]) : null;
    errors.push({ file, line, col, key, value, code, message });
  };
  if (doc.errors.length > 0) {
    // The main reader reports syntax errors in full; one line here is enough to refuse the section.
    const { line, col } = lines.linePos(doc.errors[0]!.pos[0]);
    return {
      ok: false,
      errors: [{ file, line, col, key: '', value: null, code: 'YAML_SYNTAX', message: doc.errors[0]!.message }],
    };
  }
  const root = doc.contents;
  if (!isMap(root)) return { ok: true, fleet: null };
  const pair = root.items.find((p) => isScalar(p.key) && p.key.value === 'fleet');
  if (!pair || (isScalar(pair.value) && pair.value.value === null)) return { ok: true, fleet: null };
  if (!isMap(pair.value)) {
    report('BAD_TYPE', 'fleet', pair.value, 'fleet must be a map of keys (endpoints:, prefix:, ...)');
    return { ok: false, errors };
  }
  const fields = new Map<string, unknown>();
  for (const p of pair.value.items) {
    const k = isScalar(p.key) ? String(p.key.value) : '';
    if (!KEYS.includes(k))
      report('UNKNOWN_KEY', `fleet.${k}`, p.key, `unknown key; allowed here: ${KEYS.join(', ')}`, false);
    else if (fields.has(k)) report('DUPLICATE_KEY', `fleet.${k}`, p.key, 'duplicate key', false);
    else fields.set(k, p.value);
  }

  const str = (k: string): string | null | undefined => {
    const n = fields.get(k);
    if (n === undefined) return undefined;
    if (isScalar(n) && typeof n.value === 'string' && n.value !== '') return n.value;
    if (isScalar(n) && n.value === null) return null;
    report('BAD_TYPE', `fleet.${k}`, n, 'expected a string');
    return undefined;
  };
  const absPath = (k: string, def: string | null): string | null => {
    const v = str(k);
    if (v === undefined || v === null) return def;
    if (!v.startsWith('/')) report('BAD_PATH', `fleet.${k}`, fields.get(k), 'must be an absolute path');
    return v;
  };
  const duration = (k: string, def: number | null, opts: { off: boolean; minMs: number; maxMs: number }) => {
    const n = fields.get(k);
    if (n === undefined) return def;
    const raw = isScalar(n) ? n.value : undefined;
    const parsed =
      typeof raw === 'string'
        ? parseDuration(raw)
        : typeof raw === 'boolean' && !raw
          ? { ok: true as const, ms: null }
          : null;
    if (!parsed || !parsed.ok) {
      report(
        'BAD_DURATION',
        `fleet.${k}`,
        n,
        parsed && !parsed.ok ? parsed.message : 'expected a duration like 10s or 1h30m',
      );
      return def;
    }
    if (parsed.ms === null && !opts.off) report('BAD_DURATION', `fleet.${k}`, n, 'cannot be off');
    else if (parsed.ms !== null && (parsed.ms < opts.minMs || parsed.ms > opts.maxMs))
      report('BAD_DURATION', `fleet.${k}`, n, `must be between ${opts.minMs / 1000}s and ${opts.maxMs / 1000}s`);
    return parsed.ms;
  };

  const endpoints: string[] = [];
  const ep = fields.get('endpoints');
  if (ep === undefined)
    report(
      'MISSING_KEY',
      'fleet.endpoints',
      pair.value,
      'the fleet section needs endpoints: [https://etcd-1:2379, ...]',
      false,
    );
  else if (!isSeq(ep) || ep.items.length === 0)
    report('BAD_TYPE', 'fleet.endpoints', ep, 'expected a non-empty list of URLs');
  else
    ep.items.forEach((item, i) => {
      const v = isScalar(item) ? item.value : null;
      if (typeof v !== 'string' || !/^https?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[1-9][0-9]{0,4}$/.test(v))
        report(
          'BAD_VALUE',
          `fleet.endpoints[${i}]`,
          item,
          'expected a URL like https://etcd-1.example:2379 (scheme, host and port)',
        );
      else endpoints.push(v);
    });

  const prefix = str('prefix') ?? FLEET_DEFAULTS.prefix;
  const pp = prefixProblem(prefix);
  if (pp) report('BAD_VALUE', 'fleet.prefix', fields.get('prefix'), pp);
  const host = str('host') ?? defaultHost;
  if (!isValidHost(host))
    report(
      'BAD_VALUE',
      'fleet.host',
      fields.get('host') ?? pair.key,
      `not a usable host name: ${JSON.stringify(host)} (letters, digits, ".", "_", "-"; no "/")`,
    );
  const ca = absPath('ca', null);
  const cert = absPath('cert', null);
  const key = absPath('key', null);
  if ((cert === null) !== (key === null))
    report(
      'MISSING_KEY',
      cert === null ? 'fleet.cert' : 'fleet.key',
      pair.value,
      'cert and key go together (a TLS client certificate and its key)',
      false,
    );
  const tls = endpoints.filter((e) => e.startsWith('https://')).length;
  if (tls > 0 && tls < endpoints.length)
    report('BAD_VALUE', 'fleet.endpoints', ep, 'mixes http:// and https:// endpoints', false);
  if (tls > 0 && ca === null)
    report(
      'MISSING_KEY',
      'fleet.ca',
      pair.value,
      'https:// endpoints need ca: (the CA that signed the etcd server certificates)',
      false,
    );
  if (tls === 0 && endpoints.length > 0 && (ca !== null || cert !== null))
    report('BAD_VALUE', 'fleet.endpoints', ep, 'ca/cert/key are set but the endpoints are http:// (no TLS)', false);

  const fleet: FleetConfig = {
    endpoints,
    prefix,
    host,
    ca,
    cert,
    key,
    revocationFile: absPath('revocation_file', FLEET_DEFAULTS.revocationFile)!,
    sessionsFile: absPath('sessions_file', FLEET_DEFAULTS.sessionsFile)!,
    statusFile: absPath('status_file', FLEET_DEFAULTS.statusFile)!,
    leaseTtlMs: duration('lease_ttl', FLEET_DEFAULTS.leaseTtlMs, { off: false, minMs: 2_000, maxMs: 3_600_000 })!,
    strictMs: duration('strict', null, { off: true, minMs: 10_000, maxMs: 365 * 86_400_000 }),
  };
  if (fleet.leaseTtlMs % 1000 !== 0)
    report(
      'BAD_DURATION',
      'fleet.lease_ttl',
      fields.get('lease_ttl'),
      'must be whole seconds (etcd leases count in seconds)',
    );
  if (errors.length > 0) return { ok: false, errors: errors.sort((a, b) => a.line - b.line || a.col - b.col) };
  return { ok: true, fleet };
}
