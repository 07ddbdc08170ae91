// The man pages (docs/man/*.md, the one source of man/*) name every command, option and config key.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { buildProgram } from '../../../src/cli/program.js';
import { bufferWriter } from '../../../src/host/output.js';

const root = new URL('../../../../', import.meta.url);
const read = (p: string) => fs.readFileSync(new URL(p, root), 'utf8');

test('moshwarden(8) documents every command and every option of each', () => {
  const page = read('docs/man/moshwarden.8.md');
  const program = buildProgram({ out: bufferWriter(), err: bufferWriter(), env: () => undefined });
  assert.ok(program.commands.length >= 8);
  for (const cmd of program.commands) {
    assert.ok(page.includes(`\`${cmd.name()}\``), `command ${cmd.name()}`);
    for (const opt of cmd.options) {
      assert.ok(page.includes(`\`${opt.long}\``), `${cmd.name()} ${opt.long}`);
    }
  }
  for (const section of ['## EXIT STATUS', '## SIGNALS', '## FILES', '## ENVIRONMENT', 'SIGHUP', 'SIGTERM']) {
    assert.ok(page.includes(section), section);
  }
});

test('moshwarden.yaml(5) documents every key of config.example.yaml, commented-out ones included', () => {
  const page = read('docs/man/moshwarden.yaml.5.md');
  const keys = new Set<string>();
  for (const m of read('config.example.yaml').matchAll(/^[ #]*(?:- )?([a-z_]+):(?:$| ("[^"]*"|\S+)(?: +#.*)?$)/gm))
    keys.add(m[1]!);
  for (const k of ['scan_interval', 'idle_timeout', 'cron', 'timezone', 'audit_file', 'textfile'])
    assert.ok(keys.has(k), k);
  for (const key of keys)
    assert.ok(
      page.includes(`\`${key}\``) || page.includes(`\`log.${key}\``) || page.includes(`\`metrics.${key}\``),
      key,
    );
  for (const target of ['user:', 'uid:', 'group:', 'from:', 'reason=', 'until='])
    assert.ok(page.includes(`\`${target}`), target);
});
