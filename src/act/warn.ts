// act, part one: write the warning of a `warn` verdict to the session's terminal, and log it.
import type { Session, WarnVerdict, WarningRecord } from '../core/types.js';
import type { Logger } from '../log/events.js';
import { sessionFields } from '../log/fields.js';
import { warningText } from './messages.js';

/** The result of a pty write: the pty's mtime before/after, so our own output can be discounted. */
export type PtyWrite =
  { ok: true; mtimeBefore: number | null; mtimeAfter: number | null } | { ok: false; code: string };

export interface WarnDeps {
  log: Logger;
  /** Writes text to the session's pty; `times` false skips the two stats (closing lines in a batch). */
  write(tty: string, text: string, times?: boolean): PtyWrite;
  dryRun: boolean;
}

export interface WarnResult {
  record: WarningRecord;
  /** pty mtime before/after our write: an mtime equal to `after` is our own output, not the user's. */
  ownWrite: { before: number; after: number } | null;
}

/** Writes the warning for a `warn` verdict. Returns null when it could not be written (then: no kill yet). */
export function warn(s: Session, verdict: WarnVerdict, now: number, deps: WarnDeps): WarnResult | null {
  const { reason, limit } = verdict;
  const fields = {
    event: 'session.warn' as const,
    ...sessionFields(s),
    reason,
    at: new Date(verdict.at).toISOString(),
    rule: verdict.rule,
  };
  const record: WarningRecord = { reason, at: now, basis: limit.basis };
  if (deps.dryRun) {
    deps.log.info({ ...fields, dry_run: true }, 'would warn');
    return { record, ownWrite: null };
  }
  if (s.tty === null) return null;
  const res = deps.write(s.tty, warningText(reason, now, verdict.at, limit.limitMs));
  if (!res.ok) {
    // Fail safe: without a warning on screen the session is not ended; the next evaluation tries again.
    deps.log.warn(
      { event: 'session.warn_failed', ...sessionFields(s), reason, code: res.code },
      'could not write the warning',
    );
    return null;
  }
  deps.log.info({ ...fields, dry_run: false }, 'warned');
  const ownWrite =
    res.mtimeBefore !== null && res.mtimeAfter !== null ? { before: res.mtimeBefore, after: res.mtimeAfter } : null;
  return { record, ownWrite };
}
