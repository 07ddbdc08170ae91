import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatConfigError } from '../../../src/config/errors.js';
import { parseConfig } from '../../../src/config/load.js';
import { parseFleetConfig } from '../../../src/fleet/config.js';

const errors = (text: string) => {
  const r = parseFleetConfig(text, 'c.yaml', 'web-1');
  assert.equal(r.ok, false, 'expected errors');
  return r.ok ? [] : r.errors.map(formatConfigError);
};

describe('fleet: config section', () => {
  test('absent means a single host; the main reader accepts the key and ignores it', () => {
    assert.deepEqual(parseFleetConfig('scan_interval: 5s\n', 'c.yaml', 'web-1'), { ok: true, fleet: null });
    const text = 'fleet:\n  endpoints: [http://127.0.0.1:2379]\n';
    assert.equal(parseConfig(text, 'c.yaml').ok, true);
  });

  test('defaults, with the host name from the machine', () => {
    const r = parseFleetConfig('fleet:\n  endpoints: [http://127.0.0.1:2379]\n', 'c.yaml', 'web-1');
    assert.ok(r.ok && r.fleet);
    assert.deepEqual(r.fleet, {
      endpoints: ['http://127.0.0.1:2379'],
      prefix: '/moshwarden/v1/',
      host: 'web-1',
      ca: null,
      cert: null,
      key: null,
      revocationFile: '/var/lib/moshwarden/fleet.revoked',
      sessionsFile: '/run/moshwarden/sessions.json',
      statusFile: '/run/moshwarden-fleet/status.json',
      leaseTtlMs: 10_000,
      strictMs: null,
    });
  });

  test('every key of the contract, with TLS', () => {
    const r = parseFleetConfig(
      [
        'fleet:',
        '  endpoints: [https://etcd-1.example:2379, "https://[2001:db8::1]:2379"]',
        '  prefix: /mw/',
        '  host: web-17',
        '  ca: /etc/moshwarden/fleet/ca.pem',
        '  cert: /etc/moshwarden/fleet/host.pem',
        '  key: /etc/moshwarden/fleet/host-key.pem',
        '  revocation_file: /var/lib/moshwarden/fleet.revoked',
        '  sessions_file: /run/moshwarden/sessions.json',
        '  status_file: /run/moshwarden-fleet/status.json',
        '  lease_ttl: 15s',
        '  strict: 5m',
        '',
      ].join('\n'),
      'c.yaml',
      'ignored',
    );
    assert.ok(r.ok && r.fleet);
    assert.equal(r.fleet.host, 'web-17');
    assert.equal(r.fleet.leaseTtlMs, 15_000);
    assert.equal(r.fleet.strictMs, 300_000);
  });

  test('mistakes are reported with file, line and column, all at once', () => {
    assert.deepEqual(
      errors(
        [
          'fleet:',
          '  endpoints: [etcd:2379]',
          '  prefix: moshwarden',
          '  lease_ttl: 10',
          '  bogus: 1',
          '  strict: 1s',
          '',
        ].join('\n'),
      ),
      [
        'c.yaml:2:15: fleet.endpoints[0]: expected a URL like https://etcd-1.example:2379 (scheme, host and port) (got etcd:2379)',
        'c.yaml:3:11: fleet.prefix: must start and end with "/", like /moshwarden/v1/ (got moshwarden)',
        'c.yaml:4:14: fleet.lease_ttl: expected a duration like 10s or 1h30m (got 10)',
        'c.yaml:5:3: fleet.bogus: unknown key; allowed here: endpoints, prefix, host, ca, cert, key, revocation_file, sessions_file, status_file, lease_ttl, strict',
        'c.yaml:6:11: fleet.strict: must be between 10s and 31536000s (got 1s)',
      ],
    );
    assert.match(errors('fleet:\n  host: web-1\n')[0]!, /fleet.endpoints: the fleet section needs endpoints/);
    assert.match(errors('fleet:\n  endpoints: [https://e:2379]\n')[0]!, /fleet.ca: https:\/\/ endpoints need ca:/);
    assert.match(errors('fleet:\n  endpoints: [http://e:2379]\n  host: a/b\n')[0]!, /not a usable host name/);
    assert.match(
      errors('fleet:\n  endpoints: [https://e:2379]\n  ca: /ca.pem\n  cert: /c.pem\n')[0]!,
      /cert and key go together/,
    );
  });
});

describe('fleet: the daemon config carries the section', () => {
  test('parseConfig puts it in the policy, with the host name as the default host', () => {
    const r = parseConfig('fleet:\n  endpoints: [http://127.0.0.1:2379]\n  strict: 5m\n', 'c.yaml', 'web-9');
    assert.ok(r.ok);
    assert.equal(r.policy.fleet?.host, 'web-9');
    assert.equal(r.policy.fleet?.strictMs, 300_000);
    const none = parseConfig('scan_interval: 5s\n', 'c.yaml', 'web-9');
    assert.ok(none.ok && none.policy.fleet === undefined);
  });

  test('parseConfig refuses a bad fleet: section with its position, like the rest', () => {
    const r = parseConfig(
      'scan_interval: 5s\nfleet:\n  endpoints: [http://127.0.0.1:2379]\n  strict: 1s\n',
      'c.yaml',
      'w',
    );
    assert.ok(!r.ok);
    assert.deepEqual(
      r.errors.map((e) => [e.key, e.line]),
      [['fleet.strict', 4]],
    );
  });
});
