// moshwarden's config schema: which keys exist where, how each is read, and its default, each written once
// here. spec.ts makes both the reading and the default policy out of these declarations; README.md
// ("Configuration") and config.example.yaml document the same keys and defaults.

import type { Limits, LogLevel, Policy, Rule, Schedule, SweepTarget } from '../core/types.js';
import { INVALID } from './reader.js';
import {
  fixed,
  ifWritten,
  inline,
  items,
  map,
  optional,
  required,
  section,
  writtenOnly,
  type MapSpec,
  type Shape,
} from './spec.js';
import { absolutePath, bool, cron, duration, durationOrOff, names, oneOf, optionalPath, timezone } from './values.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
export const SWEEP_TARGETS: readonly SweepTarget[] = ['detached', 'all'];

/** The limits `defaults:` sets and a rule may override. */
const LIMITS: Shape<Omit<Limits, 'exempt'>> = {
  idleTimeoutMs: optional('idle_timeout', durationOrOff, 30 * MINUTE),
  countOutput: optional('count_output', bool, false),
  warnBeforeMs: optional('warn_before', durationOrOff, 2 * MINUTE),
  graceMs: optional('grace', duration(), 10 * SECOND),
  maxAgeMs: optional('max_age', durationOrOff, null),
  detachedTimeoutMs: optional('detached_timeout', durationOrOff, null),
};

const RULE = map<Omit<Rule, 'index'>>(
  {
    users: optional('users', names('user'), []),
    groups: optional('groups', names('group'), []),
    // Only the keys the rule writes: the rest come from defaults when the rule is applied.
    overrides: inline<Partial<Limits>>({ exempt: ifWritten('exempt', bool), ...writtenOnly(LIMITS) }),
  },
  {
    notMap: 'a rule must be a map with users: and/or groups:',
    // Never let a rule silently apply to everyone (an exempt rule would switch enforcement off).
    check: ({ users, groups }, has) => {
      if (users === INVALID || groups === INVALID || users.length > 0 || groups.length > 0) return undefined;
      const message =
        has('users') || has('groups')
          ? 'users and groups are both empty; a rule must name at least one user or group (it would match everyone)'
          : 'a rule needs users: or groups: (without them it would match everyone)';
      return { code: 'MISSING_SELECTOR', message };
    },
  },
);

// Empty selectors are fine here: a sweep is explicit, so "everyone" is what the operator asked for.
const SCHEDULE = map<Omit<Schedule, 'index'>>(
  {
    cron: required('cron', cron, 'a schedule needs cron: (like "0 3 * * *")'),
    timezone: optional('timezone', timezone, null),
    terminate: required('terminate', oneOf(SWEEP_TARGETS), 'a schedule needs terminate: detached or all'),
    users: optional('users', names('user'), []),
    groups: optional('groups', names('group'), []),
  },
  { notMap: 'a schedule must be a map with cron: and terminate:' },
);

/** The whole file. `fleet:` is read by src/fleet/config.ts (config/load.ts joins the two). */
export const POLICY: MapSpec<Omit<Policy, 'fleet'>> = map<Omit<Policy, 'fleet'>>(
  {
    scanIntervalMs: optional('scan_interval', duration({ minMs: SECOND }), 5 * SECOND),
    dryRun: optional('dry_run', bool, false),
    revocationFile: optional('revocation_file', absolutePath, '/etc/moshwarden/revoked'),
    defaults: section<Limits>(
      'defaults',
      { ...LIMITS, exempt: fixed(false) },
      { hints: { exempt: 'exempt is only allowed in a rule (rules:), not in defaults' } },
    ),
    rules: items('rules', RULE, 'a list of rules (each item starting with "- ")'),
    schedules: items('schedules', SCHEDULE, 'a list of schedules (each item starting with "- ")'),
    log: section('log', {
      level: optional('level', oneOf(LOG_LEVELS), 'info'),
      auditFile: optional('audit_file', optionalPath, null),
    }),
    metrics: section('metrics', { textfile: optional('textfile', optionalPath, null) }),
  },
  {
    notMap: 'the config must be a map of keys like "scan_interval: 5s"',
    emptyOk: true,
    // Validated, with positions, by the fleet commands' own reader (src/fleet/config.ts, docs/fleet.md).
    readElsewhere: ['fleet'],
  },
);

/** The limits of a session no rule matches, when the config sets none. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze(POLICY.defaults().defaults);
