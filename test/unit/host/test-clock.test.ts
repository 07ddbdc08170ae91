import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { clock, setWallOffset } from '../../../src/host/clock.js';
import { installTestClock, TEST_CLOCK_ENV } from '../../../src/host/test-clock.js';

test('MOSHWARDEN_TEST_CLOCK: the offset of a file only its owner can write moves the wall clock, not the monotonic one', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-tclock-'));
  const file = path.join(dir, 'offset');
  t.after(() => {
    setWallOffset(0);
    delete process.env[TEST_CLOCK_ENV];
    process.removeAllListeners('SIGUSR2');
    fs.rmSync(dir, { recursive: true, force: true });
  });
  fs.writeFileSync(file, '86400000', { mode: 0o600 });
  process.env[TEST_CLOCK_ENV] = file;
  const refused: string[] = [];
  assert.equal(
    installTestClock((why) => refused.push(why)),
    file,
  );
  assert.deepEqual(refused, []);
  assert.ok(Math.abs(clock.now() - Date.now() - 86_400_000) < 1_000);
  assert.ok(Math.abs(clock.monotonic() - performance.now()) < 1_000);

  // Writable by others: refused, the offset stays as it was.
  fs.writeFileSync(file, '-3600000');
  fs.chmodSync(file, 0o666);
  process.emit('SIGUSR2', 'SIGUSR2');
  assert.match(refused[0]!, /writable by others/);
  assert.ok(Math.abs(clock.now() - Date.now() - 86_400_000) < 1_000);
  fs.chmodSync(file, 0o600);
  process.emit('SIGUSR2', 'SIGUSR2');
  assert.ok(Math.abs(clock.now() - Date.now() + 3_600_000) < 1_000);
});

test('without MOSHWARDEN_TEST_CLOCK nothing is installed', () => {
  delete process.env[TEST_CLOCK_ENV];
  assert.equal(
    installTestClock(() => {}),
    null,
  );
  assert.ok(Math.abs(clock.now() - Date.now()) < 1_000);
});
