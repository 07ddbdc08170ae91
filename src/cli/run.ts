// moshwarden run: the daemon in the foreground (service/service.ts). Refuses an invalid config with
// exit 2 before anything starts, with the same text check-config prints.
import { limitHeapGrowth } from '../host/heap.js';
import type { Writer } from '../host/output.js';
import { runService } from '../service/service.js';
import { loadPolicyOrExit } from './config-path.js';

export async function runCommand(opts: { configPath: string; dryRun: boolean }, stdout: Writer): Promise<void> {
  const policy = await loadPolicyOrExit(opts.configPath);
  limitHeapGrowth();
  await runService(opts, policy, stdout);
}
