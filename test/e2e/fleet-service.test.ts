// The fleet service's systemd unit: systemd-analyze verify prints nothing, the exposure score stays at
// most 1.0 (the daemon's own unit: 1.4), and the unit has the network only towards the etcd endpoints,
// no capabilities and its own user.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { findExecutable, repoRoot, requireOrSkip } from './harness.js';

const UNIT = path.join(repoRoot(), 'systemd', 'moshwarden-fleet.service');
const skip = requireOrSkip(findExecutable('systemd-analyze') ? null : 'needs systemd-analyze') ?? false;
const values = (key: string) =>
  fs
    .readFileSync(UNIT, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1).trim());

describe('the fleet systemd unit', { skip }, () => {
  test('systemd-analyze verify prints nothing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-unit-'));
    const unit = path.join(dir, 'moshwarden-fleet.service');
    const text = fs.readFileSync(UNIT, 'utf8');
    assert.match(text, /^ExecStart=\/usr\/local\/bin\/moshwarden fleet /m);
    // verify insists that ExecStart= exists on this machine: point it at this checkout.
    fs.writeFileSync(
      unit,
      text.replace(
        /^ExecStart=\/usr\/local\/bin\/moshwarden /m,
        `ExecStart=${path.join(repoRoot(), 'bin', 'moshwarden.js')} `,
      ),
    );
    const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(r.stderr, '', 'no warnings');
    assert.equal(r.status, 0);
  });

  test('systemd-analyze security --offline=yes scores it at most 1.0', () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', UNIT], { encoding: 'utf8' });
    const m = /Overall exposure level for moshwarden-fleet\.service: (\d+\.\d+)/.exec(r.stdout);
    assert.ok(m, `no score in:\n${r.stdout}${r.stderr}`);
    process.stdout.write(`# moshwarden-fleet.service exposure: ${m[1]}\n`);
    assert.ok(Number(m[1]) <= 1.0, `exposure ${m[1]}`);
  });

  test('its own user, no capabilities, network only where allowed', () => {
    assert.deepEqual(values('User'), ['moshwarden-fleet']);
    assert.deepEqual(values('CapabilityBoundingSet'), ['']);
    assert.deepEqual(values('AmbientCapabilities'), ['']);
    assert.deepEqual(values('IPAddressDeny'), ['any']);
    assert.deepEqual(values('IPAddressAllow'), ['localhost']);
    assert.deepEqual(values('StateDirectory'), ['moshwarden']);
    assert.deepEqual(values('SystemCallFilter')[0], '@system-service @pkey');
    assert.match(fs.readFileSync(UNIT, 'utf8'), /^#.*MemoryDenyWriteExecute/m);
  });
});
