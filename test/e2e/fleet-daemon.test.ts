// The daemon's side of the fleet (docs/fleet.md, "The daemon in a fleet"), in the root namespace with
// real sessions and the unit's exact privileges (setpriv): the fleet revocation file ends exactly the
// sessions it names (user: and session:<id>), a fleet file that is not trusted is refused and the last
// good list stays in force, the sessions file lists the live sessions with their ids, and strict mode
// ends the sessions that are not exempt. No etcd: the test writes the fleet service's files itself.
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
  findExecutable,
  isAlive,
  launchSession,
  requireOrSkip,
  runCli,
  sleep,
  startDaemon,
  startSession,
  uidOf,
  waitForExit,
  type Daemon,
  type MoshSession,
} from './harness.js';
import { asService, ensureServiceUser, SERVICE_USER } from './privileges.js';

const skip = e2eSkipReason() ?? requireOrSkip(findExecutable('setpriv') ? null : 'needs setpriv') ?? false;
const T = 120_000;
const HOST = 'e2e-fleet-host';

const dirs: string[] = [];

/** The directories the two services own: the fleet's state directory (root here) and the daemon's /run. */
function layout() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-e2e-fleetd-'));
  fs.chmodSync(dir, 0o755);
  dirs.push(dir);
  const lib = path.join(dir, 'lib');
  const run = path.join(dir, 'run');
  fs.mkdirSync(lib, { mode: 0o755 });
  fs.mkdirSync(run, { mode: 0o755 });
  execFileSync('chown', [SERVICE_USER, run]); // like RuntimeDirectory=moshwarden
  return {
    dir,
    fleetFile: path.join(lib, 'fleet.revoked'),
    sessionsFile: path.join(run, 'sessions.json'),
    statusFile: path.join(dir, 'status.json'),
    localFile: path.join(dir, 'revoked'),
  };
}

function config(l: ReturnType<typeof layout>, extra: string[] = []): string {
  return [
    'scan_interval: 2s',
    `revocation_file: ${l.localFile}`,
    'defaults:',
    '  grace: 2s',
    'rules:',
    '  - groups: [mw-test-breakglass]',
    '    exempt: true',
    'fleet:',
    '  endpoints: [http://127.0.0.1:9]', // never contacted by the daemon
    `  host: ${HOST}`,
    `  revocation_file: ${l.fleetFile}`,
    `  sessions_file: ${l.sessionsFile}`,
    `  status_file: ${l.statusFile}`,
    ...extra,
    '',
  ].join('\n');
}

/** Written the way the fleet service writes it: a temp file, then a rename. */
function writeFleetFile(file: string, lines: string[], owner = 0, mode = 0o600): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, ['# moshwarden fleet revocations', ...lines, ''].join('\n'), { mode });
  fs.chownSync(tmp, owner, 0);
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
}

const idOf = (s: MoshSession) => `${HOST}/${s.pid}-${s.startTime}`;

function sessionsFileIds(file: string): string[] | null {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as { host: string; sessions: { id: string }[] };
    assert.equal(v.host, HOST);
    return v.sessions.map((s) => s.id).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || e instanceof SyntaxError) return null;
    throw e;
  }
}

async function untilTrue(what: string, fn: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function ended(d: Daemon, s: MoshSession): Promise<Record<string, unknown>> {
  const e = await d.waitForEvent(about(s.pid, 'session.terminate'), 15_000);
  assert.ok(await waitForExit(s.pid, 10_000, s.startTime), `session ${s.pid} ended`);
  return e;
}

describe('the daemon in a fleet (root namespace, the unit privileges)', { skip }, () => {
  before(() => {
    ensureTestUsers();
    ensureServiceUser();
  });
  after(async () => {
    await cleanupAll();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test(
    'user: and session:<id> lines end exactly their sessions; an untrusted file is refused; the sessions file follows',
    { timeout: T },
    async () => {
      const l = layout();
      // One after the other: su and mosh-server on a loaded machine are slow enough already.
      const a = await startSession('mw-test-carol');
      const b1 = await startSession('mw-test-bob');
      const b2 = await startSession('mw-test-bob');
      const c = await startSession('mw-test-mallory');
      const d = await startDaemon(config(l), { wrap: asService() });
      for (const s of [a, b1, b2, c]) {
        const start = await d.waitForEvent(about(s.pid, 'session.start'), 15_000);
        assert.equal(start.id, idOf(s), 'session.start carries the id, with fleet.host');
      }
      // The sessions file: every live session with its id, written by the service user, 0644.
      const all = [a, b1, b2, c].map(idOf).sort();
      await untilTrue('the sessions file lists all four', () => sessionsFileIds(l.sessionsFile)?.join() === all.join());
      const st = fs.statSync(l.sessionsFile);
      assert.equal(st.mode & 0o777, 0o644);
      assert.equal(st.uid, uidOf(SERVICE_USER));
      const json = JSON.parse((await runCli(['sessions', '--json', '--config', d.configPath])).stdout) as {
        id: string;
      }[];
      assert.deepEqual(
        json
          .map((s) => s.id)
          .filter((id) => all.includes(id))
          .sort(),
        all,
        'sessions --json: same ids',
      );

      // user: in the fleet file ends carol's session, and only hers.
      writeFleetFile(l.fleetFile, ['user:mw-test-carol reason="fleet offboarding"']);
      const ta = await ended(d, a);
      assert.equal(ta.reason, 'revoked');
      assert.equal(ta.id, idOf(a), 'session.terminate carries the id');
      assert.deepEqual(ta.revocation, { target: 'user:mw-test-carol', line: 2, reason: 'fleet offboarding' });
      assert.ok(d.events.some((e) => e.event === 'revocation.load' && e.source === 'fleet' && e.entries === 1));

      // session:<id> ends exactly that session: bob's other session lives.
      writeFleetFile(l.fleetFile, ['user:mw-test-carol reason="fleet offboarding"', `session:${idOf(b1)}`]);
      const tb = await ended(d, b1);
      assert.equal((tb.revocation as { target: string }).target, `session:${idOf(b1)}`);
      await untilTrue('the sessions file drops the ended sessions', () => {
        return sessionsFileIds(l.sessionsFile)?.join() === [idOf(b2), idOf(c)].sort().join();
      });

      // A fleet file that is not trusted is refused: neither what it adds nor what it lifts applies.
      const aliceUid = uidOf('mw-test-alice');
      const errorsBefore = d.events.filter((e) => e.event === 'revocation.error' && e.source === 'fleet').length;
      writeFleetFile(l.fleetFile, [`user:mw-test-mallory`], aliceUid); // lifts carol, adds mallory: owned by a user
      await d.waitForEvent(
        (e) => e.event === 'revocation.error' && e.source === 'fleet' && /owned by uid/.test(String(e.message)),
        10_000,
      );
      writeFleetFile(l.fleetFile, [`user:mw-test-mallory`], 0, 0o620); // group-writable
      await d.waitForEvent(
        (e) => e.event === 'revocation.error' && e.source === 'fleet' && /writable by group/.test(String(e.message)),
        10_000,
      );
      assert.ok(d.events.filter((e) => e.event === 'revocation.error').length > errorsBefore);
      const a2 = await launchSession('mw-test-carol'); // may be ended before its pty is even known
      const ta2 = await d.waitForEvent(about(a2.pid, 'session.terminate'), 15_000);
      assert.equal(ta2.reason, 'revoked', 'the last good list (carol revoked) is still in force');
      await sleep(2_500); // a scan interval: nothing else happens to mallory or bob
      assert.ok(isAlive(c.pid, c.startTime), 'the untrusted file did not revoke mallory');
      assert.ok(isAlive(b2.pid, b2.startTime), "bob's other session lives");

      // A local `revoke session:ID` works the same; a malformed id is refused.
      const bad = await runCli(['revoke', `session:${HOST}/${b2.pid}`, '--config', d.configPath]);
      assert.equal(bad.code, 2, bad.stderr);
      const ok = await runCli(['revoke', `session:${idOf(b2)}`, '--config', d.configPath]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /the daemon ends 1 live session/);
      await ended(d, b2);
      assert.ok(isAlive(c.pid, c.startTime));
      assert.equal(await d.stop(), 0);
    },
  );

  test(
    'strict mode: no contact for longer than strict ends the sessions that are not exempt',
    { timeout: T },
    async () => {
      const l = layout();
      const a = await startSession('mw-test-carol');
      const b = await startSession('mw-test-bob');
      // A status file of the fleet service reporting contact now; it then stops being rewritten.
      const status = { version: 1, host: HOST, pid: 1, state: 'connected', written_at: new Date().toISOString() };
      fs.writeFileSync(l.statusFile, JSON.stringify({ ...status, last_contact: new Date().toISOString() }), {
        mode: 0o644,
      });
      const d = await startDaemon(config(l, ['  strict: 10s']), { wrap: asService() });
      await d.waitForEvent(about(a.pid, 'session.start'), 15_000);
      await d.waitForEvent(about(b.pid, 'session.start'), 15_000);
      assert.ok(isAlive(a.pid, a.startTime), 'in contact: nothing ends');
      const on = await d.waitForEvent((e) => e.event === 'fleet.strict' && e.state === 'on', 30_000);
      assert.equal(on.strict_seconds, 10);
      const ta = await ended(d, a);
      assert.equal(ta.reason, 'revoked');
      assert.equal((ta.revocation as { target: string }).target, 'fleet:strict');
      assert.ok(isAlive(b.pid, b.startTime), 'mw-test-bob is exempt (break-glass group)');
      // Contact again: strict mode ends, new sessions live.
      fs.writeFileSync(l.statusFile, JSON.stringify({ ...status, last_contact: new Date().toISOString() }));
      await d.waitForEvent((e) => e.event === 'fleet.strict' && e.state === 'off', 15_000);
      const a2 = await startSession('mw-test-carol');
      await d.waitForEvent(about(a2.pid, 'session.start'), 15_000);
      await sleep(2_500);
      assert.ok(isAlive(a2.pid, a2.startTime), 'contact is back: a new session lives');
      assert.equal(await d.stop(), 0);
    },
  );
});
