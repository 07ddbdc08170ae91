// What the user reads on their terminal. Short, says why and when, and how to keep the session.
// \r\n because the pty is in raw mode under most shells' line editors; a bare \n would staircase.
import { formatDuration } from '../core/duration.js';
import type { Reason } from '../core/types.js';

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19) + ' UTC';
}

/** Rounded to whole seconds, never negative. */
function inTime(fromMs: number, toMs: number): string {
  return formatDuration(Math.max(0, Math.round((toMs - fromMs) / 1000)) * 1000);
}

export function warningText(reason: Reason, now: number, endsAt: number, limitMs: number | null): string {
  const when = `in ${inTime(now, endsAt)} (at ${clock(endsAt)})`;
  const limit = limitMs === null ? '' : ` of ${formatDuration(limitMs)}`;
  const body =
    reason === 'idle'
      ? `This mosh session has had no input and will be closed ${when} (idle limit${limit}). Type anything to keep it open.`
      : reason === 'max_age'
        ? `This mosh session has reached its maximum lifetime${limit} and will be closed ${when}. Save your work.`
        : `This mosh session will be closed ${when} (${reason}).`;
  return `\r\n[moshwarden] ${body}\r\n`;
}

export function closingText(reason: Reason, detail: string | null): string {
  const why =
    reason === 'revoked'
      ? 'Access revoked'
      : reason === 'manual'
        ? 'Closed by an administrator'
        : reason === 'schedule'
          ? 'Closed by a scheduled sweep'
          : `Closing (${reason})`;
  return `\r\n[moshwarden] ${why}${detail ? `: ${detail}` : ''}. This mosh session is ending now.\r\n`;
}
