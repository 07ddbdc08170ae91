// The oracle's reading of the timeline and the log: which lines are about which session, what was
// possibly or certainly in force at a moment, and the tolerances that say how wide "possibly" is.
import type { ConfigRecord, DaemonRecord, LogLine, RevocationRecord, SessionRecord, Timeline } from './timeline.js';

/**
 * Every ambiguity window the oracle allows, in ms. Inside a window either outcome is judged right;
 * outside it only the one the contract gives. Defaults are sized for a loaded 2-core machine (the
 * soak itself keeps it busy: su, tmux and mosh-client launches), not for an idle one.
 */
export interface Tolerances {
  /** A certain revocation or idle deadline: SIGTERM sent (or the session gone) within this. */
  endMs: number;
  /** A key sent with tmux reaches the pty (through mosh-client and mosh-server) within this. */
  deliveryMs: number;
  /** A key that reached the pty this shortly before a SIGTERM may not have been read by the daemon yet. */
  inputMs: number;
  /** A config write is applied within this (the daemon waits for 0.3 s of quiet, then reads). */
  reloadMs: number;
  /** A removed revocation line may still bite this long after the removal returned. */
  removeMs: number;
  /** An entry may still bite this long after its until=. */
  lapseMs: number;
  /** Log times vs the soak's clock (same wall clock; rounding to ms). */
  clockMs: number;
  /** Liveness is polled: a session is seen gone at most this late. */
  pollMs: number;
}

export const DEFAULT_TOLERANCES: Tolerances = {
  endMs: 5_000,
  deliveryMs: 2_000,
  inputMs: 1_500,
  reloadMs: 4_000,
  removeMs: 3_000,
  lapseMs: 500,
  clockMs: 50,
  pollMs: 500,
};

export const timeOf = (l: LogLine): number => {
  const at = l.e.signalled_at ?? l.e.time;
  return typeof at === 'string' ? Date.parse(at) : l.receivedAt;
};

/** The log lines about session s (by id when the line has one, else by pid within its life). */
export function linesOf(t: Timeline, s: SessionRecord, events: readonly string[]): LogLine[] {
  const suffix = `/${s.pid}-${s.startTime}`;
  return t.lines.filter((l) => {
    if (!events.includes(String(l.e.event)) || l.e.pid !== s.pid) return false;
    if (typeof l.e.id === 'string') return l.e.id.endsWith(suffix);
    return timeOf(l) >= s.launchedAt && (s.goneAt === null || timeOf(l) <= s.goneAt + 1_000);
  });
}

export function sessionOfLine(t: Timeline, l: LogLine): SessionRecord | undefined {
  return t.sessions.find((s) => linesOf(t, s, [String(l.e.event)]).includes(l));
}

/** The idle_timeout values (s) the daemon may have had at `at`: the last write, and the one before while it may still apply. */
export function possibleIdleTimeouts(configs: readonly ConfigRecord[], at: number, tol: Tolerances): number[] {
  const out: number[] = [];
  configs.forEach((c, i) => {
    const next = configs[i + 1];
    if (c.at0 <= at + tol.clockMs && (!next || at <= next.at1 + tol.reloadMs)) out.push(c.idleTimeoutS);
  });
  return out;
}

/** The time the daemon may have applied a config write by (its reset: warned anew, warn_before again). */
export const appliedBy = (c: ConfigRecord, tol: Tolerances): number => c.at1 + tol.reloadMs;

export function possiblyInForce(r: RevocationRecord, at: number, tol: Tolerances): boolean {
  if (r.at0 > at + tol.clockMs) return false;
  if (r.removed && at > r.removed.at1 + tol.removeMs) return false;
  return r.until === null || at <= r.until + tol.lapseMs;
}

/** When r is certainly out of force (removed or lapsed), or Infinity. */
export function certainlyUntil(r: RevocationRecord): number {
  return Math.min(r.removed ? r.removed.at0 : Infinity, r.until ?? Infinity);
}

/** The daemon's up intervals: from its daemon.start line to the soak's SIGTERM or its exit. */
export function upIntervals(t: Timeline): { instance: DaemonRecord; from: number; to: number }[] {
  return t.daemons
    .filter((d) => d.upAt !== null)
    .map((d) => ({ instance: d, from: d.upAt!, to: d.termAt ?? d.exitedAt ?? t.end }));
}

/** The first moment ≥ at from which the daemon is up for at least `span` ms; null if none before the end. */
export function upFrom(t: Timeline, at: number, span: number): number | null {
  for (const u of upIntervals(t)) {
    const from = Math.max(at, u.from);
    if (from + span <= u.to) return from;
  }
  return null;
}

/** Start of the kernel's 8-second block of a second: tty times only move into a new block (docs/architecture.md). */
export const blockStart = (ms: number): number => Math.floor(ms / 8_000) * 8_000;
