// Attach state, debounced. mosh flips its utmp record to detached ~30 s after the client's last packet,
// and on a reconnect after a longer silence it can flap attached → detached → attached within ~3 s
// (docs/architecture.md). And while libutempter rewrites the record, a reader can find none at all (measured: a scan
// woken by the utmp change saw "unknown", and 1 ms later "detached"). A reconnecting user must never be
// counted (or logged) as detached, so a move away from attached, or from a known state to unknown, is
// believed only once it has lasted HOLD_MS.

import type { Session, SessionState } from './types.js';

export const HOLD_MS = 3_000;

export interface SettledState {
  state: SessionState;
  /** null while held: the caller keeps the time it had. */
  stateSince: number | null;
  /** A change not believed yet: look again at this time. */
  recheckAt: number | null;
}

function held(before: SessionState | null, raw: SessionState): boolean {
  // attached → waiting cannot really happen (waiting is before the first client); if a scan ever reads it,
  // it is as transient as the rest.
  if (before === 'attached') return raw === 'detached' || raw === 'unknown' || raw === 'waiting';
  return before === 'detached' && raw === 'unknown';
}

/**
 * The state to act on, given what the daemon believed before (`before`, null for a session seen for the
 * first time) and what utmp says now. utmp's time is the time of the last flip, so "detached since more
 * than the hold" means "detached without a break for that long". A state without a flip time (unknown,
 * or a record without ut_tv) is held from `changeSeenAt`, the first scan that saw it.
 */
export function settleState(
  before: SessionState | null,
  raw: Pick<Session, 'state' | 'stateSince'>,
  now: number,
  changeSeenAt: number,
): SettledState {
  if (before === null || !held(before, raw.state))
    return { state: raw.state, stateSince: raw.stateSince, recheckAt: null };
  const since = raw.stateSince ?? changeSeenAt;
  const believeAt = since + HOLD_MS;
  if (now >= believeAt) return { state: raw.state, stateSince: since, recheckAt: null };
  // Still as before as far as anyone should act: no detached clock starts, the client address is kept.
  return { state: before, stateSince: null, recheckAt: believeAt };
}
