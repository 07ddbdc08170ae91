// `npm run bench:fleet`: fan-out of a fleet revocation through a real etcd (bench (b) of docs/fleet.md).
// One put of `revoked/<target>` → the fleet revocation file rewritten on every simulated host. Measured
// for 1 host (the baseline, same run), then for the fleet sizes asked for (default 100 and 1,000 hosts).
// Each simulated host is a fleet engine of its own: its own etcd client and TCP connection, revocation
// sync (list, watch from revision + 1), host lease with keepalive, its own file (written atomically with
// fsync). 1,000 Node processes would not fit in this machine's memory, so the hosts run 250 per worker
// process; every worker's clock is aligned to the driver's by ping-pong before measuring.
//
// Then (a), bench/fleet-sigterm.ts: put → SIGTERM of real sessions on every simulated host (namespaces,
// real daemons), 1 host and FLEET_SIGTERM_HOSTS. `-- --only fanout` or `-- --only sigterm` runs one of the
// two and keeps the other's section of bench/RESULTS-fleet.md (the fan-out takes ~15 minutes).
//
// Env: FLEET_SIZES=1,100,1000 (default), FLEET_PUTS=40, FLEET_DIR=/dev/shm (where the hosts' files go;
// the 1-host baseline is also run on the disk under os.tmpdir()), FLEET_PROF=DIR (CPU profiles of the
// workers), FLEET_SIGTERM_HOSTS=4, FLEET_SIGTERM_PUTS=20, FLEET_SIGTERM_SESSIONS=2 (revoked per host and
// put), BENCH_QUICK=1 for a small check (results not written).
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Etcd } from '../test/e2e/etcd.js';
import type { EtcdPort } from '../src/fleet/port.js';
import { connectEtcd } from '../src/host/etcd.js';
import { composeResults, renderFanout, renderSigterm, type SizeResult } from './fleet-report.js';
import { benchSigterm, type SigtermRun } from './fleet-sigterm.js';
import { machineFacts } from './report.js';

const quick = process.env.BENCH_QUICK === '1';
const root = fileURLToPath(new URL('../../', import.meta.url));
const SIZES = (process.env.FLEET_SIZES ?? (quick ? '1,20' : '1,100,1000')).split(',').map(Number);
const PUTS = Number(process.env.FLEET_PUTS ?? (quick ? 10 : 40));
const PER_WORKER = 250;
const SIGTERM_HOSTS = Number(process.env.FLEET_SIGTERM_HOSTS ?? (quick ? 2 : 4));
const SIGTERM_PUTS = Number(process.env.FLEET_SIGTERM_PUTS ?? (quick ? 3 : 20));
const SIGTERM_SESSIONS = Number(process.env.FLEET_SIGTERM_SESSIONS ?? 2);
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const PREFIX = '/moshwarden/v1/';
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const log = (s: string) => process.stdout.write(`[bench:fleet] ${s}\n`);

interface Worker {
  child: ChildProcess;
  offset: number;
  rssBefore: number;
  rssAfter: number;
  count: number;
}

/** CPU time of a process so far (utime + stime), ms. */
function cpuOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // USER_HZ is 100 on Linux
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Written reports per host: [revision, driver-clock time]. */
type Reports = Map<number, [number, number, number][]>;
/** Called after every batch of reports (the measurement waits on it instead of polling). */
let onReports: (() => void) | null = null;

async function startWorkers(
  etcd: Etcd,
  dir: string,
  hosts: number,
  reports: Reports,
  shared: boolean,
): Promise<Worker[]> {
  const workers: Worker[] = [];
  for (let first = 0; first < hosts; first += PER_WORKER) {
    const child = fork(path.join(root, 'dist/bench/fleet-worker.js'), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, FLEET_SHARED: shared ? '1' : '' },
      // FLEET_PROF=DIR: a CPU profile of every worker (node --cpu-prof), to see where a host's time goes.
      execArgv: process.env.FLEET_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.FLEET_PROF}`] : [],
    });
    const w: Worker = { child, offset: 0, rssBefore: 0, rssAfter: 0, count: Math.min(PER_WORKER, hosts - first) };
    // Clock offset: the middle of the best of 20 round trips.
    let best = Infinity;
    for (let i = 0; i < 20; i++) {
      const t = now();
      const pong = await new Promise<{ at: number }>((resolve) => {
        const on = (m: { kind: string; t: number; at: number }) => {
          if (m.kind === 'pong' && m.t === t) {
            child.off('message', on);
            resolve(m);
          }
        };
        child.on('message', on);
        child.send({ kind: 'ping', t });
      });
      const rtt = now() - t;
      if (rtt < best) {
        best = rtt;
        w.offset = pong.at - (t + rtt / 2);
      }
    }
    type Written = { host: number; revision: number; at: number; eventAt: number };
    child.on('message', (m: { kind: string; items: Written[] }) => {
      if (m.kind !== 'batch') return;
      for (const x of m.items) {
        const list = reports.get(x.host) ?? [];
        list.push([x.revision, x.at - w.offset, x.eventAt - w.offset]);
        reports.set(x.host, list);
      }
      onReports?.();
    });
    const started = new Promise<{ rssBefore: number; rssAfter: number }>((resolve) => {
      const on = (m: { kind: string; rssBefore: number; rssAfter: number }) => {
        if (m.kind === 'started') {
          child.off('message', on);
          resolve(m);
        }
      };
      child.on('message', on);
    });
    child.send({
      kind: 'start',
      endpoint: etcd.endpoint,
      prefix: PREFIX,
      dir,
      first,
      count: w.count,
      leaseTtlSeconds: 10,
    });
    Object.assign(w, await started);
    workers.push(w);
    log(
      `  worker ${workers.length}: ${w.count} hosts connected (clock offset ${w.offset.toFixed(3)} ms, rtt ${best.toFixed(3)} ms)`,
    );
  }
  return workers;
}

async function stopWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          w.child.once('exit', () => resolve());
          const kill = setTimeout(() => w.child.kill('SIGKILL'), 15_000); // a worker that does not exit
          w.child.once('exit', () => clearTimeout(kill));
          w.child.send({ kind: 'stop' });
        }),
    ),
  );
}

async function measure(etcd: Etcd, admin: EtcdPort, hosts: number, dir: string, shared = false): Promise<SizeResult> {
  fs.mkdirSync(dir, { recursive: true });
  const reports: Reports = new Map();
  log(`${hosts} host(s), files in ${dir}${shared ? ', connections shared per worker' : ''}`);
  const workers = await startWorkers(etcd, dir, hosts, reports, shared);
  await sleep(2_000); // leases granted, first keepalives, nothing else in flight
  const cpu0 = { etcd: cpuOf(etcd.pid()!), workers: workers.reduce((n, w) => n + cpuOf(w.child.pid!), 0), t: now() };
  const all: number[] = [];
  const arrive: number[] = [];
  const slowest: number[] = [];
  let missing = 0;
  for (let p = 0; p < PUTS; p++) {
    const target = `user:bench-${hosts}-${p}`;
    const value = JSON.stringify({ target, reason: null, until: null, by: 'bench', at: new Date().toISOString() });
    const t0 = now();
    const revision = await admin.putExpiring(`${PREFIX}revoked/${target}`, value, null);
    // Each host writes its file once per put (nothing else changes revoked/): its first report at or
    // above the put's revision is that write. Hosts may have answered before the put returned.
    const got = new Map<number, [number, number]>();
    const collect = () => {
      for (let h = 0; h < hosts; h++) {
        if (got.has(h)) continue;
        const list = reports.get(h);
        const r = list?.[list.length - 1];
        if (r && r[0] >= revision) got.set(h, [r[1] - t0, r[2] - t0]);
      }
    };
    collect();
    if (got.size < hosts)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 10_000);
        onReports = () => {
          collect();
          if (got.size === hosts) {
            clearTimeout(timer);
            resolve();
          }
        };
      });
    onReports = null;
    const lat = [...got.values()].map(([w]) => w);
    for (const [, a] of got.values()) arrive.push(a);
    missing += hosts - got.size;
    all.push(...lat);
    slowest.push(Math.max(...lat));
    await sleep(quick ? 50 : 150);
  }
  const wall = now() - cpu0.t;
  // CPU used while measuring, per put, with the idle rate (keepalives) in it: on 2 cores, the simulated
  // hosts' own decoding is part of every figure here, while real hosts each do theirs on their own CPU.
  const cpu = {
    etcd: (cpuOf(etcd.pid()!) - cpu0.etcd) / PUTS,
    workers: (workers.reduce((n, w) => n + cpuOf(w.child.pid!), 0) - cpu0.workers) / PUTS,
    wallPerPut: wall / PUTS,
  };
  const etcdRss = rssOf(etcd.pid()!);
  const workerRss = workers.map((w) => rssOf(w.child.pid!));
  const perHostRss =
    workers.reduce((n, w, i) => n + (workerRss[i]! - w.rssBefore), 0) / workers.reduce((n, w) => n + w.count, 0);
  await stopWorkers(workers);
  await etcd.ctl(['del', '--prefix', PREFIX]);
  return { hosts, dir, shared, puts: PUTS, all, arrive, slowest, missing, etcdRss, perHostRss, workerRss, cpu };
}

async function main(): Promise<number> {
  if (ONLY !== null && ONLY !== 'fanout' && ONLY !== 'sigterm')
    throw new Error(`--only ${ONLY ?? ''}: the parts that run alone are fanout and sigterm`);
  const machine = machineFacts(root);
  const etcd = await Etcd.start(['--quota-backend-bytes=2147483648']);
  const version = (await etcd.ctl(['version'])).split('\n')[0] ?? 'etcd';
  log(`${machine.cores} cores, ${machine.cpuModel}; ${version} at ${etcd.endpoint}`);
  const results: SizeResult[] = [];
  const runs: SigtermRun[] = [];
  const admin = connectEtcd({ endpoints: [etcd.endpoint], ca: null, cert: null, key: null });
  const shm = fs.mkdtempSync(path.join(process.env.FLEET_DIR ?? '/dev/shm', 'mw-fleet-bench-'));
  const disk = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-fleet-bench-'));
  try {
    if (ONLY !== 'sigterm') {
      results.push(await measure(etcd, admin, 1, disk));
      for (const n of SIZES) results.push(await measure(etcd, admin, n, path.join(shm, String(n))));
      // What the fan-out costs without 1,000 TCP connections: the simulated hosts of one worker share one.
      const big = Math.max(...SIZES);
      if (big >= 100) results.push(await measure(etcd, admin, big, path.join(shm, `${big}-shared`), true));
    }
    if (ONLY !== 'fanout') {
      for (const [run, hosts] of [1, SIGTERM_HOSTS].entries()) {
        log(`put → SIGTERM: ${hosts} simulated host(s), ${SIGTERM_PUTS} puts, ${SIGTERM_SESSIONS} revoked per host`);
        const opts = { puts: SIGTERM_PUTS, targets: SIGTERM_SESSIONS, run, log };
        runs.push(await benchSigterm(etcd, admin, hosts, opts));
      }
    }
  } finally {
    admin.close();
    await etcd.stop();
    fs.rmSync(shm, { recursive: true, force: true });
    fs.rmSync(disk, { recursive: true, force: true });
  }
  const file = path.join(root, 'bench/RESULTS-fleet.md');
  const text = composeResults(
    fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '',
    results.length > 0 ? renderFanout(results, machine, version, PER_WORKER) : null,
    runs.length > 0 ? renderSigterm(runs, machine, version) : null,
  );
  if (!quick) fs.writeFileSync(file, text);
  process.stdout.write('\n' + text);
  const bad = (r: SigtermRun) => r.missed + r.leftAlive + r.bystandersEnded > 0;
  return results.some((r) => r.missing > 0) || runs.some(bad) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench:fleet failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
