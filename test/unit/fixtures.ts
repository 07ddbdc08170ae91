// Plain-data fixtures shared by the unit tests (not a test file: it holds no tests).
import type { Limits, Session } from '../../src/core/types.js';

export const T0 = Date.UTC(2026, 10, 24, 9, 0, 0);
export const MIN = 60_000;

/** A live, attached session of mw-alice, started and last typed at T0. */
export function sessionAt(over: Partial<Session> = {}): Session {
  return {
    pid: 100,
    startTicks: 1,
    uid: 1001,
    user: 'mw-alice',
    groups: ['mw-alice', 'ops'],
    tty: 'pts/1',
    startedAt: T0,
    from: '198.51.100.7',
    client: '127.0.0.1',
    state: 'attached',
    stateSince: T0,
    port: 60001,
    lastInputAt: T0,
    lastOutputAt: T0,
    id: 'h/100-1',
    comm: 'mosh-server',
    exe: '/usr/bin/mosh-server',
    clients: [],
    pty: { atimeMs: T0, mtimeMs: T0, ctimeMs: T0, atimeWhole: true, mtimeWhole: true },
    ...over,
  };
}

/** Limits with everything off but a 1 s grace: a test switches on what it is about. */
export const NO_LIMITS: Limits = {
  idleTimeoutMs: null,
  countOutput: false,
  warnBeforeMs: null,
  graceMs: 1000,
  maxAgeMs: null,
  detachedTimeoutMs: null,
  exempt: false,
};
