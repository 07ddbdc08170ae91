import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { auditFiles, forEachLine, orderRotations } from '../../../src/host/audit-files.js';

test('rotations oldest first, the live file last; other files ignored', () => {
  const entries = [
    'audit.log',
    'audit.log.1',
    'audit.log.10.gz',
    'audit.log.2.gz',
    'audit.logx',
    'other.log.1',
    'audit.log.bak',
  ];
  assert.deepEqual(orderRotations('audit.log', entries), [
    'audit.log.10.gz',
    'audit.log.2.gz',
    'audit.log.1',
    'audit.log',
  ]);
  assert.deepEqual(orderRotations('audit.log', ['audit.log-20261201.gz', 'audit.log', 'audit.log-20261124']), [
    'audit.log-20261124',
    'audit.log-20261201.gz',
    'audit.log',
  ]);
});

test('reads plain and gzipped files line by line; damaged gzip rejects after the good lines', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-audit-files-'));
  try {
    const base = path.join(dir, 'audit.log');
    fs.writeFileSync(base, 'c\nd\r\ne');
    fs.writeFileSync(`${base}.2.gz`, zlib.gzipSync('a\nb\n'));
    const list = auditFiles(base);
    assert.deepEqual(list, { files: [`${base}.2.gz`, base], error: null });
    const seen: string[] = [];
    for (const f of list.files) await forEachLine(f, (l) => seen.push(l));
    assert.deepEqual(seen, ['a', 'b', 'c', 'd', 'e']);

    const big = zlib.gzipSync(Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n'));
    fs.writeFileSync(`${base}.3.gz`, big.subarray(0, big.length - 20));
    let n = 0;
    await assert.rejects(
      forEachLine(`${base}.3.gz`, () => n++),
      /audit\.log\.3\.gz: unexpected end of file/,
    );
    assert.ok(n > 1000, `the lines before the damage were read (${n})`);
    assert.match(auditFiles(path.join(dir, 'nope', 'audit.log')).error ?? '', /^cannot list .*nope/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
