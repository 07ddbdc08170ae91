// Wrong kills: every session.terminate / session.kill in the daemon's log is checked against what the
// soak did. A line is right only if the session was eligible then, with that reason, by the contract
// (docs/contract.md): idle past idle_timeout and warned warn_before earlier, or covered by a revocation
// in force. Ambiguous moments are judged with the windows of facts.ts.
import { canonical, covers } from './targets.js';
import {
  blockStart,
  linesOf,
  possibleIdleTimeouts,
  possiblyInForce,
  sessionOfLine,
  timeOf,
  type Tolerances,
} from './facts.js';
import type { LogLine, SessionRecord, Timeline } from './timeline.js';

const WARNS = ['session.warn', 'session.warn_failed'];

/** A key is surely read by the daemon at `at` once it reached the pty inputMs earlier. */
const surelySeen = (k: { at1: number }, at: number, tol: Tolerances) => k.at1 + tol.deliveryMs + tol.inputMs <= at;

/**
 * The earliest the daemon can rightly take as the last input at `at`: set-backs make it earlier, a key
 * it has surely read makes it at least the start of that key's 8-second block (the kernel moves a tty
 * time only into a new block, so a key in the block of the last one leaves the time where it was).
 */
export function inputLowerBound(t: Timeline, s: SessionRecord, at: number, tol: Tolerances): number {
  const ops = [
    ...s.setbacks.filter((x) => x.at0 <= at).map((x) => ({ t: x.at0, set: x.atime })),
    ...s.typings.filter((k) => surelySeen(k, at, tol)).map((k) => ({ t: k.at0, key: blockStart(k.at0) })),
  ].sort((a, b) => a.t - b.t);
  let lo = s.launchedAt - 1_000; // the pty's creation, believed at first sight
  for (const op of ops) lo = 'set' in op ? Math.min(lo, op.set) : Math.max(lo, op.key);
  return lo;
}

function judgeIdle(t: Timeline, s: SessionRecord, l: LogLine, tol: Tolerances): string | null {
  const at = timeOf(l);
  const limits = possibleIdleTimeouts(t.configs, at, tol);
  if (!limits.length) return 'no idle_timeout in force';
  const limit = Math.min(...limits) * 1_000;
  const idle = at - inputLowerBound(t, s, at, tol);
  if (idle < limit - tol.clockMs)
    return `idle at most ${(idle / 1_000).toFixed(1)} s < idle_timeout ${limit / 1_000} s`;
  const warnBefore = t.warnBeforeS * 1_000;
  const warns = linesOf(t, s, WARNS).filter((w) => w.e.reason === 'idle' && timeOf(w) <= at - warnBefore + tol.clockMs);
  const last = warns.at(-1);
  if (!last) return `no idle warning ${t.warnBeforeS} s before`;
  const typed = s.typings.find((k) => k.at0 > timeOf(last) && surelySeen(k, at, tol));
  if (typed) return `keys typed ${((typed.at0 - timeOf(last)) / 1_000).toFixed(1)} s after the last warning`;
  return null;
}

function judgeRevoked(t: Timeline, s: SessionRecord, l: LogLine, tol: Tolerances): string | null {
  const at = timeOf(l);
  const named = (l.e.revocation as { target?: unknown } | undefined)?.target;
  const inForce = t.revocations.filter(
    (r) =>
      covers(r.target, s) &&
      possiblyInForce(r, at, tol) &&
      (typeof named !== 'string' || canonical(named) === canonical(r.target)),
  );
  return inForce.length ? null : `no revocation ${String(named ?? '')} covering it was in force`;
}

function judgeKill(t: Timeline, s: SessionRecord, l: LogLine, tol: Tolerances): string | null {
  const at = timeOf(l);
  const stop = t.lines.find((x) => x.instance === l.instance && x.e.event === 'daemon.stop');
  if (stop && timeOf(stop) <= at) return 'SIGKILL after daemon.stop';
  const term = linesOf(t, s, ['session.terminate'])
    .filter((x) => x.instance === l.instance && timeOf(x) <= at)
    .at(-1);
  if (!term) return 'SIGKILL without a SIGTERM from the same daemon';
  if (term.e.reason !== l.e.reason)
    return `SIGKILL reason ${String(l.e.reason)} after SIGTERM ${String(term.e.reason)}`;
  // Both in ms: log times (rounded, and the kill's is taken after kill(2): it can only look later) and
  // the daemon's own after_ms. Neither may be short of grace (the grace period is a promise to the user).
  const after = at - timeOf(term);
  const own = typeof l.e.after_ms === 'number' ? l.e.after_ms : Infinity;
  if (after < t.graceS * 1_000 - 2 || own < t.graceS * 1_000)
    return `SIGKILL ${Math.min(after, own)} ms after SIGTERM (grace ${t.graceS} s)`;
  return null;
}

/** One string per wrong kill: `event pid user: why`. */
export function wrongKills(t: Timeline, tol: Tolerances): string[] {
  const out: string[] = [];
  for (const l of t.lines) {
    const event = String(l.e.event);
    if (event !== 'session.terminate' && event !== 'session.kill') continue;
    const s = sessionOfLine(t, l);
    const who = `${event} pid ${String(l.e.pid)} (${String(l.e.user)}, ${String(l.e.reason)}) at +${((timeOf(l) - t.start) / 1_000).toFixed(1)} s`;
    if (!s) {
      const look = t.lookAlikes.find((a) => a.pid === l.e.pid);
      // Started in the same clock tick as a soak session of the same user: one of its forks (forkpty's
      // child before it execs the shell, or the utempter fork), which is never a session of its own.
      const ticks = typeof l.e.id === 'string' ? l.e.id.slice(l.e.id.lastIndexOf('-') + 1) : null;
      const twin = t.sessions.find((x) => x.startTime === ticks && x.user === l.e.user && x.pid !== l.e.pid);
      const what = look
        ? `a look-alike (${look.what})`
        : twin
          ? `not a session: started with soak session ${twin.pid} (a fork of it?)`
          : 'not a session of the soak';
      out.push(`${who}: ${what}`);
      continue;
    }
    const why =
      event === 'session.kill'
        ? judgeKill(t, s, l, tol)
        : l.e.reason === 'idle'
          ? judgeIdle(t, s, l, tol)
          : l.e.reason === 'revoked'
            ? judgeRevoked(t, s, l, tol)
            : `reason ${String(l.e.reason)} is not in the soak's policy`;
    if (why) out.push(`${who}: ${why}`);
  }
  return out;
}
