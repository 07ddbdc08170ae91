// The fleet over TLS with client certificates and etcd's auth, set up with the roles of docs/fleet.md:
// a host reads revoked/ and writes only its own keys; an admin writes revoked/ and reads the rest.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Etcd, etcdSkipReason, makeCerts } from './etcd.js';
import { FleetHost, session, until } from './fleet-host.js';
import { findExecutable, requireOrSkip } from './harness.js';

const skip = etcdSkipReason() ?? requireOrSkip(findExecutable('openssl') ? null : 'needs openssl') ?? false;
const P = '/moshwarden/v1/';

describe('fleet over TLS with etcd roles', { skip, timeout: 300_000 }, () => {
  let etcd: Etcd;
  let dir: string;
  let host: FleetHost;
  let admin: FleetHost;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-fleet-tls-'));
    const certs = await makeCerts(dir, ['root', 'web-17', 'alice']);
    const root = certs.client('root');
    etcd = await Etcd.start([], { ca: certs.ca, ...certs.server, clientCert: root.cert, clientKey: root.key });
    // docs/fleet.md, "etcd users and roles" (etcd 3.4: users need a password, the certificate's CN logs in)
    const pw = () => `--new-user-password=${Math.random().toString(36).slice(2)}`;
    for (const args of [
      ['user', 'add', 'root', pw()],
      ['auth', 'enable'],
      ['role', 'add', 'moshwarden-admin'],
      ['role', 'grant-permission', 'moshwarden-admin', '--prefix=true', 'readwrite', `${P}revoked/`],
      ['role', 'grant-permission', 'moshwarden-admin', '--prefix=true', 'read', `${P}hosts/`],
      ['role', 'grant-permission', 'moshwarden-admin', '--prefix=true', 'read', `${P}sessions/`],
      ['user', 'add', 'alice', pw()],
      ['user', 'grant-role', 'alice', 'moshwarden-admin'],
      ['role', 'add', 'moshwarden-host-web-17'],
      ['role', 'grant-permission', 'moshwarden-host-web-17', '--prefix=true', 'read', `${P}revoked/`],
      ['role', 'grant-permission', 'moshwarden-host-web-17', 'readwrite', `${P}hosts/web-17`],
      ['role', 'grant-permission', 'moshwarden-host-web-17', '--prefix=true', 'readwrite', `${P}sessions/web-17/`],
      ['user', 'add', 'web-17', pw()],
      ['user', 'grant-role', 'web-17', 'moshwarden-host-web-17'],
    ])
      await etcd.ctl(args);
    host = new FleetHost({
      host: 'web-17',
      endpoints: [etcd.endpoint],
      tls: { ca: certs.ca, ...certs.client('web-17') },
    });
    admin = new FleetHost({
      host: 'admin-1',
      endpoints: [etcd.endpoint],
      tls: { ca: certs.ca, ...certs.client('alice') },
    });
  });
  after(async () => {
    await host?.cleanup();
    await admin?.cleanup();
    await etcd?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("a host under its role syncs and publishes; an admin revokes; neither can do the other's job", async () => {
    host.writeSessions([session('web-17', 42, 'mw-alice')]);
    host.start();
    await host.waitEvent('fleet.sync', 20_000);
    let r = await admin.cli(['revoke', '--fleet', 'mw-alice', '--reason', 'over TLS']);
    assert.equal(r.code, 0, r.stderr);
    await until(
      () => host.fileLines()?.includes('user:mw-alice reason="over TLS"'),
      10_000,
      'the revocation on web-17',
    );
    await until(() => host.status()?.sessions_published === 1, 10_000, 'the session published');
    r = await admin.cli(['sessions', '--fleet', '--json']);
    assert.deepEqual(
      (JSON.parse(r.stdout) as { id: string }[]).map((s) => s.id),
      ['web-17/42-1042'],
    );
    r = await host.cli(['revoke', '--fleet', 'mw-bob']);
    assert.equal(r.code, 1, 'a host cannot revoke');
    assert.match(r.stderr, /permission denied/);
    assert.equal(host.events('fleet.error').length, 0, JSON.stringify(host.events('fleet.error')));
    await host.stop();
  });
});
