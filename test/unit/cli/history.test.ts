import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { CliExit } from '../../../src/cli/config-path.js';
import { historyCommand } from '../../../src/cli/history.js';
import { MIN, T0, daemonStart, daemonStop, end, start, terminate } from '../history/fixtures.js';

async function run(base: string, o: Parameters<typeof historyCommand>[1] = {}) {
  let out = '';
  let err = '';
  await historyCommand(base, o, {
    out: { write: (s) => (out += s) },
    err: { write: (s) => (err += s) },
    now: T0 + 600 * MIN,
  });
  return { out, err };
}

function logDir(): { dir: string; base: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-history-'));
  return { dir, base: path.join(dir, 'audit.log') };
}

test('a session that starts in audit.log.2.gz and ends in audit.log.1 is one row; junk is counted on stderr', async () => {
  const { dir, base } = logDir();
  try {
    fs.writeFileSync(`${base}.2.gz`, zlib.gzipSync([daemonStart(0), start(1, 42, 'mw-alice', 0), ''].join('\n')));
    fs.writeFileSync(
      `${base}.1`,
      [terminate(30, 42, 'mw-alice', 'idle'), end(30, 42, 'mw-alice', null, 30), 'junk', ''].join('\n'),
    );
    fs.writeFileSync(
      base,
      [start(40, 43, 'mw-bob', 40), daemonStop(50), daemonStart(51), start(51, 43, 'mw-bob', 40), '{"level":'].join(
        '\n',
      ),
    );
    const { out, err } = await run(base);
    const lines = out.trim().split('\n');
    assert.equal(lines.length, 5, out);
    assert.match(lines[1]!, /^mw-bob\s.*still on/);
    assert.match(lines[2]!, /^mw-alice\s.*2026-11-24T08:00:00Z\s+2026-11-24T08:30:00Z\s+30m\s+idle$/);
    assert.equal(lines[4], `${base} begins 2026-11-24T08:00:00Z (3 files)`);
    assert.equal(
      err,
      `note: skipped 2 line(s) that are not audit events: ${base}.1:3, ${base}:5 (its last line, cut off)\n`,
    );
    const all = (await run(base, { json: true })).out;
    assert.equal(
      all,
      JSON.stringify(JSON.parse(all), null, 2) + '\n',
      'written in batches, the same text as one stringify',
    );
    assert.equal((await run(base, { json: true, user: 'nobody' })).out, '[]\n');
    const json = JSON.parse((await run(base, { json: true, user: 'mw-alice' })).out);
    assert.equal(json.length, 1);
    assert.equal(json[0].ended, 'idle');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('no audit log: exit 1; a bad filter: exit 2; an unreadable rotation: the rest is shown, then exit 1', async () => {
  const { dir, base } = logDir();
  try {
    await assert.rejects(run(base), (e) => e instanceof CliExit && e.code === 1 && /no audit log at/.test(e.message));
    fs.writeFileSync(base, start(1, 42, 'mw-alice', 0) + '\n');
    await assert.rejects(run(base, { since: 'soon' }), (e) => e instanceof CliExit && e.code === 2);
    fs.writeFileSync(`${base}.2.gz`, 'not gzip at all');
    let out = '';
    await assert.rejects(
      historyCommand(base, {}, { out: { write: (s) => (out += s) }, err: { write: () => {} }, now: T0 }),
      (e) => e instanceof CliExit && e.code === 1 && /audit\.log\.2\.gz: incorrect header check/.test(e.message),
    );
    assert.match(out, /mw-alice/, 'what could be read is still shown');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--json over several output batches is still exactly one JSON array', async () => {
  const { dir, base } = logDir();
  try {
    fs.writeFileSync(
      base,
      Array.from({ length: 2500 }, (_, i) => start(i / 100, 10 + i, 'mw-alice', i / 100)).join('\n') + '\n',
    );
    const { out } = await run(base, { json: true });
    const parsed = JSON.parse(out) as unknown[];
    assert.equal(parsed.length, 2500);
    assert.equal(out, JSON.stringify(parsed, null, 2) + '\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
