import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../../src/config/load.js';
import type { Policy } from '../../../src/core/types.js';
import { planReload, reportRejection, withFlags } from '../../../src/service/reload.js';

function policy(yaml: string): Policy {
  const res = parseConfig(yaml, 'test.yaml');
  if (!res.ok) throw new Error(JSON.stringify(res.errors));
  return res.policy;
}

const base = policy('scan_interval: 5s\n');

test('a save that changes nothing is not applied from the watch, but is on SIGHUP', () => {
  const same = policy('scan_interval: 5s\n# a comment\n');
  assert.equal(planReload(base, same, 'watch').apply, false);
  assert.equal(planReload(base, same, 'signal').apply, true);
});

test('a changed limit is applied, and touches nothing else', () => {
  const plan = planReload(base, policy('defaults:\n  idle_timeout: 10m\n'), 'watch');
  assert.deepEqual(plan, {
    apply: true,
    logLevel: null,
    auditFile: undefined,
    schedules: false,
    revocationFile: null,
    fleet: false,
  });
});

test('log level, audit file, schedules and revocation file changes are each named', () => {
  const next = policy(
    [
      'revocation_file: /tmp/other',
      'schedules:',
      '  - cron: "0 3 * * *"',
      '    terminate: all',
      'log:',
      '  level: debug',
      '  audit_file: /var/log/mw/audit.log',
    ].join('\n'),
  );
  assert.deepEqual(planReload(base, next, 'watch'), {
    apply: true,
    logLevel: 'debug',
    auditFile: '/var/log/mw/audit.log',
    schedules: true,
    revocationFile: '/tmp/other',
    fleet: false,
  });
  // Back again: the audit file is switched off (null), which is a change too.
  assert.equal(planReload(next, base, 'watch').auditFile, null);
});

test('the fleet: section appearing, changing or going is named; the same section is not', () => {
  const fleet = (extra: string) => policy(`fleet:\n  endpoints: [http://127.0.0.1:2379]\n  host: web-1\n${extra}`);
  assert.equal(planReload(base, fleet(''), 'watch').fleet, true);
  assert.equal(planReload(fleet(''), base, 'watch').fleet, true);
  assert.equal(planReload(fleet(''), fleet('  strict: 5m\n'), 'watch').fleet, true);
  assert.equal(planReload(fleet(''), fleet('  revocation_file: /tmp/f\n'), 'watch').fleet, true);
  assert.equal(planReload(fleet(''), fleet(''), 'signal').fleet, false);
});

test('a rejected config is reported once per bad version from the watch, always on SIGHUP', () => {
  const first = reportRejection(null, ['a.yaml:1:1: bad'], 'watch');
  assert.deepEqual(first, { report: true, lastBad: 'a.yaml:1:1: bad' });
  assert.equal(reportRejection(first.lastBad, ['a.yaml:1:1: bad'], 'watch').report, false);
  assert.equal(reportRejection(first.lastBad, ['a.yaml:1:1: bad'], 'signal').report, true);
  assert.equal(reportRejection(first.lastBad, ['a.yaml:2:1: other'], 'watch').report, true);
});

test('--dry-run wins over the file on every reload, and leaves a dry-run file alone', () => {
  assert.equal(withFlags(base, { dryRun: true }).dryRun, true);
  assert.equal(withFlags(base, { dryRun: false }), base);
  const dry = policy('dry_run: true\n');
  assert.equal(withFlags(dry, { dryRun: true }), dry);
  // Turning dry_run off in the file under --dry-run changes nothing the daemon does.
  assert.equal(planReload(withFlags(base, { dryRun: true }), withFlags(dry, { dryRun: true }), 'watch').apply, false);
});
