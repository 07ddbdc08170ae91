import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const processJs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/host/process.js');

test('raisePriority sets the niceness of every thread, not only the main one', (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root (CAP_SYS_NICE) to lower a niceness');
  // A child started at niceness 10 asks for 5, then reports the niceness of each of its threads
  // (field 19 of /proc/self/task/TID/stat): V8's helper threads exist before the call.
  const script = `
    import fs from 'node:fs';
    const { raisePriority } = await import(${JSON.stringify(processJs)});
    const got = raisePriority(5);
    const nice = fs.readdirSync('/proc/self/task').map((t) => {
      const s = fs.readFileSync('/proc/self/task/' + t + '/stat', 'utf8');
      return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[16]);
    });
    process.stdout.write(JSON.stringify({ got, nice }));`;
  const out = JSON.parse(
    execFileSync('nice', ['-n', '10', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' }),
  ) as { got: number; nice: number[] };
  assert.equal(out.got, 5);
  assert.ok(out.nice.length > 1, `several threads (${out.nice.length})`);
  assert.deepEqual(
    out.nice,
    out.nice.map(() => 5),
  );
});
