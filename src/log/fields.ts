// The fields log lines about a session carry (docs/contract.md, "Log events"). Built in one place so the
// daemon and the CLI write the same shape.
import { lastActivity } from '../core/decide.js';
import type { EndVerdict, Reason, Revocation, Session } from '../core/types.js';
import { targetText } from '../revocation/parse.js';

/** Every session line carries event, id, pid, user, uid and tty. */
export function sessionFields(s: Session): {
  id: string;
  pid: number;
  user: string | null;
  uid: number;
  tty: string | null;
} {
  return { id: s.id, pid: s.pid, user: s.user, uid: s.uid, tty: s.tty };
}

/** `warned` on session.terminate: whether the warning reached the terminal; null when none applies. */
export function warnedField(v: EndVerdict): boolean | null {
  return 'warning' in v && v.warning !== null ? v.warning.delivered : null;
}

/** Seconds since the activity the limits count, or null when the pty's times are unknown. */
export function idleSeconds(s: Session, countOutput: boolean, now: number): number | null {
  const last = lastActivity(s, countOutput);
  return last === null ? null : Math.max(0, Math.round((now - last) / 1000));
}

/** `revocation: {target, line, reason}` on the lines about a revoked session. */
export function revocationFields(r: Revocation | undefined): object {
  return r ? { revocation: { target: targetText(r.target), line: r.line, reason: r.reason } } : {};
}

/** The session.end line: reason null when the session ended by itself. */
export function endFields(s: Session, now: number, reason: Reason | null) {
  return {
    event: 'session.end' as const,
    ...sessionFields(s),
    duration_seconds: Math.round((now - s.startedAt) / 1000),
    reason,
  };
}
