// The soak's plan: everything it will do, drawn from one seed before anything runs (pure), so the same
// seed gives the same plan. Times are offsets in ms from the soak's start.
import { rng, type Rng } from './rng.js';

export const USERS = ['mw-test-alice', 'mw-test-bob', 'mw-test-carol', 'mw-test-mallory'] as const;
export const GROUPS = ['mw-test-contractors', 'mw-test-breakglass'] as const;
/** ssh origins: TEST-NET-1 and the IPv6 documentation range, which no other e2e test uses. */
export const ORIGINS = ['192.0.2.10', '192.0.2.77', '192.0.2.140', '192.0.2.200', '2001:db8::5', '2001:db8:0:1::9'];
/** from: ranges; none covers 127.0.0.1, so the clients' address never matters. */
export const CIDRS = ['192.0.2.0/26', '192.0.2.128/25', '192.0.2.77', '2001:db8::/64'];
export const TARGET_KINDS = ['user', 'bare', 'uid', 'group', 'from', 'session'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];
export const IDLE_TIMEOUTS = [20, 30, 40] as const;

/** mosh-server exits by itself 60 s after its start when no client ever connects: end before that. */
export const NO_CLIENT_LIFETIME_MAX_MS = 50_000;

export type SessionOp =
  { at: number; op: 'setback'; seconds: number } | { at: number; op: 'type' } | { at: number; op: 'stop' };

export interface PlannedSession {
  idx: number;
  at: number;
  user: string;
  origin: string;
  client: boolean;
  lifetimeMs: number;
  /** Offsets from the session's own start. */
  ops: SessionOp[];
}

export interface PlannedRevocation {
  idx: number;
  at: number;
  kind: TargetKind;
  /** A user, a group, a CIDR, or (session) the index of a planned session. */
  value: string;
  holdMs: number;
  end: 'unrevoke' | 'rename' | 'until';
  via: 'cli' | 'append';
}

export type DaemonOp =
  | { at: number; op: 'sighup' }
  | { at: number; op: 'config'; idleTimeoutS: number; how: 'write' | 'rename' }
  | { at: number; op: 'restart-mid-grace' };

export interface Plan {
  seed: number;
  seconds: number;
  idleTimeoutS: number;
  sessions: PlannedSession[];
  revocations: PlannedRevocation[];
  daemonOps: DaemonOp[];
}

function sessionOps(r: Rng, client: boolean, lifetimeMs: number): SessionOp[] {
  const ops: SessionOp[] = [];
  if (!client) {
    if (r.chance(0.7)) ops.push({ at: r.int(1_000, 8_000), op: 'setback', seconds: r.int(5, 50) });
    if (r.chance(0.25)) ops.push({ at: r.int(9_000, 20_000), op: 'setback', seconds: r.int(10, 60) });
    if (r.chance(0.15)) ops.push({ at: r.int(2_000, 10_000), op: 'stop' });
  } else {
    // After the attach (a few seconds): typing keeps it alive, set-backs make it idle.
    let lastSetback = -Infinity;
    for (let at = r.int(4_000, 9_000); at < lifetimeMs - 2_000; at += r.int(4_000, 15_000)) {
      if (r.chance(0.6) && at - lastSetback >= 3_000) ops.push({ at, op: 'type' });
      else {
        ops.push({ at, op: 'setback', seconds: r.int(10, 50) });
        lastSetback = at;
      }
    }
  }
  return ops.filter((o) => o.at < lifetimeMs).sort((a, b) => a.at - b.at);
}

export function makePlan(seed: number, seconds: number): Plan {
  const r = rng(seed);
  const end = seconds * 1_000;
  const sessions: PlannedSession[] = [];
  for (let at = 500; at < end - 8_000; at += r.int(800, 4_200)) {
    const client = r.chance(0.35);
    const lifetimeMs = client ? r.int(30_000, 120_000) : r.int(15_000, NO_CLIENT_LIFETIME_MAX_MS);
    const life = Math.min(lifetimeMs, Math.max(5_000, end - at - 3_000));
    sessions.push({
      idx: sessions.length,
      at,
      user: r.pick(USERS),
      origin: r.pick(ORIGINS),
      client,
      lifetimeMs: life,
      ops: sessionOps(r, client, life),
    });
  }

  // Every target kind in turn (shuffled per round), some appended together with the next one.
  const revocations: PlannedRevocation[] = [];
  let kinds: TargetKind[] = [];
  for (let at = 3_000; at < end - 6_000;) {
    if (!kinds.length) kinds = [...TARGET_KINDS].sort(() => r.next() - 0.5);
    const kind = kinds.pop()!;
    const recent = sessions.filter((s) => s.at < at && s.at > at - 20_000);
    const value =
      kind === 'group'
        ? r.pick(GROUPS)
        : kind === 'from'
          ? r.pick(CIDRS)
          : kind === 'session'
            ? String(recent.length ? r.pick(recent).idx : -1)
            : r.pick(USERS);
    revocations.push({
      idx: revocations.length,
      at,
      kind,
      value,
      holdMs: r.int(3_000, 15_000),
      end: r.pick(['unrevoke', 'rename', 'until'] as const),
      via: r.chance(0.5) ? 'cli' : 'append',
    });
    at += r.chance(0.3) ? 0 : r.int(5_000, 14_000); // 0: appended concurrently with the next
  }

  const daemonOps: DaemonOp[] = [];
  for (let at = r.int(10_000, 30_000); at < end - 5_000; at += r.int(20_000, 60_000))
    daemonOps.push({ at, op: 'sighup' });
  let idle: number = r.pick(IDLE_TIMEOUTS);
  const idleTimeoutS = idle;
  for (let at = r.int(15_000, 40_000); at < end - 5_000; at += r.int(30_000, 90_000)) {
    idle = r.pick(IDLE_TIMEOUTS.filter((t) => t !== idle));
    daemonOps.push({ at, op: 'config', idleTimeoutS: idle, how: r.chance(0.5) ? 'write' : 'rename' });
  }
  // Restarts in the first half only, so the last daemon runs long enough for its RSS and fds to mean something.
  const restarts = Math.max(1, Math.floor(seconds / 150));
  for (let i = 1; i <= restarts; i++) {
    daemonOps.push({ at: Math.round(((end / 2) * i) / (restarts + 1)) + r.int(0, 3_000), op: 'restart-mid-grace' });
  }
  daemonOps.sort((a, b) => a.at - b.at);
  return { seed, seconds, idleTimeoutS, sessions, revocations, daemonOps };
}
