// A policy and a session for the tests of the sessions views (table, JSON, --watch).
import type { Policy, Session } from '../../../src/core/types.js';

export const MIN = 60_000;
export const T = Date.UTC(2026, 10, 24, 9, 0, 0);
export const policy: Policy = {
  scanIntervalMs: 5000,
  dryRun: false,
  revocationFile: '/x',
  rules: [],
  schedules: [],
  defaults: {
    idleTimeoutMs: 30 * MIN,
    countOutput: false,
    warnBeforeMs: 2 * MIN,
    graceMs: 10_000,
    maxAgeMs: null,
    detachedTimeoutMs: 60 * MIN,
    exempt: false,
  },
  log: { level: 'info', auditFile: null },
  metrics: { textfile: null },
};
export const session = (over: Partial<Session>): Session => ({
  pid: 4242,
  startTicks: 1,
  uid: 1001,
  user: 'mw-alice',
  groups: ['mw-alice'],
  tty: 'pts/3',
  startedAt: T - 60 * MIN,
  from: '198.51.100.7',
  client: null,
  state: 'detached',
  stateSince: T - 12 * MIN,
  port: 60001,
  lastInputAt: T - 20 * MIN,
  lastOutputAt: T - MIN,
  id: 'web-17/4242-1',
  comm: 'mosh-server',
  exe: '/usr/bin/mosh-server',
  clients: [],
  pty: null,
  ...over,
});
