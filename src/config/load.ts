// The config file → a fully-defaulted, frozen Policy, or every error found (see README.md, "Configuration").
// Glue only: the YAML reader is reader.ts, the value readers values.ts, the keys and defaults schema.ts.

import type { Policy } from '../core/types.js';
import { parseFleetConfig } from '../fleet/config.js';
import { hostName } from '../host/identity.js';
import { readTextFile } from '../host/text-file.js';
import type { ConfigError } from './errors.js';
import { INVALID, YamlDocument } from './reader.js';
import { POLICY } from './schema.js';

export { DEFAULT_LIMITS } from './schema.js';

export type ConfigResult = { ok: true; policy: Policy } | { ok: false; errors: ConfigError[] };

/**
 * Parses config text. Pure apart from node-cron's validation; `file` is only used in error messages.
 * `defaultHost` is `fleet.host` when the section does not set it (the machine's host name).
 */
export function parseConfig(text: string, file: string, defaultHost: string = hostName()): ConfigResult {
  const doc = new YamlDocument(text, file);
  const read = doc.walkable ? POLICY.read(doc, doc.root(), '') : INVALID;
  const errors = doc.sortedErrors();
  // The fleet: section has its own reader (src/fleet/config.ts); a YAML syntax error is reported once.
  const fleet = doc.walkable ? parseFleetConfig(text, file, defaultHost) : null;
  if (fleet && !fleet.ok) errors.push(...fleet.errors);
  if (errors.length > 0 || read === INVALID) return { ok: false, errors: errors.sort(byPosition) };
  const policy: Policy = fleet?.ok && fleet.fleet ? { ...read, fleet: fleet.fleet } : read;
  return { ok: true, policy: deepFreeze(policy) };
}

const byPosition = (a: ConfigError, b: ConfigError) => a.line - b.line || a.col - b.col;

/** Reads and parses a config file. A file that cannot be read is a READ_FAILED error at line 0, col 0. */
export async function loadConfigFile(path: string): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readTextFile(path);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const error: ConfigError = {
      file: path,
      line: 0,
      col: 0,
      key: '',
      value: null,
      code: 'READ_FAILED',
      message: `cannot read the config: ${message}`,
    };
    return { ok: false, errors: [error] };
  }
  return parseConfig(text, path);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
