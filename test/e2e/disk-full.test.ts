// A full disk under the audit file and the metrics textfile: each problem is reported once (not once
// per line or per pass), and enforcement goes on — the session is still ended, stdout still logged.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  about,
  cleanupAll,
  e2eSkipReason,
  ensureTestUsers,
  liveSession,
  setIdle,
  sleep,
  startDaemon,
  waitForExit,
} from './harness.js';

const skip = e2eSkipReason() ?? false;

describe('a full disk under log.audit_file and metrics.textfile', { skip }, () => {
  before(() => ensureTestUsers());
  after(() => cleanupAll());

  test('each problem is reported once, and the session is still ended', { timeout: 90_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8k,mode=0700', 'tmpfs', dir]);
    try {
      try {
        fs.writeFileSync(path.join(dir, 'filler'), Buffer.alloc(1 << 20)); // takes what fits, then ENOSPC
      } catch (e) {
        assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
      }
      const { s } = await liveSession('mw-test-alice');
      setIdle(s.ptyPath, 600);
      const d = await startDaemon(
        [
          'scan_interval: 1s',
          'revocation_file: /nonexistent/revoked',
          'defaults:',
          '  idle_timeout: 5m',
          '  warn_before: off',
          '  grace: 2s',
          'log:',
          `  audit_file: ${dir}/audit.log`,
          'metrics:',
          `  textfile: ${dir}/moshwarden.prom`,
        ].join('\n'),
      );
      const term = await d.waitForEvent(about(s.pid, 'session.terminate'), 20_000);
      assert.equal(term.reason, 'idle', 'stdout still gets every line');
      assert.ok(await waitForExit(s.pid, 15_000, s.startTime), 'the session was ended');
      await d.waitForEvent(about(s.pid, 'session.end'), 15_000);
      await sleep(3_000); // three more passes, each of which writes the textfile
      const count = (event: string) => d.events.filter((e) => e.event === event).length;
      assert.equal(count('audit.error'), 1, 'the audit file: one report');
      assert.match(String(d.events.find((e) => e.event === 'audit.error')!.msg), /ENOSPC/);
      assert.equal(count('metrics.error'), 1, 'the metrics textfile: one report');
      assert.match(String(d.events.find((e) => e.event === 'metrics.error')!.msg), /ENOSPC/);
      assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')).length, 0, 'no temp file left');
      assert.equal(await d.stop(), 0);
    } finally {
      execFileSync('umount', [dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
