// Where the config comes from: --config, else $MOSHWARDEN_CONFIG, else the system path (docs/contract.md).
import { loadConfigFile } from '../config/load.js';
import { formatConfigError } from '../config/errors.js';
import type { Policy } from '../core/types.js';

export const DEFAULT_CONFIG_PATH = '/etc/moshwarden/config.yaml';

export function configPath(flag: string | undefined, env: (name: string) => string | undefined): string {
  return flag ?? env('MOSHWARDEN_CONFIG') ?? DEFAULT_CONFIG_PATH;
}

/** Exit codes (docs/contract.md): 0 success, 1 runtime failure, 2 bad usage or invalid config. */
export class CliExit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Loads and validates; on errors, throws CliExit(2) with exactly the text `check-config` prints. */
export async function loadPolicyOrExit(path: string): Promise<Policy> {
  const res = await loadConfigFile(path);
  if (!res.ok) throw new CliExit(2, configErrorText(path, res.errors.map(formatConfigError)));
  return res.policy;
}

export function configErrorText(path: string, lines: string[]): string {
  return `${path}: invalid configuration (${lines.length} error${lines.length === 1 ? '' : 's'})\n${lines.join('\n')}`;
}
