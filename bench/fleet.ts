// `npm run bench:fleet`: fan-out of a fleet revocation through a real etcd (bench (b) of docs/fleet.md).
// One put of `revoked/<target>` → the fleet revocation file rewritten on every simulated host. Measured
// for 1 host (the baseline, same run), then for the fleet sizes asked for (default 100 and 1,000 hosts).
// Each simulated host is a fleet engine of its own: its own etcd client and TCP connection, revocation
// sync (list, watch from revision + 1), host lease with keepalive, its own file (written atomically with
// fsync). 1,000 Node processes would not fit in this machine's memory, so the hosts run 250 per worker
// process; every worker's clock is aligned to the driver's by ping-pong before measuring.
//
// (a) put → SIGTERM on real sessions needs the daemon to read the fleet file (phase 2): see
// benchSigterm() below, the hook for it.
//
// Env: FLEET_SIZES=1,100,1000 (default), FLEET_PUTS=40, FLEET_DIR=/dev/shm (where the hosts' files go;
// the 1-host baseline is also run on the disk under os.tmpdir()), FLEET_PROF=DIR (CPU profiles of the
// workers), BENCH_QUICK=1 for a small check (results not written).
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Etcd } from '../test/e2e/etcd.js';
import type { EtcdPort } from '../src/fleet/port.js';
import { connectEtcd } from '../src/host/etcd.js';
import { machineFacts } from './report.js';

const quick = process.env.BENCH_QUICK === '1';
const root = fileURLToPath(new URL('../../', import.meta.url));
const SIZES = (process.env.FLEET_SIZES ?? (quick ? '1,20' : '1,100,1000')).split(',').map(Number);
const PUTS = Number(process.env.FLEET_PUTS ?? (quick ? 10 : 40));
const PER_WORKER = 250;
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

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

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

interface SizeResult {
  hosts: number;
  dir: string;
  shared: boolean;
  puts: number;
  /** put → file written, every (host, put) pair, ms */
  all: number[];
  /** put → watch event received by the host's process, ms */
  arrive: number[];
  /** per put: the slowest host, ms */
  slowest: number[];
  missing: number;
  etcdRss: number;
  perHostRss: number;
  workerRss: number[];
  cpu: { etcd: number; workers: number; wallPerPut: number };
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

/**
 * Bench (a), phase 2: put → SIGTERM of real mosh sessions on every simulated host. Each host is a real
 * daemon + fleet service in its own PID and mount namespace (`unshare --pid --mount --fork`, its own
 * /proc, a devpts instance and its own utmp), both reading/writing the files of docs/fleet.md. The
 * measurement is the revocation bench (bench/revocation.ts) with the append replaced by an etcd put.
 * It needs the daemon to read the fleet revocation file, which lands with phase 2.
 */
export function benchSigterm(): { skipped: string } {
  return { skipped: 'needs the daemon to read fleet.revocation_file (phase 2, docs/fleet.md "For the daemon")' };
}

const mib = (b: number) => (b / 2 ** 20).toFixed(1);
const ms = (x: number) => x.toFixed(1);

function render(results: SizeResult[], machine: ReturnType<typeof machineFacts>, etcdVersion: string): string {
  const base = results.find((r) => r.hosts === 1 && !r.dir.startsWith('/dev/shm')) ?? results[0]!;
  const lines = [
    '# Fleet fan-out: put → fleet revocation file written on every host',
    '',
    `Command: \`${quick ? 'BENCH_QUICK=1 ' : ''}npm run bench:fleet\`, ${machine.date}. Machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memGiB.toFixed(1)} GiB, ${machine.kernel}, Node ${machine.node}; ${etcdVersion}, one member on 127.0.0.1.`,
    '',
    `Each simulated host: its own etcd client and TCP connection, list + watch from revision + 1, a lease (TTL 10 s) with keepalive, its own file written atomically (temp, fsync, rename, directory fsync). ${PER_WORKER} hosts per Node worker process; worker clocks aligned to the driver by ping-pong. Latency: from just before \`put\` to the rename of the file holding that revision, per (host, put); "slowest" is per put, the last host to have it.`,
    '',
    '| hosts | files on | puts | p50 ms | p99 ms | max ms | slowest host per put: p50 / p99 ms | event received: p50 / p99 ms | missed | etcd RSS MiB | per host MiB (worker RSS MiB) | CPU per put: etcd / hosts ms |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.hosts}${r.shared ? ' (diagnostic: 1 connection per worker)' : ''} | ${r.dir.startsWith('/dev/shm') ? 'tmpfs' : 'disk'} | ${r.puts} | ${ms(pct(r.all, 50))} | ${ms(pct(r.all, 99))} | ${ms(Math.max(...r.all))} | ${ms(pct(r.slowest, 50))} / ${ms(pct(r.slowest, 99))} | ${ms(pct(r.arrive, 50))} / ${ms(pct(r.arrive, 99))} | ${r.missing} | ${mib(r.etcdRss)} | ${mib(r.perHostRss)} (${r.workerRss.map(mib).join(', ')}) | ${r.cpu.etcd.toFixed(0)} / ${r.cpu.workers.toFixed(0)} (of ${r.cpu.wallPerPut.toFixed(0)} wall) |`,
    ),
    '',
    'Per host: the growth of its worker process per host; a worker with one host is what one fleet service costs',
    '(Node itself included).',
    '',
    `Baseline (1 host, disk): p50 ${ms(pct(base.all, 50))} ms, p99 ${ms(pct(base.all, 99))} ms. Target: p99 ≤ 250 ms at 1,000 hosts.`,
    '',
    'The fleet-size runs write to tmpfs: on one machine, 1,000 hosts share one disk and one fsync queue,',
    'which real hosts do not; the disk row of the 1-host baseline is the per-host fsync cost.',
    '"event received" is when the host\'s watch handler ran: the file is written within a fraction of a ms',
    'after it. "CPU per put" is the CPU time etcd and all simulated hosts used during the measurement,',
    "divided by the puts (keepalives included): all of it shares this machine's cores, so at 1,000 hosts the",
    'last host waits for the other 999 to decode the same event; on real hosts each does its own, in parallel.',
    '',
    'The diagnostic row runs the same hosts with grpc-js sharing one connection per worker process (4 TCP',
    'connections instead of 1,000): the difference is what 1,000 separate connections cost etcd and the kernel',
    'on this machine.',
    '',
    `(a) put → SIGTERM on real sessions: ${benchSigterm().skipped}.`,
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<number> {
  const machine = machineFacts(root);
  const etcd = await Etcd.start(['--quota-backend-bytes=2147483648']);
  const version = (await etcd.ctl(['version'])).split('\n')[0] ?? 'etcd';
  log(`${machine.cores} cores, ${machine.cpuModel}; ${version} at ${etcd.endpoint}`);
  const results: SizeResult[] = [];
  const admin = connectEtcd({ endpoints: [etcd.endpoint], ca: null, cert: null, key: null });
  const shm = fs.mkdtempSync(path.join(process.env.FLEET_DIR ?? '/dev/shm', 'mw-fleet-bench-'));
  const disk = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-fleet-bench-'));
  try {
    results.push(await measure(etcd, admin, 1, disk));
    for (const n of SIZES) results.push(await measure(etcd, admin, n, path.join(shm, String(n))));
    // What the fan-out costs without 1,000 TCP connections: the simulated hosts of one worker share one.
    const big = Math.max(...SIZES);
    if (big >= 100) results.push(await measure(etcd, admin, big, path.join(shm, `${big}-shared`), true));
  } finally {
    admin.close();
    await etcd.stop();
    fs.rmSync(shm, { recursive: true, force: true });
    fs.rmSync(disk, { recursive: true, force: true });
  }
  const text = render(results, machine, version);
  if (!quick) fs.writeFileSync(path.join(root, 'bench/RESULTS-fleet.md'), text);
  process.stdout.write('\n' + text);
  return results.some((r) => r.missing > 0) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench:fleet failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
