// bench/RESULTS-fleet.md: the fan-out section (bench (b) of docs/fleet.md) and the put → SIGTERM section
// (bench (a)). `npm run bench:fleet -- --only fanout|sigterm` runs one of them and keeps the other's
// section as it was.
import type { Machine } from './report.js';
import type { SigtermRun } from './fleet-sigterm.js';

const TITLE = '# Fleet fan-out: put → fleet revocation file written on every host';
const SIGTERM_HEADING = '## (a) put → SIGTERM of real sessions on every simulated host';

export const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const mib = (b: number) => (b / 2 ** 20).toFixed(1);
const ms = (x: number) => x.toFixed(1);

export interface SizeResult {
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

/** The fan-out section (b): the table of every fleet size, the baseline, how to read it. */
export function renderFanout(results: SizeResult[], machine: Machine, etcdVersion: string, perWorker: number): string {
  const base = results.find((r) => r.hosts === 1 && !r.dir.startsWith('/dev/shm')) ?? results[0]!;
  const lines = [
    TITLE,
    '',
    `Command: \`npm run bench:fleet\` (or \`-- --only fanout\`), ${machine.date}. Machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memGiB.toFixed(1)} GiB, ${machine.kernel}, Node ${machine.node}; ${etcdVersion}, one member on 127.0.0.1.`,
    '',
    `Each simulated host: its own etcd client and TCP connection, list + watch from revision + 1, a lease (TTL 10 s) with keepalive, its own file written atomically (temp, fsync, rename, directory fsync). ${perWorker} hosts per Node worker process; worker clocks aligned to the driver by ping-pong. Latency: from just before \`put\` to the rename of the file holding that revision, per (host, put); "slowest" is per put, the last host to have it.`,
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
  ];
  return lines.join('\n');
}

/** Section (a): 1 host (the baseline) and the fleet, same run. */
export function renderSigterm(runs: SigtermRun[], machine: Machine, etcdVersion: string): string {
  const base = runs.find((r) => r.hosts === 1) ?? runs[0]!;
  const fleet = runs.find((r) => r.hosts > 1) ?? base;
  const d = (x: number) => (x >= 0 ? '+' : '') + ms(x);
  return [
    SIGTERM_HEADING,
    '',
    `Command: \`npm run bench:fleet -- --only sigterm\` (or the whole \`npm run bench:fleet\`), ${machine.date}. Machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memGiB.toFixed(1)} GiB, ${machine.kernel}, Node ${machine.node}; ${etcdVersion}, one member on 127.0.0.1.`,
    '',
    'Each simulated host (test/e2e/ns-host.ts): a real `moshwarden run` and a real `moshwarden fleet` in their own PID, mount and UTS namespaces, with its own devpts instance and utmp, real mosh-servers of the test users inside. Per put: on every host, new sessions of mw-test-alice whose ssh origin is unique to the put, beside two bystander sessions that live through the run; the put (etcd3 client, from outside) revokes `from:<origin>/32`. Latency: from just before the put to the daemon\'s `session.signal` SIGTERM line (written right after kill(2) returned), per (host, session, put); "file written": to the fleet service\'s `fleet.sync` line (after the rename), per (host, put). Daemons at `scan_interval: 10m`: the watch-driven path is measured.',
    '',
    '| hosts | sessions per host at the put (revoked) | puts | put → SIGTERM p50 ms | p99 ms | max ms | slowest host per put: p50 / p99 ms | put → file written: p50 / p99 ms | missed | left alive | bystanders ended |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...runs.map(
      (r) =>
        `| ${r.hosts} | ${r.sessionsAtPut} (${r.targetsPerHost}) | ${r.puts} | ${ms(pct(r.sigterm, 50))} | ${ms(pct(r.sigterm, 99))} | ${ms(Math.max(...r.sigterm))} | ${ms(pct(r.slowest, 50))} / ${ms(pct(r.slowest, 99))} | ${ms(pct(r.file, 50))} / ${ms(pct(r.file, 99))} | ${r.missed} | ${r.leftAlive} | ${r.bystandersEnded} |`,
    ),
    '',
    `Baseline (1 host, same run): p50 ${ms(pct(base.sigterm, 50))} ms, p99 ${ms(pct(base.sigterm, 99))} ms. ${fleet.hosts} hosts: p50 ${d(pct(fleet.sigterm, 50) - pct(base.sigterm, 50))} ms, p99 ${d(pct(fleet.sigterm, 99) - pct(base.sigterm, 99))} ms against it.`,
    '',
    "All hosts share this machine's 2 cores (and etcd): every daemon and fleet service decodes and acts on",
    'the same put at the same moment, which real hosts each do on their own CPU. "file written" is the time',
    "of the fleet service's log line after the rename: the daemon, woken by the rename, may act before that",
    'line is written, so it can come after the SIGTERM.',
    '',
  ].join('\n');
}

/** The file with the sections given replaced and the others kept from `old` (null: keep it). */
export function composeResults(old: string, fanout: string | null, sigterm: string | null): string {
  const at = old.indexOf(SIGTERM_HEADING);
  const oldFanout = at === -1 ? old : old.slice(0, at);
  const oldSigterm = at === -1 ? '' : old.slice(at);
  const parts = [fanout ?? oldFanout, sigterm ?? oldSigterm].map((p) => p.replace(/\n+$/, '')).filter(Boolean);
  return parts.join('\n\n') + '\n';
}
