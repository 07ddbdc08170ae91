// `npm run bench`: scan cost against ps-list at ~1,000 / ~5,000 / ~10,000 extra processes, then the real
// daemon's steady CPU and RSS at ~10,000, then revocation latency on real sessions (bench/revocation.ts);
// then `moshwarden history` on a generated year of audit logs (bench/history.ts); writes bench/RESULTS.md
// and prints a summary.
//
// BENCH_QUICK=1 shrinks every size and window (for checking the benchmark itself; not for results).
// `npm run bench -- --only history` runs only the history benchmark and replaces its section of RESULTS.md;
// `--only revocation-file` likewise for how long one read of a hostile revocation file blocks the loop
// (bench/revocation-file.ts; not part of the full run).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import psList from 'ps-list';
import { listPids, ProcessTable } from '../src/host/proc.js';
import { discoveryOnThisHost } from '../src/sessions/on-this-host.js';
import { measureInterleaved, type Subject } from './measure.js';
import { hostBusyPct, hostCpu } from './procstat.js';
import { machineFacts, renderReport, summary, type Run, type ScanSection } from './report.js';
import { ExtraProcesses } from './spawn.js';
import { measureSteady } from './steady.js';
import { benchRevocation, renderRevocation } from './revocation.js';
import { benchHistory, renderHistory, spliceHistory } from './history.js';
import { benchRevocationFile, renderRevocationFile, spliceRevocationFile } from './revocation-file.js';

const quick = process.env.BENCH_QUICK === '1';
const root = fileURLToPath(new URL('../../', import.meta.url));

/** Sizes of the scan comparison; ps-list gets fewer reps where it is slow (it runs `ps` twice per call). */
const SECTIONS = quick
  ? [
      { extra: 100, reps: 5, psReps: 3 },
      { extra: 300, reps: 5, psReps: 3 },
    ]
  : [
      { extra: 1000, reps: 30, psReps: 30 },
      { extra: 5000, reps: 30, psReps: 15 },
      { extra: 10000, reps: 20, psReps: 5 },
    ];
const WARMUP = quick ? 1 : 3;
const STEADY_EXTRA = quick ? 300 : 10000;
const SETTLE_MS = quick ? 2_000 : 10_000;
const WINDOW_MS = quick ? 10_000 : 60_000;
/** ps-list every 5 s: 6 calls in 30 s are enough for a mean, and it is far above the noise. */
const PSLIST_SETTLE_MS = 2_000;
/** A shared host: wait up to 30 s for 5 s without a new pty before a daemon window; at most 2 windows. */
const QUIET_MS = 5_000;
const QUIET_MAX_WAIT_MS = quick ? 5_000 : 30_000;
const MAX_ATTEMPTS = 2;
const PSLIST_WINDOW_MS = quick ? 10_000 : 30_000;

function log(line: string): void {
  process.stdout.write(`[bench] ${line}\n`);
}

async function subjects(reps: number, psReps: number): Promise<Subject[]> {
  const warmTable = new ProcessTable();
  warmTable.scan(true);
  const discovery = discoveryOnThisHost();
  await discovery.scan(true);
  return [
    {
      name: 'ProcessTable.scan(true): full read, new table',
      baseline: false,
      reps,
      run: () => new ProcessTable().scan(true).size,
    },
    {
      name: 'ProcessTable.scan(false): incremental, warmed table (lists /proc only if a pid was allocated since the last call)',
      baseline: false,
      reps,
      run: () => warmTable.scan(false).size,
    },
    {
      name: 'Discovery.scan(false): the daemon’s periodic scan (entries = sessions)',
      baseline: false,
      reps,
      run: async () => (await discovery.scan(false)).sessions.length,
    },
    { name: 'ps-list (baseline)', baseline: true, reps: psReps, run: async () => (await psList()).length },
  ];
}

/** `--only history`: just that benchmark, its section of RESULTS.md replaced and the rest kept. */
async function onlyHistory(): Promise<number> {
  const command = `${quick ? 'BENCH_QUICK=1 ' : ''}npm run bench -- --only history`;
  const bench = await benchHistory(log, quick);
  const file = path.join(root, 'bench/RESULTS.md');
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '# moshwarden benchmark results\n';
  writeFileSync(file, spliceHistory(old, renderHistory(bench, command)));
  process.stdout.write(`\nWritten: ${file} (history section)\n`);
  return bench.runs.every((r) => r.code === 0) ? 0 : 1;
}

/** `--only revocation-file`: how long one read of a hostile revocation file blocks the loop. */
async function onlyRevocationFile(): Promise<number> {
  const command = `${quick ? 'BENCH_QUICK=1 ' : ''}npm run bench -- --only revocation-file`;
  const bench = await benchRevocationFile(log, quick);
  const file = path.join(root, 'bench/RESULTS.md');
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '# moshwarden benchmark results\n';
  writeFileSync(file, spliceRevocationFile(old, renderRevocationFile(bench, command)));
  process.stdout.write(`\nWritten: ${file} (revocation file section)\n`);
  return 0;
}

async function main(): Promise<number> {
  const only = process.argv.indexOf('--only');
  if (only !== -1) {
    const what = process.argv[only + 1];
    if (what === 'history') return onlyHistory();
    if (what === 'revocation-file') return onlyRevocationFile();
    throw new Error(`--only ${what ?? ''}: the benchmarks that run alone are: history, revocation-file`);
  }
  const t0 = performance.now();
  const machine = machineFacts(root);
  log(
    `${machine.cores} cores, ${machine.cpuModel}, ${machine.kernel}, Node ${machine.node}; ${listPids().length} processes on the host`,
  );
  const extra = new ExtraProcesses();
  const sections: ScanSection[] = [];

  for (const cfg of SECTIONS) {
    const grown = await extra.grow(cfg.extra);
    log(
      `${grown.reached} extra processes (${(grown.spawnMs / 1000).toFixed(1)} s to start)${grown.error ? `; spawning stopped: ${grown.error}` : ''}`,
    );
    const before = listPids().length;
    const list = await subjects(cfg.reps, cfg.psReps);
    const host0 = hostCpu();
    const timings = await measureInterleaved(list, WARMUP);
    const busy = hostBusyPct(host0, hostCpu());
    sections.push({
      extraTarget: cfg.extra,
      extraReached: grown.reached,
      spawnError: grown.error,
      hostProcesses: { before, after: listPids().length },
      hostBusyPct: busy,
      warmup: WARMUP,
      timings,
    });
    log(`scans measured at ~${cfg.extra} extra`);
  }

  const grown = await extra.grow(STEADY_EXTRA);
  log(
    `${grown.reached} extra processes for the daemon; settling ${SETTLE_MS / 1000} s, measuring ${WINDOW_MS / 1000} s, then ps-list every 5 s for ${PSLIST_WINDOW_MS / 1000} s`,
  );
  const steady = await measureSteady({
    root,
    settleMs: SETTLE_MS,
    windowMs: WINDOW_MS,
    sampleEveryMs: 1_000,
    quietMs: QUIET_MS,
    quietMaxWaitMs: QUIET_MAX_WAIT_MS,
    maxAttempts: MAX_ATTEMPTS,
    psListSettleMs: PSLIST_SETTLE_MS,
    psListWindowMs: PSLIST_WINDOW_MS,
  });
  await extra.killAll();

  log('revocation latency: 1, 50 and 200 live sessions, then new sessions of a revoked user');
  const revocation = await benchRevocation(log, quick);

  log('history: a year of audit logs (1,000,000 lines)');
  const history = await benchHistory(log, quick);

  const run: Run = {
    command: quick ? 'BENCH_QUICK=1 npm run bench (quick check, not a result)' : 'npm run bench',
    machine,
    runtimeS: (performance.now() - t0) / 1000,
    sections,
    steady: { ...steady, extraTarget: STEADY_EXTRA, extraReached: grown.reached, spawnError: grown.error },
  };
  const file = path.join(root, 'bench/RESULTS.md');
  writeFileSync(file, renderReport(run) + renderRevocation(revocation) + '\n' + renderHistory(history, run.command));
  process.stdout.write(`\n${summary(run)}\n\nWritten: ${file} (${run.runtimeS.toFixed(0)} s)\n`);
  return steady.error ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
