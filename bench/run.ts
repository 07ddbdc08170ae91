// `npm run bench`: scan cost against ps-list at ~1,000 / ~5,000 / ~10,000 extra processes, and the cost of
// finding servers by behaviour against the name-only scan at ~1,000 and ~10,000 (bench/discovery.ts); then
// the real daemon's steady CPU and RSS at ~10,000, and a revocation during its full read of /proc there
// (bench/stall.ts); then revocation latency on real sessions (bench/revocation.ts), the same under a flood
// of 2,000 look-alike sessions (bench/flood.ts), and `moshwarden history` on a generated year of audit
// logs (bench/history.ts); writes bench/RESULTS.md and prints a summary.
//
// BENCH_QUICK=1 shrinks every size and window (for checking the benchmark itself; not for results).
// `npm run bench -- --only NAME` (history, discovery, stall, flood, revocation-file) runs one part alone and
// replaces its section of RESULTS.md; revocation-file (how long one read of a hostile revocation file blocks
// the loop, bench/revocation-file.ts) runs only alone.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import psList from 'ps-list';
import { listPids } from '../src/host/proc.js';
import { ProcessTable } from '../src/host/process-table.js';
import { discoveryOnThisHost } from '../src/sessions/on-this-host.js';
import { measureInterleaved, type Subject } from './measure.js';
import { hostBusyPct, hostCpu } from './procstat.js';
import { machineFacts, renderReport, summary, type Run, type ScanSection } from './report.js';
import { ExtraProcesses } from './spawn.js';
import { measureSteady } from './steady.js';
import { benchRevocation, renderRevocation } from './revocation.js';
import { benchHistory, renderHistory } from './history.js';
import { benchRevocationFile, renderRevocationFile } from './revocation-file.js';
import { measureDiscovery, renderDiscovery, type DiscoveryRun } from './discovery.js';
import { benchStall, renderStall, stallVerdicts } from './stall.js';
import { benchFlood, floodVerdicts, renderFlood } from './flood.js';
import { startPtyHolders, type PtyHolders } from './pty-holders.js';
import { splice } from './sections.js';

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
// Settle past V8's memory reducer: ~40 s after start it runs 3 mark-compacts in a row (seen with
// --trace-gc: ~20 ms of CPU, a third of what a 60-s window at 0.1 % allows), once, then not again while
// the daemon is steady. A 120-s window makes one tick 0.008 % of a core.
const SETTLE_MS = quick ? 2_000 : 50_000;
const WINDOW_MS = quick ? 10_000 : 120_000;
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

/** Sizes of the discovery comparison (issue 10: 1,000 and 10,000 processes). */
const DISCOVERY_AT = quick ? [100, 300] : [1000, 10000];
/** tmux/script-like pty holders on the host while discovery is measured (the candidates by behaviour). */
const PTY_HOLDERS = 20;
const HOLDERS_NOTE = `${PTY_HOLDERS} pty holders started by the benchmark (python3, a pty master whose child leads the pty, no UDP: what tmux, screen and \`script\` look like) are on the host besides the extra \`sleep\` processes.`;

/** `--only NAME`: that part alone, its section of RESULTS.md replaced and the rest kept. */
async function onlyOne(what: string): Promise<number> {
  const command = `${quick ? 'BENCH_QUICK=1 ' : ''}npm run bench -- --only ${what}`;
  let section: string;
  let ok = true;
  if (what === 'history') {
    const bench = await benchHistory(log, quick);
    section = renderHistory(bench, command);
    ok = bench.runs.every((r) => r.code === 0);
  } else if (what === 'discovery') {
    const extra = new ExtraProcesses();
    const holders = await startPtyHolders(PTY_HOLDERS, 'ptyholder', null);
    const runs: DiscoveryRun[] = [];
    for (const size of DISCOVERY_AT) runs.push(await discoveryAt(extra, size));
    await holders.stop();
    await extra.killAll();
    section = renderDiscovery(runs, command, HOLDERS_NOTE);
  } else if (what === 'stall') {
    const extra = new ExtraProcesses();
    const grown = await extra.grow(STEADY_EXTRA);
    log(`${grown.reached} extra processes for the stall benchmark`);
    const bench = await benchStall(log, quick, listPids().length);
    await extra.killAll();
    section = renderStall(bench, command);
    ok = bench.error === null && stallVerdicts(bench).every((v) => v.ok);
  } else if (what === 'flood') {
    const bench = await benchFlood(log, quick);
    section = renderFlood(bench, command);
    ok = bench.error === null && floodVerdicts(bench).every((v) => v.ok);
  } else if (what === 'revocation-file') {
    section = renderRevocationFile(await benchRevocationFile(log, quick), command);
  } else {
    throw new Error(`--only ${what}: the parts that run alone are: history, discovery, stall, flood, revocation-file`);
  }
  const file = path.join(root, 'bench/RESULTS.md');
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '# moshwarden benchmark results\n';
  writeFileSync(file, splice(old, what, section));
  process.stdout.write(`\nWritten: ${file} (${what} section)\n`);
  return ok ? 0 : 1;
}

async function discoveryAt(extra: ExtraProcesses, size: number): Promise<DiscoveryRun> {
  const grown = await extra.grow(size);
  const r = await measureDiscovery(size, grown.reached, quick);
  log(`discovery measured at ~${size} extra (${r.ptyLeaders} pty leaders on the host)`);
  return r;
}

async function main(): Promise<number> {
  const only = process.argv.indexOf('--only');
  if (only !== -1) {
    const what = process.argv[only + 1];
    return onlyOne(what ?? '');
  }
  const t0 = performance.now();
  const machine = machineFacts(root);
  log(
    `${machine.cores} cores, ${machine.cpuModel}, ${machine.kernel}, Node ${machine.node}; ${listPids().length} processes on the host`,
  );
  const extra = new ExtraProcesses();
  const sections: ScanSection[] = [];
  const discovery: DiscoveryRun[] = [];
  let holders: PtyHolders | null = await startPtyHolders(PTY_HOLDERS, 'ptyholder', null);

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
    if (DISCOVERY_AT.includes(cfg.extra)) discovery.push(await discoveryAt(extra, cfg.extra));
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
  log('stall: 200 sessions revoked during a full read of /proc');
  const stall = await benchStall(log, quick, listPids().length);
  await extra.killAll();
  await holders.stop();
  holders = null;

  log('revocation latency: 1, 50 and 200 live sessions, then new sessions of a revoked user');
  const revocation = await benchRevocation(log, quick);

  log('flood: 2,000 look-alike sessions of one user, another user revoked');
  const flood = await benchFlood(log, quick);

  log('history: a year of audit logs (1,000,000 lines)');
  const history = await benchHistory(log, quick);

  const run: Run = {
    command: quick ? 'BENCH_QUICK=1 npm run bench (quick check, not a result)' : 'npm run bench',
    machine,
    runtimeS: (performance.now() - t0) / 1000,
    sections,
    discovery,
    steady: { ...steady, extraTarget: STEADY_EXTRA, extraReached: grown.reached, spawnError: grown.error },
  };
  const file = path.join(root, 'bench/RESULTS.md');
  writeFileSync(
    file,
    [
      renderReport(run),
      renderDiscovery(discovery, run.command, HOLDERS_NOTE),
      renderStall(stall, run.command),
      renderFlood(flood, run.command),
      renderRevocation(revocation),
      renderHistory(history, run.command),
    ].join('\n'),
  );
  const more = [...stallVerdicts(stall), ...floodVerdicts(flood)]
    .map((v) => `${v.ok ? 'PASS' : 'MISS'}  ${v.target}: ${v.measured}`)
    .join('\n');
  process.stdout.write(`\n${summary(run)}\n${more}\n\nWritten: ${file} (${run.runtimeS.toFixed(0)} s)\n`);
  return steady.error || stall.error || flood.error ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
