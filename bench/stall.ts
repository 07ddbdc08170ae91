// No stall while looking (issue 10): a revocation that arrives while the daemon reads all of /proc at
// ~10,000 processes must not wait for the read. The real daemon (as the unit runs it, as root) is made
// to read all of /proc on every pass (MOSHWARDEN_FULL_SCAN_EVERY_MS=0, a benchmark-only knob), 2 s apart;
// 200 real sessions of the test user are revoked at a moment when a full read is under way, and
//  - append → SIGTERM is measured as in revocation.ts (session.signal `at`, ms);
//  - the longest event-loop block is what the daemon itself measured during each full read
//    (perf_hooks.monitorEventLoopDelay around the read: `max_block_ms` of its debug `scan.pass` line).
// A trial counts only when the append fell inside a full read (the read's start = end − scan_ms).
import fs from 'node:fs';
import { percentile } from './measure.js';
import { Daemon, daemonFiles, endOurs, ensureUser, launchPid, sleep, waitGone, type Line } from './real.js';
import { marked } from './sections.js';

const USER = 'mw-test-alice';
const PORT_BASE = 62400; // after revocation.ts's ports (62000 up)
const SCAN_INTERVAL_MS = 2_000;

export interface StallTrial {
  /** Where the append fell in the full read: ms after it began, and the read's length. */
  intoReadMs: number | null;
  readMs: number | null;
  latenciesMs: number[];
  /** max_block_ms of the full read the append fell into. */
  maxBlockMs: number | null;
  leftAlive: number;
}

export interface StallBench {
  sessions: number;
  hostProcesses: number;
  trials: StallTrial[];
  /** max_block_ms and scan_ms of every full read the daemon logged while the sessions lived. */
  fullReads: { scanMs: number; maxBlockMs: number }[];
  error: string | null;
}

const isFull = (l: Line) => l.event === 'scan.pass' && l.full === true;
const endOf = (l: Line) => Date.parse(l.time!);

export async function benchStall(log: (s: string) => void, quick: boolean, hostProcesses: number): Promise<StallBench> {
  ensureUser(USER);
  const n = quick ? 20 : 200;
  const trials = quick ? 2 : 3;
  const { dir, file, config } = daemonFiles('mw-bench-stall-', `${SCAN_INTERVAL_MS / 1000}s`);
  const d = new Daemon(config, { MOSHWARDEN_FULL_SCAN_EVERY_MS: '0' });
  const result: StallBench = { sessions: n, hostProcesses, trials: [], fullReads: [], error: null };
  let port = PORT_BASE;
  const from = d.lines.length;
  try {
    await d.waitFor((l) => l.event === 'daemon.start', 30_000);
    for (let t = 0; t < trials; t++) {
      const pids: number[] = [];
      for (let i = 0; i < n; i++) pids.push(launchPid(USER, port++));
      await d.waitStarted(pids, 60_000);
      // A timer pass begins one scan interval after the last one ended (daemon/runner.ts): wait for the
      // end of a full read, then append 100 ms into the next one.
      const mark0 = d.lines.length;
      const last = await d.waitFor(isFull, 30_000, mark0);
      const target = endOf(last) + SCAN_INTERVAL_MS + 100;
      await sleep(Math.max(0, target - Date.now()));
      const mark = d.lines.length;
      const t0 = Date.now(); // just before the write
      fs.appendFileSync(file, `${USER}\n`);
      const latenciesMs = await d.sigtermLatencies(pids, t0, mark);
      const leftAlive = (await waitGone(pids, 10_000)).length;
      const read = await d
        .waitFor((l) => isFull(l) && endOf(l) >= t0 && endOf(l) - (l.scan_ms ?? 0) <= t0, 10_000, mark)
        .catch(() => null);
      result.trials.push({
        intoReadMs: read ? t0 - (endOf(read) - read.scan_ms!) : null,
        readMs: read?.scan_ms ?? null,
        latenciesMs,
        maxBlockMs: read?.max_block_ms ?? null,
        leftAlive,
      });
      log(
        `stall: ${n} sessions revoked ${read ? `${t0 - (endOf(read) - read.scan_ms!)} ms into a ${read.scan_ms} ms full read` : 'NOT during a full read'}: ` +
          `p50 ${percentile(latenciesMs, 50)} ms, p99 ${percentile(latenciesMs, 99)} ms; longest block in that read ${read?.max_block_ms ?? '?'} ms`,
      );
      fs.writeFileSync(file, '');
      await d.waitFor((l) => l.event === 'revocation.load' && l.entries === 0, 5_000, mark);
      endOurs(pids);
    }
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
  } finally {
    result.fullReads = d.lines
      .slice(from)
      .filter(isFull)
      .map((l) => ({ scanMs: l.scan_ms ?? NaN, maxBlockMs: l.max_block_ms ?? NaN }));
    await d.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

export const STALL_P99_MS = 25;
export const BLOCK_MS = 20;

export function stallVerdicts(b: StallBench): { target: string; measured: string; ok: boolean }[] {
  const inRead = b.trials.filter((t) => t.intoReadMs !== null);
  const lat = inRead.flatMap((t) => t.latenciesMs);
  const p99 = percentile(lat, 99);
  const blocks = b.fullReads.map((r) => r.maxBlockMs).filter(Number.isFinite);
  const maxBlock = blocks.length ? Math.max(...blocks) : NaN;
  return [
    {
      target: `Append → SIGTERM p99 ≤ ${STALL_P99_MS} ms for ${b.sessions} sessions, revoked during a full read of /proc at ~${b.hostProcesses.toLocaleString('en')} processes`,
      measured: `p99 ${p99} ms (p50 ${percentile(lat, 50)}, max ${lat.length ? Math.max(...lat) : NaN}; ${lat.length} SIGTERMs in ${inRead.length} of ${b.trials.length} trials)`,
      ok: lat.length > 0 && p99 <= STALL_P99_MS,
    },
    {
      target: `Longest event-loop block during a full read ≤ ${BLOCK_MS} ms (the daemon's monitorEventLoopDelay)`,
      measured: `${Number.isFinite(maxBlock) ? maxBlock.toFixed(1) : 'n/a'} ms over ${blocks.length} full reads (median read ${percentile(
        b.fullReads.map((r) => r.scanMs),
        50,
      )} ms)`,
      ok: Number.isFinite(maxBlock) && maxBlock <= BLOCK_MS,
    },
  ];
}

export function renderStall(b: StallBench, command: string): string {
  const out = [
    '## No stall while looking: revocation during a full read of /proc (issue 10)',
    '',
    `- Command: \`${command}\`; ${new Date().toISOString()}; ${b.hostProcesses.toLocaleString('en')} processes on the host.`,
    '- The real daemon (root, as the unit runs it: `node --max-semi-space-size=1 bin/moshwarden.js run`), `scan_interval: 2s`,',
    '  `log.level: debug`, and `MOSHWARDEN_FULL_SCAN_EVERY_MS=0` (benchmark only: every pass reads all of /proc, so that',
    '  one is under way when the append comes). The benchmark waits for the end of a full read, appends the user 100 ms',
    '  into the next (a timer pass begins one scan interval after the last ended), and checks from the daemon’s own',
    '  `scan.pass` line (its end, less `scan_ms`) that the append fell inside it.',
    '- append → SIGTERM: as in "Revocation latency" below (`session.signal` `at`, ms). Longest block: the daemon measures',
    '  it itself during every full read (`perf_hooks.monitorEventLoopDelay`, 1 ms resolution, switched on only for the',
    '  read; `max_block_ms` = the latest the timer fired, less its 1 ms period) and logs it on its debug `scan.pass` line.',
    '',
    '| Target | Measured | Result |',
    '|---|---|---|',
    ...stallVerdicts(b).map((v) => `| ${v.target} | ${v.measured} | ${v.ok ? 'PASS' : '**MISS**'} |`),
    '',
    '| Trial | append, ms into the full read | full read ms | SIGTERMs | p50 ms | p99 ms | max ms | longest block in that read, ms | still alive after 10 s |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...b.trials.map(
      (t, i) =>
        `| ${i + 1} | ${t.intoReadMs ?? 'not during a full read'} | ${t.readMs ?? '—'} | ${t.latenciesMs.length} | ${percentile(t.latenciesMs, 50)} | ${percentile(t.latenciesMs, 99)} | ${Math.max(...t.latenciesMs)} | ${t.maxBlockMs ?? '—'} | ${t.leftAlive} |`,
    ),
    '',
    `Every full read while the sessions lived: ${b.fullReads.length}; read ms median ${percentile(
      b.fullReads.map((r) => r.scanMs),
      50,
    )}, max ${Math.max(...b.fullReads.map((r) => r.scanMs))}; longest block median ${percentile(
      b.fullReads.map((r) => r.maxBlockMs),
      50,
    )} ms, max ${Math.max(...b.fullReads.map((r) => r.maxBlockMs))} ms.`,
    ...(b.error ? ['', `**The measurement failed:** ${b.error}`] : []),
  ];
  return marked('stall', out.join('\n'));
}
