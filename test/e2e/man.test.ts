// The generated man pages render without a single warning (mandoc's lint, groff's all-warnings mode, and
// man(1) as lintian runs it) and ship in the npm tarball.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { findExecutable, repoRoot, requireOrSkip } from './harness.js';

const PAGES = ['moshwarden.8', 'moshwarden.yaml.5'];
const skip =
  requireOrSkip(
    ['mandoc', 'groff', 'man'].every((t) => findExecutable(t))
      ? null
      : 'needs mandoc, groff and man (apt-get install mandoc groff-base man-db)',
  ) ?? false;

describe('man pages', { skip }, () => {
  const run = (cmd: string, args: string[]) =>
    spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8', MANWIDTH: '80' } });

  test('built from docs/man by `npm run man`', () => {
    const r = run('npm', ['run', '--silent', 'man']);
    assert.equal(r.status, 0, r.stderr);
    for (const page of PAGES) assert.ok(fs.statSync(path.join(repoRoot(), 'man', page)).size > 1000, page);
  });

  for (const page of PAGES) {
    test(`${page}: mandoc -T lint, groff -ww -z and man --warnings say nothing`, () => {
      const file = path.join(repoRoot(), 'man', page);
      for (const [cmd, args] of [
        ['mandoc', ['-T', 'lint', file]],
        ['groff', ['-ww', '-z', '-man', file]],
        ['man', ['--warnings', '-E', 'UTF-8', '-l', '-Tutf8', '-Z', file]],
      ] as const) {
        const r = run(cmd, [...args]);
        const said = cmd === 'man' ? r.stderr : r.stdout + r.stderr;
        assert.equal(r.status, 0, `${cmd} exit ${r.status}: ${said}`);
        assert.equal(said, '', `${cmd} ${args.join(' ')}`);
      }
      const text = run('man', ['-l', file]).stdout;
      assert.match(text, page.endsWith('.8') ? /EXIT STATUS/ : /REVOCATION FILE/);
    });
  }

  test('the npm tarball ships them (and package.json names them for npm install -g)', () => {
    const r = run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts']);
    assert.equal(r.status, 0, r.stderr);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    for (const page of PAGES) assert.ok(files.includes(`man/${page}`), `man/${page} in ${files.length} files`);
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { man: string[] };
    assert.deepEqual(
      pkg.man,
      PAGES.map((p) => `./man/${p}`),
    );
  });
});
