// Misses: every session that was certainly eligible must have been ended within its deadline plus
// tol.endMs. Judged only where the facts are certain for the whole window (the entry stayed in force,
// nothing reset the idle clock, the daemon stayed up); everything else is left unjudged, never guessed.
import { covers } from './targets.js';
import {
  appliedBy,
  certainlyUntil,
  linesOf,
  possibleIdleTimeouts,
  timeOf,
  upFrom,
  upIntervals,
  type Tolerances,
} from './facts.js';
import type { SessionRecord, Timeline } from './timeline.js';

export interface MissReport {
  misses: string[];
  /** Revocation latencies (ms): the line's write (RevocationRecord.writtenAt) → SIGTERM of a live session it covers. */
  latencies: number[];
  judged: { revocation: number; idle: number; grace: number };
}

const rel = (t: Timeline, at: number) => `+${((at - t.start) / 1_000).toFixed(1)} s`;

/** Ended by `by`: a SIGTERM logged (any reason) or seen gone. */
function endedBy(t: Timeline, s: SessionRecord, by: number, tol: Tolerances): boolean {
  if (s.goneAt !== null && s.lastAlive <= by + tol.pollMs) return true;
  return linesOf(t, s, ['session.terminate']).some((l) => timeOf(l) <= by);
}

/** Gone before the window opened, or ended by the soak itself before its deadline: nothing to judge. */
const over = (s: SessionRecord, from: number, deadline: number) =>
  (s.goneAt ?? Infinity) <= from || (s.endedBySoakAt ?? Infinity) <= deadline;

function revocationMisses(t: Timeline, tol: Tolerances, out: MissReport): void {
  for (const r of t.revocations) {
    for (const s of t.sessions.filter((x) => covers(r.target, x))) {
      const from = upFrom(t, Math.max(r.at1, s.launchedBy), tol.endMs);
      if (from === null) continue;
      const deadline = from + tol.endMs;
      if (certainlyUntil(r) < deadline || over(s, from, deadline)) continue;
      out.judged.revocation++;
      if (!endedBy(t, s, deadline, tol))
        out.misses.push(
          `${s.user} pid ${s.pid}: revoked by ${r.target} at ${rel(t, r.at1)}, still on at ${rel(t, deadline)}`,
        );
      const term = linesOf(t, s, ['session.terminate']).find((l) => timeOf(l) >= r.at0);
      if (r.writtenAt !== null && term && s.launchedBy <= r.at0 && from === r.at1 && term.e.reason === 'revoked')
        out.latencies.push(timeOf(term) - r.writtenAt);
    }
  }
}

/** The latest the last input can be at `at`: a key sets it to its arrival, a set-back only ever lowers it. */
function inputUpperBound(s: SessionRecord, at: number, tol: Tolerances): number {
  const ops = [
    ...s.setbacks.filter((x) => x.at1 <= at).map((x) => ({ t: x.at1, set: x.atime })),
    ...s.typings.filter((k) => k.at1 + tol.deliveryMs <= at).map((k) => ({ t: k.at1 + tol.deliveryMs, key: 0 })),
  ].sort((a, b) => a.t - b.t);
  let hi = s.launchedBy;
  for (const op of ops) hi = 'set' in op ? Math.min(hi, op.set) : op.t;
  return hi;
}

/**
 * Idle: between two changes of the session's facts (a set-back, a key, a config write, a daemon start
 * or stop), the deadline is the later of its last input + idle_timeout and the last reset + warn_before.
 */
function idleMisses(t: Timeline, tol: Tolerances, out: MissReport): void {
  const ups = upIntervals(t);
  const warn = t.warnBeforeS * 1_000;
  for (const s of t.sessions) {
    const changes = [
      s.launchedBy,
      ...s.setbacks.map((x) => x.at1),
      ...s.typings.map((k) => k.at1 + tol.deliveryMs),
      ...t.configs.map((c) => appliedBy(c, tol)),
      ...ups.flatMap((u) => [u.from, u.to]),
    ]
      .filter((c) => c >= s.launchedAt)
      .sort((a, b) => a - b);
    for (let i = 0; i < changes.length; i++) {
      const c = changes[i]!;
      const next = changes[i + 1] ?? t.end;
      const up = ups.find((u) => u.from <= c && c < u.to);
      if (!up) continue;
      const inputHi = inputUpperBound(s, c, tol);
      const limit = Math.max(...possibleIdleTimeouts(t.configs, c, tol)) * 1_000;
      // A reset: the daemon could not have warned before it (a new daemon, a new limit, a set-back
      // that makes the session idle at once), so the end comes warn_before after it at the earliest.
      const resets = [up.from, ...s.setbacks.map((x) => x.at1), ...t.configs.map((x) => appliedBy(x, tol))].filter(
        (r) => r <= c,
      );
      const deadline = Math.max(inputHi + limit, Math.max(...resets) + warn) + tol.endMs;
      if (deadline >= next || deadline >= up.to || over(s, c, deadline)) continue;
      out.judged.idle++;
      if (!endedBy(t, s, deadline, tol))
        out.misses.push(`${s.user} pid ${s.pid}: idle since ${rel(t, inputHi)}, still on at ${rel(t, deadline)}`);
      break; // once judged, later segments only repeat it
    }
  }
}

/** After a SIGTERM the session must be gone within grace (SIGKILL), or, if the daemon stopped meanwhile, once the next one redid it. */
function graceMisses(t: Timeline, tol: Tolerances, out: MissReport): void {
  const ups = upIntervals(t);
  for (const s of t.sessions) {
    const term = linesOf(t, s, ['session.terminate'])[0];
    if (!term) continue;
    const at = timeOf(term);
    let deadline = at + t.graceS * 1_000 + tol.endMs;
    const stopped = ups.find((u) => u.to >= at && u.to <= deadline);
    if (stopped) {
      // The next daemon finds it again: revoked at once, idle after a new warning.
      const restarted = ups.find((u) => u.from >= stopped.to);
      if (!restarted) continue;
      deadline = restarted.from + (t.warnBeforeS + t.graceS) * 1_000 + tol.endMs;
    }
    if (deadline > t.end) continue;
    out.judged.grace++;
    if (s.goneAt === null || s.lastAlive > deadline + tol.pollMs)
      out.misses.push(`${s.user} pid ${s.pid}: SIGTERM at ${rel(t, at)}, still alive at ${rel(t, deadline)}`);
  }
}

export function misses(t: Timeline, tol: Tolerances): MissReport {
  const out: MissReport = { misses: [], latencies: [], judged: { revocation: 0, idle: 0, grace: 0 } };
  revocationMisses(t, tol, out);
  idleMisses(t, tol, out);
  graceMisses(t, tol, out);
  return out;
}
