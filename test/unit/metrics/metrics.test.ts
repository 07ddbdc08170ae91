import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Metrics } from '../../../src/metrics/metrics.js';
import { writeTextfile } from '../../../src/metrics/textfile.js';

/** The value of one sample line, e.g. value(text, 'moshwarden_sessions{state="attached"}'). */
function value(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

test('counters follow the event lines; dry-run terminations and warnings are not counted', async () => {
  const m = new Metrics('9.9.9', process.versions.node);
  m.line({ event: 'session.terminate', reason: 'idle', dry_run: false });
  m.line({ event: 'session.terminate', reason: 'revoked', dry_run: false });
  m.line({ event: 'session.terminate', reason: 'revoked', dry_run: false });
  m.line({ event: 'session.terminate', reason: 'idle', dry_run: true });
  m.line({ event: 'session.warn', reason: 'idle', dry_run: false });
  m.line({ event: 'session.signal_error', signal: 'SIGTERM', code: 'EPERM' });
  m.line({ event: 'revocation.load', entries: 4 });
  m.line({ event: 'config.load' });
  m.line({ event: 'config.error' });
  const text = await m.render();
  assert.equal(value(text, 'moshwarden_terminations_total{reason="idle"}'), 1);
  assert.equal(value(text, 'moshwarden_terminations_total{reason="revoked"}'), 2);
  assert.equal(value(text, 'moshwarden_warnings_total{reason="idle"}'), 1);
  assert.equal(value(text, 'moshwarden_signal_errors_total{signal="SIGTERM"}'), 1);
  assert.equal(value(text, 'moshwarden_revocation_entries'), 4);
  assert.equal(value(text, 'moshwarden_config_reloads_total{result="ok"}'), 1);
  assert.equal(value(text, 'moshwarden_config_reloads_total{result="error"}'), 1);
  assert.equal(value(text, `moshwarden_build_info{version="9.9.9",node="${process.versions.node}"}`), 1);
});

test('after a pass: sessions by state (zeros included), scan duration and time; no user or pid labels', async () => {
  const m = new Metrics('1.0.0', process.versions.node);
  m.scanned([{ state: 'attached' }, { state: 'attached' }, { state: 'detached' }], 3, 1_800_000_000_000);
  const text = await m.render();
  assert.equal(value(text, 'moshwarden_sessions{state="attached"}'), 2);
  assert.equal(value(text, 'moshwarden_sessions{state="detached"}'), 1);
  assert.equal(value(text, 'moshwarden_sessions{state="waiting"}'), 0);
  assert.equal(value(text, 'moshwarden_scan_duration_seconds_count'), 1);
  assert.equal(value(text, 'moshwarden_scan_duration_seconds_bucket{le="0.005"}'), 1);
  assert.equal(value(text, 'moshwarden_last_scan_timestamp_seconds'), 1_800_000_000);
  assert.doesNotMatch(text, /user=|pid=/);
});

test('writeTextfile replaces the file whole and leaves no temp file behind', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-prom-'));
  const file = path.join(dir, 'moshwarden.prom');
  const umask = process.umask(0o077); // as under the service's UMask=
  try {
    writeTextfile(file, 'a 1\n');
    writeTextfile(file, 'a 2\n');
  } finally {
    process.umask(umask);
  }
  assert.equal(fs.readFileSync(file, 'utf8'), 'a 2\n');
  assert.deepEqual(fs.readdirSync(dir), ['moshwarden.prom']);
  assert.equal((fs.statSync(file).mode & 0o777).toString(8), '644');
  assert.throws(() => writeTextfile(path.join(dir, 'missing', 'x.prom'), 'a 1\n'), /ENOENT/);
});
