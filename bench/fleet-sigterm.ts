// Bench (a) of docs/fleet.md: one put of `revoked/<target>` in etcd → SIGTERM of the matching real mosh
// sessions on every simulated host. Each host is test/e2e/ns-host.ts: a real daemon and a real fleet
// service in their own PID, mount and UTS namespaces, real mosh-servers of the test users inside. The same
// run measures 1 host (the baseline) and the fleet (default 4 hosts).
//
// Per put k: on every host, FLEET_SIGTERM_SESSIONS (default 2) new sessions of mw-test-alice whose ssh
// origin is unique to the put, beside two bystander sessions (bob, carol) that live through the whole run;
// the put revokes `from:<that origin>/32`. SIGTERM is observed as in bench/revocation.ts: the daemon runs
// at log level debug and writes a `session.signal` line right after kill(2) returned (its `at`, ms); the
// put's time is taken just before the put is sent. The fleet service's `fleet.sync` line (logged after
// the file's rename) splits the figure into put → file written and file → SIGTERM. Each session's exit is
// then awaited; a bystander ended would count as an error.
import { Etcd } from '../test/e2e/etcd.js';
import {
  attachClient,
  cleanupAll,
  ensureTestUsers,
  isAlive,
  waitForExit,
  type MoshSession,
} from '../test/e2e/harness.js';
import { NsHost, stopAllNsHosts } from '../test/e2e/ns-host.js';
import type { EtcdPort } from '../src/fleet/port.js';

const PREFIX = '/moshwarden/v1/';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface SigtermRun {
  hosts: number;
  /** Sessions on each host when a put lands: the put's own plus the bystanders. */
  sessionsAtPut: number;
  targetsPerHost: number;
  puts: number;
  /** put → SIGTERM, every (host, session, put), ms */
  sigterm: number[];
  /** per put: the last SIGTERM on any host, ms */
  slowest: number[];
  /** put → fleet revocation file written, every (host, put), ms */
  file: number[];
  /** SIGTERMs that did not come within 10 s */
  missed: number;
  /** sessions still alive 10 s after their SIGTERM */
  leftAlive: number;
  /** bystander sessions that did not survive the run (must be 0) */
  bystandersEnded: number;
}

interface Line {
  event?: string;
  pid?: number;
  signal?: string;
  at?: string;
  time?: string;
  revision?: number;
}

async function waitLine(lines: Line[], pred: (l: Line) => boolean, from: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = lines.slice(from).find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) return null;
    await sleep(5);
  }
}

export async function benchSigterm(
  etcd: Etcd,
  admin: EtcdPort,
  hostCount: number,
  opts: { puts: number; targets: number; run: number; log: (s: string) => void },
): Promise<SigtermRun> {
  ensureTestUsers();
  const hosts: NsHost[] = [];
  const result: SigtermRun = {
    hosts: hostCount,
    sessionsAtPut: opts.targets + 2,
    targetsPerHost: opts.targets,
    puts: opts.puts,
    sigterm: [],
    slowest: [],
    file: [],
    missed: 0,
    leftAlive: 0,
    bystandersEnded: 0,
  };
  try {
    for (let i = 0; i < hostCount; i++) {
      const h = await NsHost.start({
        host: `bench-${opts.run}-${i + 1}`,
        endpoints: [etcd.endpoint],
        leaseTtl: '10s',
        // A long scan interval: what is measured is the watch-driven path, not a scan that happened to come.
        daemonConfig: ['scan_interval: 10m', 'defaults:', '  grace: 2s', 'log:', '  level: debug'],
      });
      hosts.push(h);
      h.fleet.start();
      await h.startDaemon();
    }
    for (const h of hosts) {
      await h.fleet.waitEvent('fleet.sync', 30_000);
      await h.daemon!.waitForEvent((e) => e.event === 'daemon.start', 30_000);
    }
    // With clients attached (from outside): a mosh-server that never had one exits after 60 s by itself.
    const bystanders: MoshSession[] = [];
    for (const h of hosts)
      for (const user of ['mw-test-bob', 'mw-test-carol']) bystanders.push(await h.startSession(user));
    await Promise.all(bystanders.map((b) => attachClient(b)));
    opts.log(`  ${hostCount} host(s) up, ${bystanders.length} bystander sessions`);

    for (let k = 0; k < opts.puts; k++) {
      const origin = `10.77.${opts.run}.${k + 1}`;
      const targets = await Promise.all(
        hosts.map(async (h) => {
          const mine: MoshSession[] = [];
          for (let j = 0; j < opts.targets; j++)
            mine.push(await h.startSession('mw-test-alice', { sshOrigin: origin }));
          for (const t of mine)
            await h.daemon!.waitForEvent((e) => e.event === 'session.start' && e.pid === t.nsPid, 20_000);
          return mine;
        }),
      );
      await sleep(300); // let the daemons and the fleet services go quiet
      const marks = hosts.map((h) => ({ daemon: h.daemon!.events.length, fleet: h.fleet.lines.length }));
      const target = `from:${origin}/32`;
      const value = JSON.stringify({ target, reason: null, until: null, by: 'bench', at: new Date().toISOString() });
      const t0 = Date.now(); // just before the put is sent (the daemon logs Date.now() too)
      const revision = await admin.putExpiring(`${PREFIX}revoked/${target}`, value, null);
      let slowest = 0;
      await Promise.all(
        hosts.map(async (h, i) => {
          const synced = await waitLine(
            h.fleet.lines as Line[],
            (l) => l.event === 'fleet.sync' && (l.revision ?? 0) >= revision,
            marks[i]!.fleet,
            10_000,
          );
          if (synced) result.file.push(Date.parse(synced.time!) - t0);
          for (const t of targets[i]!) {
            const sig = await waitLine(
              h.daemon!.events as Line[],
              (l) => l.event === 'session.signal' && l.pid === t.nsPid && l.signal === 'SIGTERM',
              marks[i]!.daemon,
              10_000,
            );
            if (!sig) {
              result.missed++;
              continue;
            }
            const ms = Date.parse(sig.at ?? sig.time!) - t0;
            result.sigterm.push(ms);
            slowest = Math.max(slowest, ms);
          }
        }),
      );
      result.slowest.push(slowest);
      for (const t of targets.flat()) if (!(await waitForExit(t.pid, 10_000, t.startTime))) result.leftAlive++;
      await sleep(150);
    }
    result.bystandersEnded = bystanders.filter((b) => !isAlive(b.pid, b.startTime)).length;
  } finally {
    await stopAllNsHosts();
    await cleanupAll();
    await etcd.ctl(['del', '--prefix', PREFIX]);
  }
  return result;
}
