// PID reuse before a signal: the daemon's real kill path re-reads a session's identity (pid + start
// time + name) right before every signal, SIGKILL included (docs/architecture.md, "Identity"). In a
// PID namespace of its own (unshare) the test makes the pid of a session inside its grace period belong
// to a new process of the same user and the same name — by writing the wanted pid − 1 to
// /proc/sys/kernel/ns_last_pid and forking — and proves the newcomer is never signalled.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  allocatePort,
  childrenOf,
  cleanupAll,
  e2eSkipReason,
  ensureTestUsers,
  findExecutable,
  isAlive,
  lookup,
  ptsOf,
  requireOrSkip,
  setIdle,
  signalIfSame,
  sleep,
  startDaemon,
  startTimeOf,
  waitForExit,
} from './harness.js';

const skip =
  e2eSkipReason() ??
  requireOrSkip(
    ['unshare', 'nsenter', 'setpriv'].every((t) => findExecutable(t)) ? null : 'needs unshare, nsenter and setpriv',
  ) ??
  false;

const USER = 'mw-test-alice';
const GRACE_S = 10;

/** The pids of a process: on the host first, in its own namespace last (NSpid of /proc/PID/status). */
function nsPids(hostPid: number): number[] {
  try {
    const m = /^NSpid:\s+(.+)$/m.exec(fs.readFileSync(`/proc/${hostPid}/status`, 'utf8'));
    return m ? m[1]!.trim().split(/\s+/).map(Number) : [];
  } catch {
    return [];
  }
}

/** A PID namespace whose init (a shell that reaps orphans) is ours; commands run inside with nsenter. */
async function pidNamespace() {
  const unshare = spawn(
    'unshare',
    ['--pid', '--fork', '--mount-proc', '--kill-child', '--', 'bash', '-c', 'while :; do sleep 1; done'],
    { stdio: 'ignore' },
  );
  let init: number | undefined;
  for (let i = 0; i < 100 && init === undefined; i++) {
    init = childrenOf(unshare.pid!).find((p) => nsPids(p).at(-1) === 1);
    if (init === undefined) await sleep(50);
  }
  assert.ok(init !== undefined, 'the namespace has an init');
  const initStart = startTimeOf(init)!;
  const inside = (argv: string[]) =>
    execFileSync('nsenter', ['-t', String(init), '-p', '-m', '--', ...argv], { encoding: 'utf8', timeout: 30_000 });
  /** The host pid of pid `nsPid` of this namespace (a descendant of its init). */
  const hostPid = (nsPid: number): number | null => {
    const queue = [init!];
    while (queue.length > 0) {
      const p = queue.shift()!;
      const ids = nsPids(p);
      if (ids.length === 2 && ids[1] === nsPid) return p;
      queue.push(...childrenOf(p));
    }
    return null;
  };
  return {
    init,
    inside,
    hostPid,
    wrap: ['nsenter', '-t', String(init), '-p', '-m', '--'],
    /** Ends every process in the namespace (the kernel does, when its init dies). */
    close: async () => {
      signalIfSame(init!, initStart, 'SIGKILL');
      const exited = new Promise((r) =>
        unshare.exitCode !== null || unshare.signalCode !== null ? r(null) : unshare.once('exit', r),
      );
      await Promise.race([exited, sleep(10_000)]);
    },
  };
}

describe('PID reuse during the grace period', { skip }, () => {
  before(() => ensureTestUsers());
  after(() => cleanupAll());

  test(
    "a newcomer with the session's pid, user and name is never signalled (no SIGKILL, no second SIGTERM)",
    { timeout: 120_000 },
    async (t) => {
      const began = performance.now();
      const step = (what: string) => t.diagnostic(`${((performance.now() - began) / 1000).toFixed(1)} s: ${what}`);
      const ns = await pidNamespace();
      step(`namespace, init ${ns.init}`);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-reuse-'));
      try {
        // The session, inside the namespace.
        const port = await allocatePort();
        const launch = [
          'su',
          '-',
          USER,
          '-c',
          `LANG=C.UTF-8 SSH_CONNECTION='198.51.100.7 5555 127.0.0.1 22' exec mosh-server new -i 127.0.0.1 -p ${port}`,
        ];
        ns.inside(launch); // returns once the launcher has exited; the session lives on, daemonized
        // Its pid inside: the mosh-server that leads no pty but whose child does (the child is still
        // named mosh-server too until a client connects).
        let nsPid = 0;
        let host: number | null = null;
        for (let i = 0; i < 100 && host === null; i++) {
          const listed = ns.inside(['ps', '-o', 'pid=,comm=', '-u', USER]);
          for (const m of listed.matchAll(/^\s*(\d+)\s+mosh-server$/gm)) {
            const h = ns.hostPid(Number(m[1]));
            if (h !== null && ptsOf(h) === null && childrenOf(h).some((c) => ptsOf(c) !== null)) {
              nsPid = Number(m[1]);
              host = h;
            }
          }
          if (host === null) await sleep(50);
        }
        assert.ok(host !== null, 'the session runs in the namespace');
        step(`session ${nsPid} (host ${host})`);
        const hostStart = startTimeOf(host)!;
        let tty: string | null = null;
        for (let i = 0; i < 100 && tty === null; i++) {
          tty =
            childrenOf(host)
              .map(ptsOf)
              .find((t) => t !== null) ?? null;
          if (tty === null) await sleep(50);
        }
        assert.ok(tty, 'the session has a pty');
        step(`pty ${tty}`);
        process.kill(host, 'SIGSTOP'); // ours: it now ignores SIGTERM, and its no-client timer stops
        setIdle(`/dev/${tty}`, 600);

        // The newcomer: bash under the name mosh-server, as the same user, noting every signal it gets.
        const log = path.join(dir, 'signals');
        fs.writeFileSync(log, '', { mode: 0o666 });
        fs.chmodSync(log, 0o666);
        fs.chmodSync(dir, 0o755);
        fs.symlinkSync('/bin/bash', path.join(dir, 'mosh-server'));
        const traps = ['TERM', 'HUP', 'INT', 'USR1', 'USR2', 'CONT'].map((s) => `trap 'echo ${s} >> ${log}' ${s};`);
        const [uid, gid] = lookup('passwd', USER)!.split(':').slice(2, 4);

        const d = await startDaemon(
          [
            'scan_interval: 1s',
            'revocation_file: /nonexistent/revoked',
            'defaults:',
            '  idle_timeout: 5m',
            '  warn_before: off',
            `  grace: ${GRACE_S}s`,
          ].join('\n'),
          { wrap: ns.wrap },
        );
        const term = await d.waitForEvent((e) => e.event === 'session.terminate' && e.pid === nsPid, 20_000);
        const termSeen = performance.now();
        assert.equal(term.reason, 'idle');
        step('SIGTERM sent');

        // Freeze the daemon (ours), end the session, and give its pid to the newcomer.
        const daemon = childrenOf(d.pid)[0]!;
        const daemonStart = startTimeOf(daemon)!;
        signalIfSame(daemon, daemonStart, 'SIGSTOP');
        // It goes the way it would have (its pending SIGTERM, once it may run again), so that it removes
        // its utmp record itself.
        signalIfSame(host, hostStart, 'SIGCONT');
        if (!(await waitForExit(host, 10_000, hostStart))) signalIfSame(host, hostStart, 'SIGKILL');
        assert.ok(await waitForExit(host, 10_000, hostStart));
        step('session gone');
        for (let i = 0; i < 100 && fs.existsSync(`/proc/${host}`) && startTimeOf(host) === hostStart; i++) {
          await sleep(50); // reaped by the namespace's init
        }
        let newcomer: number | null = null;
        for (let attempt = 0; attempt < 50 && newcomer === null; attempt++) {
          const got = Number(
            ns
              .inside([
                'sh',
                '-c',
                `echo ${nsPid - 1} > /proc/sys/kernel/ns_last_pid; ` +
                  `setpriv --reuid=${uid} --regid=${gid} --clear-groups ${dir}/mosh-server -c ` +
                  `"${traps.join(' ')} while :; do sleep 0.2; done" </dev/null >/dev/null 2>&1 & echo $!`,
              ])
              .trim(),
          );
          const gotHost = ns.hostPid(got);
          if (got === nsPid && gotHost !== null) newcomer = gotHost;
          else {
            if (gotHost !== null) signalIfSame(gotHost, startTimeOf(gotHost) ?? '', 'SIGKILL'); // ours
            await sleep(200); // the pid may be held a moment (the init's own `sleep 1`): try again
          }
        }
        assert.ok(newcomer !== null, `pid ${nsPid} was given to the newcomer`);
        step(`newcomer ${newcomer}`);
        const newcomerStart = startTimeOf(newcomer)!;
        const comm = () => fs.readFileSync(`/proc/${newcomer}/comm`, 'utf8').trim();
        for (let i = 0; i < 100 && comm() !== 'mosh-server'; i++) await sleep(20); // setpriv is exec'ing it
        assert.equal(comm(), 'mosh-server', 'same name');
        assert.equal(fs.statSync(`/proc/${newcomer}`).uid, Number(uid), 'same user');
        signalIfSame(daemon, daemonStart, 'SIGCONT');

        const end = await d.waitForEvent((e) => e.event === 'session.end' && e.pid === nsPid, 30_000);
        assert.equal(end.reason, 'idle');
        step('session.end');
        // Until well past the grace period, and a few passes that see the newcomer.
        const left = GRACE_S * 1000 + 3_000 - (performance.now() - termSeen);
        if (left > 0) await sleep(left);
        assert.deepEqual(
          d.events.filter((e) => e.pid === nsPid && (e.event === 'session.kill' || e.event === 'session.signal_error')),
          [],
        );
        assert.ok(isAlive(newcomer, newcomerStart), 'the newcomer got no SIGKILL');
        assert.equal(fs.readFileSync(log, 'utf8'), '', 'nor any other signal');
        signalIfSame(daemon, daemonStart, 'SIGTERM');
        assert.ok(await waitForExit(daemon, 10_000, daemonStart), 'the daemon stops');
      } finally {
        await ns.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
