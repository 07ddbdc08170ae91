// The fleet commands' config: the whole file must be valid (as for `run`), and it needs a `fleet:` section.
import type { Policy } from '../core/types.js';
import type { FleetConfig } from '../fleet/config.js';
import type { EtcdPort } from '../fleet/port.js';
import { connectFleet } from '../host/fleet-io.js';
import { CliExit, loadPolicyOrExit } from './config-path.js';

export interface Writer {
  write(s: string): void;
}

export async function loadFleetOrExit(path: string): Promise<{ policy: Policy; fleet: FleetConfig }> {
  const policy = await loadPolicyOrExit(path); // the fleet: section is read with the rest (config/load.ts)
  if (policy.fleet === undefined)
    throw new CliExit(2, `${path} has no fleet: section (endpoints: and friends; see the README, "Fleet")`);
  return { policy, fleet: policy.fleet };
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
