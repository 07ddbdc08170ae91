// moshwarden check-config [FILE]: validate, print the errors or a summary of what the policy means.
import { formatDuration } from '../core/duration.js';
import type { Limits, Policy } from '../core/types.js';
import type { Writer } from '../host/output.js';
import { loadPolicyOrExit } from './config-path.js';

function limitsText(l: Partial<Limits>): string {
  const parts: string[] = [];
  if (l.exempt) parts.push('exempt');
  if (l.idleTimeoutMs !== undefined) parts.push(`idle_timeout ${formatDuration(l.idleTimeoutMs)}`);
  if (l.warnBeforeMs !== undefined) parts.push(`warn_before ${formatDuration(l.warnBeforeMs)}`);
  if (l.countOutput !== undefined) parts.push(`count_output ${l.countOutput}`);
  if (l.graceMs !== undefined) parts.push(`grace ${formatDuration(l.graceMs)}`);
  if (l.maxAgeMs !== undefined) parts.push(`max_age ${formatDuration(l.maxAgeMs)}`);
  if (l.detachedTimeoutMs !== undefined) parts.push(`detached_timeout ${formatDuration(l.detachedTimeoutMs)}`);
  return parts.join(', ');
}

export function policySummary(path: string, p: Policy): string {
  const lines = [
    `${path}: OK`,
    `  scan every ${formatDuration(p.scanIntervalMs)}${p.dryRun ? ', DRY RUN (nothing is signalled)' : ''}`,
    `  revocations from ${p.revocationFile}`,
    `  defaults: ${limitsText(p.defaults)}`,
    ...p.rules.map((r) => {
      const who = [
        r.users.length ? `users ${r.users.join(',')}` : '',
        r.groups.length ? `groups ${r.groups.join(',')}` : '',
      ]
        .filter(Boolean)
        .join(' or ');
      return `  rule ${r.index}: ${who} -> ${limitsText(r.overrides) || 'defaults'}`;
    }),
    ...p.schedules.map(
      (s) => `  schedule ${s.index}: "${s.cron}"${s.timezone ? ` (${s.timezone})` : ''} terminate ${s.terminate}`,
    ),
  ];
  return lines.join('\n');
}

export async function checkConfig(path: string, out: Writer): Promise<void> {
  const policy = await loadPolicyOrExit(path);
  out.write(policySummary(path, policy) + '\n');
}
