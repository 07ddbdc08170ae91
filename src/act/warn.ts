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
  /** The attempt, delivered or not: the deadline counts from it either way. */
  record: WarningRecord;
  /** Why it was not delivered (EACCES: `mesg n`, or a pty the daemon may not write), null if it was. */
  code: string | null;
  /** pty mtime before/after our write: an mtime equal to `after` is our own output, not the user's. */
  ownWrite: { before: number; after: number } | null;
}

/**
 * Writes the warning for a `warn` verdict, once per limit period. The warning is a courtesy: whether it
 * reached the terminal or was refused (`mesg n`: EACCES), the attempt is recorded and the session ends
 * warn_before after it (core/decide.ts). A refusal is logged as session.warn_failed; the next attempt
 * comes only with the next period (the user typed, or a new limit applies).
 */
export function warn(s: Session, verdict: WarnVerdict, now: number, deps: WarnDeps): WarnResult {
  const { reason, limit } = verdict;
  const fields = {
    event: 'session.warn' as const,
    ...sessionFields(s),
    reason,
    at: new Date(verdict.at).toISOString(),
    rule: verdict.rule,
  };
  const attempt = (delivered: boolean): WarningRecord => ({ reason, at: now, basis: limit.basis, delivered });
  if (deps.dryRun) {
    deps.log.info({ ...fields, dry_run: true }, 'would warn');
    return { record: attempt(true), ownWrite: null, code: null };
  }
  const res: PtyWrite =
    s.tty === null
      ? { ok: false, code: 'NOTTY' }
      : deps.write(s.tty, warningText(reason, now, verdict.at, limit.limitMs));
  if (!res.ok) {
    deps.log.warn(
      { ...fields, event: 'session.warn_failed', code: res.code },
      `could not write the warning (${res.code}); the session still ends at ${fields.at}`,
    );
    return { record: attempt(false), ownWrite: null, code: res.code };
  }
  deps.log.info({ ...fields, dry_run: false }, 'warned');
  const ownWrite =
    res.mtimeBefore !== null && res.mtimeAfter !== null ? { before: res.mtimeBefore, after: res.mtimeAfter } : null;
  return { record: attempt(true), ownWrite, code: null };
}
