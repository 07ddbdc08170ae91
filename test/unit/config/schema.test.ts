import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatConfigError } from '../../../src/config/errors.js';
import { loadConfigFile, parseConfig } from '../../../src/config/load.js';
import { DEFAULT_LIMITS, POLICY } from '../../../src/config/schema.js';
import type { Policy } from '../../../src/core/types.js';

const EXAMPLE = fileURLToPath(new URL('../../../../config.example.yaml', import.meta.url));

function policyOf(text: string): Policy {
  const r = parseConfig(text, 'schema.yaml');
  if (!r.ok) assert.fail(r.errors.map(formatConfigError).join('\n'));
  return r.policy;
}

// Every key, at the default README.md and config.example.yaml document for it.
const EVERY_KEY_AT_ITS_DEFAULT = `
scan_interval: 5s
dry_run: false
revocation_file: /etc/moshwarden/revoked
defaults:
  idle_timeout: 30m
  count_output: false
  warn_before: 2m
  grace: 10s
  max_age: off
  detached_timeout: off
rules: []
schedules: []
log:
  level: info
  audit_file: ~
metrics:
  textfile: ~
`;

describe('schema: the default policy comes from the declarations', () => {
  it('an empty file reads as the schema defaults', () => {
    assert.deepEqual(policyOf(''), POLICY.defaults());
  });

  it('a file with every key at its documented default reads the same', () => {
    assert.deepEqual(policyOf(EVERY_KEY_AT_ITS_DEFAULT), POLICY.defaults());
  });

  it('DEFAULT_LIMITS is the defaults section of the default policy', () => {
    assert.deepEqual({ ...DEFAULT_LIMITS }, POLICY.defaults().defaults);
  });

  it('config.example.yaml is the defaults plus its two rules', async () => {
    const r = await loadConfigFile(EXAMPLE);
    if (!r.ok) assert.fail(r.errors.map(formatConfigError).join('\n'));
    const { rules, ...rest } = r.policy;
    const { rules: noRules, ...defaults } = POLICY.defaults();
    assert.deepEqual(rest, defaults);
    assert.deepEqual(noRules, []);
    assert.deepEqual(
      rules.map((rule) => [rule.users, rule.groups, Object.keys(rule.overrides)]),
      [
        [['deploy'], ['breakglass'], ['exempt']],
        [[], ['contractors'], ['idleTimeoutMs', 'maxAgeMs']],
      ],
    );
  });

  it('each call gives a new default policy, so one result cannot change the next', () => {
    const a = POLICY.defaults();
    a.defaults.graceMs = 1;
    (a.rules as unknown[]).push({});
    assert.deepEqual(POLICY.defaults(), policyOf(''));
    assert.equal(POLICY.defaults().defaults.graceMs, 10_000);
  });
});
