// Attach state, debounced. mosh flips its utmp record to detached ~30 s after the client's last packet,
// and on a reconnect after a longer silence it can flap attached → detached → attached within ~3 s
// (DESIGN.md). A reconnecting user must never be counted (or logged) as detached, so a change from
// attached to detached is believed only once utmp has said so for DETACH_HOLD_MS.

import type { Session, SessionState } from './types.js';

export const DETACH_HOLD_MS = 3_000;

export interface SettledState {
  state: SessionState;
  stateSince: number | null;
  /** A detach not believed yet: look again at this time. */
  recheckAt: number | null;
}

/**
 * The state to act on, given what the daemon believed before (`before`, null for a session seen for the
 * first time) and what utmp says now. utmp's time is the time of the last flip, so "detached since more
 * than the hold" means "detached without a break for that long": no memory beyond `before` is needed.
 * An unknown flip time (no ut_tv) is held from `firstSeenDetached`, the first scan that saw it.
 */
export function settleState(
  before: SessionState | null,
  raw: Pick<Session, 'state' | 'stateSince'>,
  now: number,
  firstSeenDetached: number,
): SettledState {
  if (before !== 'attached' || raw.state !== 'detached') return { state: raw.state, stateSince: raw.stateSince, recheckAt: null };
  const since = raw.stateSince ?? firstSeenDetached;
  const believeAt = since + DETACH_HOLD_MS;
  if (now >= believeAt) return { state: 'detached', stateSince: raw.stateSince ?? firstSeenDetached, recheckAt: null };
  // Still attached as far as anyone should act: no detached clock runs, the client address is kept.
  return { state: 'attached', stateSince: null, recheckAt: believeAt };
}
