// What a config reload changes, decided purely from the old and the new policy (service/wire.ts
// applies it). A reload applies to live sessions at once: every session is decided again.
import { sameData } from '../core/equal.js';
import type { LogLevel, Policy } from '../core/types.js';

/** `signal`: SIGHUP (always reports the outcome). `watch`: the file changed (quiet when nothing did). */
export type ReloadTrigger = 'signal' | 'watch';

export interface ReloadPlan {
  /** False when nothing is to be done or logged (the watch saw a save that changed nothing). */
  apply: boolean;
  /** The new stdout log level, or null when unchanged. */
  logLevel: LogLevel | null;
  /** The new audit file path (null: none), or undefined when unchanged. */
  auditFile: string | null | undefined;
  /** The cron tasks must be restarted. */
  schedules: boolean;
  /** The new revocation file path, or null when unchanged. */
  revocationFile: string | null;
  /** The `fleet:` section appeared, went or changed: its sources, ids and sessions file follow. */
  fleet: boolean;
}

export function planReload(previous: Policy, next: Policy, trigger: ReloadTrigger): ReloadPlan {
  const changed = !sameData(previous, next);
  return {
    apply: changed || trigger === 'signal',
    logLevel: next.log.level !== previous.log.level ? next.log.level : null,
    auditFile: next.log.auditFile !== previous.log.auditFile ? next.log.auditFile : undefined,
    schedules: !sameData(previous.schedules, next.schedules),
    revocationFile: next.revocationFile !== previous.revocationFile ? next.revocationFile : null,
    fleet: !sameData(previous.fleet ?? null, next.fleet ?? null),
  };
}

/**
 * Whether to log a rejected config: always on SIGHUP; from the watch, once per bad version of the
 * file (an editor saving twice must not log the same errors twice). Returns what to remember.
 */
export function reportRejection(
  lastBad: string | null,
  errors: readonly string[],
  trigger: ReloadTrigger,
): { report: boolean; lastBad: string } {
  const text = errors.join('\n');
  return { report: trigger === 'signal' || text !== lastBad, lastBad: text };
}

/** `--dry-run` on the command line wins over `dry_run: false` in the file, on every reload. */
export function withFlags(policy: Policy, flags: { dryRun: boolean }): Policy {
  return flags.dryRun && !policy.dryRun ? Object.freeze({ ...policy, dryRun: true }) : policy;
}
