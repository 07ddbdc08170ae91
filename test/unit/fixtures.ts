// Plain-data fixtures shared by the unit tests (not a test file: it holds no tests).
import type { Limits, Policy, Session } from '../../src/core/types.js';

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

/** A daemon policy: 30m idle, 2m warning, 10 s grace, 5 s scans, no rules; `defaults` and `over` change it. */
export function policyWith(defaults: Partial<Limits> = {}, over: Partial<Policy> = {}): Policy {
  return {
    scanIntervalMs: 5_000,
    dryRun: false,
    revocationFile: '/nonexistent',
    defaults: {
      idleTimeoutMs: 30 * MIN,
      countOutput: false,
      warnBeforeMs: 2 * MIN,
      graceMs: 10_000,
      maxAgeMs: null,
      detachedTimeoutMs: null,
      exempt: false,
      ...defaults,
    },
    rules: [],
    schedules: [],
    log: { level: 'info', auditFile: null },
    metrics: { textfile: null },
    ...over,
  };
}
