// The fleet commands' config: the whole file must be valid (as for `run`), and it needs a `fleet:` section.
import { readTextFile } from '../host/text-file.js';
import { formatConfigError } from '../config/errors.js';
import type { Policy } from '../core/types.js';
import { parseFleetConfig, type FleetConfig } from '../fleet/config.js';
import type { EtcdPort } from '../fleet/port.js';
import { connectFleet } from '../host/fleet-io.js';
import { hostName } from '../host/identity.js';
import { CliExit, configErrorText, loadPolicyOrExit } from './config-path.js';

export interface Writer {
  write(s: string): void;
}

export async function loadFleetOrExit(path: string): Promise<{ policy: Policy; fleet: FleetConfig }> {
  const policy = await loadPolicyOrExit(path);
  const text = await readTextFile(path).catch((e: Error) => {
    throw new CliExit(2, `cannot read ${path}: ${e.message}`);
  });
  const res = parseFleetConfig(text, path, hostName());
  if (!res.ok) throw new CliExit(2, configErrorText(path, res.errors.map(formatConfigError)));
  if (res.fleet === null)
    throw new CliExit(2, `${path} has no fleet: section (endpoints: and friends; see the README, "Fleet")`);
  return { policy, fleet: res.fleet };
}

export function connectOrExit(fleet: FleetConfig): EtcdPort {
  try {
    return connectFleet(fleet);
  } catch (e) {
    throw new CliExit(1, (e as Error).message);
  }
}

/** Runs `fn` against etcd and closes the connection; an unreachable etcd is a runtime failure (exit 1). */
export async function withEtcd<T>(fleet: FleetConfig, fn: (port: EtcdPort) => Promise<T>): Promise<T> {
  const port = connectOrExit(fleet);
  try {
    return await fn(port);
  } catch (e) {
    if (e instanceof CliExit) throw e;
    throw new CliExit(1, `etcd (${port.endpoint}): ${(e as Error).message}`);
  } finally {
    port.close();
  }
}
