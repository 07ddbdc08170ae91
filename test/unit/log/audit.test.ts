import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { AuditFile } from '../../../src/log/audit.js';
import { createDaemonLogger } from '../../../src/log/logger.js';
import { fdWriter } from '../../../src/host/output.js';

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mw-audit-'));
}
const lines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test('the audit file gets the session, revocation and config events, whatever the stdout level', () => {
  const dir = tmpdir();
  const file = path.join(dir, 'audit.log');
  const stdout = path.join(dir, 'stdout');
  const fd = fs.openSync(stdout, 'w');
  const audit = new AuditFile(file, () => {});
  const { log } = createDaemonLogger({ level: 'warn', out: fdWriter(fd), journald: false, taps: [audit] });
  log.info({ event: 'session.start', pid: 7, user: 'mw-alice' }, 'session found');
  log.debug({ event: 'scan.pass' }, 'scanned');
  log.info({ event: 'scan.problem' }, 'not an audit event');
  log.info({ event: 'session.end', pid: 7, reason: 'idle' }, 'session gone');
  log.warn({ event: 'revocation.error', line: 3 }, 'bad line');
  fs.closeSync(fd);
  assert.deepEqual(
    lines(file).map((l) => l.event),
    ['session.start', 'session.end', 'revocation.error'],
  );
  assert.equal((fs.statSync(file).mode & 0o777).toString(8), '640');
  assert.deepEqual(
    lines(stdout).map((l) => l.event),
    ['revocation.error'],
    'stdout keeps its own level',
  );
});

test('reopen() after logrotate moved the file starts a new one; nothing is lost across the move', () => {
  const dir = tmpdir();
  const file = path.join(dir, 'audit.log');
  const audit = new AuditFile(file, () => {});
  audit.line({ event: 'session.start' }, '{"event":"session.start","n":1}');
  fs.renameSync(file, `${file}.1`);
  audit.line({ event: 'session.end' }, '{"event":"session.end","n":2}'); // still the old (moved) file
  audit.reopen();
  audit.line({ event: 'session.start' }, '{"event":"session.start","n":3}');
  assert.deepEqual(
    lines(`${file}.1`).map((l) => l.n),
    [1, 2],
  );
  assert.deepEqual(
    lines(file).map((l) => l.n),
    [3],
  );
});

test('a file that cannot be opened is reported once, and written once its directory appears', async () => {
  const dir = tmpdir();
  const file = path.join(dir, 'later', 'audit.log');
  const errors: string[] = [];
  const audit = new AuditFile(file, (m) => errors.push(m));
  audit.line({ event: 'session.start' }, '{"event":"session.start","n":1}');
  audit.line({ event: 'session.start' }, '{"event":"session.start","n":2}');
  await new Promise((r) => setImmediate(r));
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /cannot open the audit file .*later\/audit\.log: ENOENT/);
  fs.mkdirSync(path.dirname(file));
  audit.line({ event: 'session.start' }, '{"event":"session.start","n":3}');
  assert.deepEqual(
    lines(file).map((l) => l.n),
    [3],
  );
});

test('create: false (the CLI) appends to an existing trail, and never creates one', () => {
  const dir = tmpdir();
  const file = path.join(dir, 'audit.log');
  const errors: string[] = [];
  const raw = (o: object) => JSON.stringify(o);
  const missing = new AuditFile(file, (m) => errors.push(m), { create: false });
  missing.line({ event: 'session.end' }, raw({ event: 'session.end', reason: 'manual' }));
  missing.close();
  assert.equal(fs.existsSync(file), false, 'not created');
  fs.writeFileSync(file, '{"event":"session.start"}\n');
  const existing = new AuditFile(file, (m) => errors.push(m), { create: false });
  existing.line({ event: 'session.end' }, raw({ event: 'session.end', reason: 'manual' }));
  existing.close();
  assert.deepEqual(
    lines(file).map((l) => l.event),
    ['session.start', 'session.end'],
  );
  assert.deepEqual(errors, [], 'a missing trail is no error');
});

test('a full disk (/dev/full: every write fails with ENOSPC) is reported once, not once per line', async () => {
  const errors: string[] = [];
  const audit = new AuditFile('/dev/full', (m) => errors.push(m));
  for (let n = 1; n <= 5; n++) audit.line({ event: 'session.start' }, `{"event":"session.start","n":${n}}`);
  await new Promise((r) => setImmediate(r));
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0]!, /cannot write the audit file \/dev\/full: ENOSPC/);
  audit.close();
});
