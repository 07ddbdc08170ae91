// Floods do not buy time (issue 10): one user holds 2,000 processes that look like sessions (named
// mosh-server, holding a pty whose leader is their child, `mesg n`); with the real daemon as the unit runs
// it (as root here), another user's revocation must still end all of that user's real sessions with
// append → SIGTERM p99 < 50 ms, the daemon's RSS must stay ≤ 100 MB, and its log must not grow per fake
// per pass (lines counted between the daemon's own `scan.pass` lines).
import fs from 'node:fs';
import { memory } from './procstat.js';
import { percentile } from './measure.js';
import { startPtyHolders, ptyRoom } from './pty-holders.js';
import { Daemon, daemonFiles, endOurs, ensureUser, launchPid, sleep, uidOf, waitGone, type Line } from './real.js';
import { marked } from './sections.js';

const FLOODER = 'mw-test-mallory';
const USER = 'mw-test-bob';
const PORT_BASE = 63000;
const SCAN_INTERVAL_MS = 5_000; // the shipped default (config.example.yaml)

export interface FloodBench {
  fakesWanted: number;
  fakes: number;
  /** session.start lines for the flooder's uid: every fake found, as the flooder's own. */
  fakesFound: number;
  foundAfterS: number;
  sessions: number;
  trials: { latenciesMs: number[]; leftAlive: number }[];
  /** Other users' sessions ended meanwhile (must be 0: only the revoked user's). */
  othersEnded: number;
  /** Max VmRSS sampled every 250 ms from the first fake found to the end, and VmHWM at the end (MiB). */
  maxRssMiB: number;
  peakRssMiB: number;
  /** Max VmRSS in the quiet window: the flood alone, before the other user's sessions (MiB). */
  quietRssMiB: number;
  /** Lines of level info and up between consecutive scan.pass lines, over a quiet window with the fakes. */
  quietPasses: number;
  linesPerPass: number[];
  linesByEvent: Record<string, number>;
  error: string | null;
}

export const FLOOD_P99_MS = 50;
export const FLOOD_RSS_MIB = 100;
const QUIET_MS = 30_000;

export async function benchFlood(log: (s: string) => void, quick: boolean): Promise<FloodBench> {
  ensureUser(FLOODER);
  ensureUser(USER);
  const wanted = quick ? 200 : 2_000;
  const n = quick ? 20 : 200;
  const trials = quick ? 1 : 2;
  const fakes = Math.min(wanted, ptyRoom() - n * trials);
  const result: FloodBench = {
    fakesWanted: wanted,
    fakes,
    fakesFound: 0,
    foundAfterS: NaN,
    sessions: n,
    trials: [],
    othersEnded: 0,
    maxRssMiB: NaN,
    peakRssMiB: NaN,
    quietRssMiB: NaN,
    quietPasses: 0,
    linesPerPass: [],
    linesByEvent: {},
    error: null,
  };
  const { dir, file, config } = daemonFiles('mw-bench-flood-', `${SCAN_INTERVAL_MS / 1000}s`);
  log(`flood: starting ${fakes} look-alike sessions as ${FLOODER}`);
  let holders: Awaited<ReturnType<typeof startPtyHolders>>;
  try {
    holders = await startPtyHolders(fakes, 'mosh-server', FLOODER);
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    return { ...result, error: e instanceof Error ? e.message : String(e) };
  }
  const d = new Daemon(config);
  let maxRss = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const m = memory(d.pid);
      if (m && result.fakesFound > 0) maxRss = Math.max(maxRss, m.rssKb);
      await sleep(250);
    }
  })();
  const flooder = uidOf(FLOODER);
  const fakeStarts = () => d.lines.filter((l) => l.event === 'session.start' && l.uid === flooder).length;
  let port = PORT_BASE;
  try {
    const t0 = Date.now();
    await d.waitFor((l) => l.event === 'daemon.start', 60_000);
    while ((result.fakesFound = fakeStarts()) < fakes && Date.now() - t0 < 300_000) await sleep(200);
    result.foundAfterS = (Date.now() - t0) / 1000;
    log(
      `flood: ${result.fakesFound} of ${fakes} found in ${result.foundAfterS.toFixed(1)} s; ${QUIET_MS / 1000} s quiet`,
    );

    // A quiet window: the lines the daemon writes per pass with 2,000 sessions and nothing due.
    const mark = d.lines.length;
    maxRss = 0;
    await sleep(QUIET_MS);
    result.quietRssMiB = maxRss / 1024;
    const window = d.lines.slice(mark, d.lines.length);
    let current = -1; // lines before the first scan.pass in the window are not a whole pass
    for (const l of window) {
      if (l.event === 'scan.pass') {
        if (current >= 0) result.linesPerPass.push(current);
        current = 0;
      } else if ((l.level ?? 0) >= 30 && current >= 0) {
        current++;
        result.linesByEvent[l.event ?? '?'] = (result.linesByEvent[l.event ?? '?'] ?? 0) + 1;
      }
    }
    result.quietPasses = window.filter((l) => l.event === 'scan.pass').length;

    const bob = uidOf(USER);
    for (let t = 0; t < trials; t++) {
      const pids: number[] = [];
      for (let i = 0; i < n; i++) pids.push(launchPid(USER, port++));
      await d.waitStarted(pids, 120_000);
      await sleep(500);
      const mark2 = d.lines.length;
      const a0 = Date.now(); // just before the write
      fs.appendFileSync(file, `${USER}\n`);
      const latenciesMs = await d.sigtermLatencies(pids, a0, mark2);
      const leftAlive = (await waitGone(pids, 10_000)).length;
      result.trials.push({ latenciesMs, leftAlive });
      log(
        `flood: ${n} sessions of ${USER} revoked next to ${fakes} fakes: p50 ${percentile(latenciesMs, 50)} ms, p99 ${percentile(latenciesMs, 99)} ms`,
      );
      fs.writeFileSync(file, '');
      await d.waitFor((l) => l.event === 'revocation.load' && l.entries === 0, 5_000, mark2);
      result.othersEnded += d.lines
        .slice(mark2)
        .filter((l: Line) => l.event === 'session.terminate' && l.uid !== bob).length;
      endOurs(pids);
    }
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
  } finally {
    sampling = false;
    await sampler;
    result.maxRssMiB = maxRss / 1024;
    result.peakRssMiB = (memory(d.pid)?.hwmKb ?? NaN) / 1024;
    await d.stop();
    await holders.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

export function floodVerdicts(b: FloodBench): { target: string; measured: string; ok: boolean }[] {
  const lat = b.trials.flatMap((t) => t.latenciesMs);
  const p99 = percentile(lat, 99);
  const maxLines = b.linesPerPass.length ? Math.max(...b.linesPerPass) : NaN;
  return [
    {
      target: `Another user's revocation under a flood of ${b.fakes.toLocaleString('en')} look-alikes: append → SIGTERM p99 < ${FLOOD_P99_MS} ms for ${b.sessions} sessions`,
      measured: `p99 ${p99} ms (p50 ${percentile(lat, 50)}, max ${lat.length ? Math.max(...lat) : NaN}; ${lat.length} SIGTERMs in ${b.trials.length} trials; ${b.trials.reduce((a, t) => a + t.leftAlive, 0)} still alive after 10 s; ${b.othersEnded} other users' sessions ended)`,
      ok: lat.length === b.sessions * b.trials.length && p99 < FLOOD_P99_MS && b.othersEnded === 0,
    },
    {
      target: `Daemon RSS ≤ ${FLOOD_RSS_MIB} MB with the flood (max VmRSS, sampled every 250 ms from the first fake found)`,
      measured: `${b.maxRssMiB.toFixed(1)} MiB (the flood alone, in the quiet window: ${b.quietRssMiB.toFixed(1)} MiB; VmHWM since start ${b.peakRssMiB.toFixed(1)} MiB)`,
      ok: b.maxRssMiB <= FLOOD_RSS_MIB,
    },
    {
      target:
        'The log does not grow per fake per pass (lines of level info and up between two `scan.pass` lines, quiet window)',
      measured: `max ${maxLines} lines in a pass over ${b.linesPerPass.length} whole passes (${b.linesPerPass.join(', ')}), ${b.fakes.toLocaleString('en')} fakes tracked`,
      ok: b.linesPerPass.length > 0 && maxLines < b.fakes / 100,
    },
  ];
}

export function renderFlood(b: FloodBench, command: string): string {
  const out = [
    '## Floods do not buy time (issue 10)',
    '',
    `- Command: \`${command}\`; ${new Date().toISOString()}.`,
    `- The flood: ${b.fakes.toLocaleString('en')} of ${b.fakesWanted.toLocaleString('en')} wanted look-alike sessions of \`mw-test-mallory\` (one python3 forks them: each renames itself`,
    '  `mosh-server`, forkpty()s a child that leads the pty and sets it mode 600; no UDP socket; kernel.pty.max bounds the count).',
    `- The real daemon (root, as the unit runs it: \`node --max-semi-space-size=1 bin/moshwarden.js run\`), \`scan_interval: 5s\`, \`log.level: debug\` (for its`,
    `  \`scan.pass\` lines; the lines counted are those of level info and up, what the shipped level writes). It found ${b.fakesFound.toLocaleString('en')} fakes`,
    `  as the flooder's sessions (\`session.start\` with mallory's uid) ${b.foundAfterS.toFixed(1)} s after it was started.`,
    `- Then ${QUIET_MS / 1000} s with nothing due (${b.quietPasses} passes), then ${b.trials.length} trials: ${b.sessions} real sessions of \`mw-test-bob\`, the user appended to the revocation file,`,
    '  append → SIGTERM as in "Revocation latency" below.',
    '',
    '| Target | Measured | Result |',
    '|---|---|---|',
    ...floodVerdicts(b).map((v) => `| ${v.target} | ${v.measured} | ${v.ok ? 'PASS' : '**MISS**'} |`),
    '',
    `Lines of level info and up in the quiet window, by event: ${
      Object.entries(b.linesByEvent)
        .map(([k, v]) => `\`${k}\` ×${v}`)
        .join(', ') || 'none'
    }.`,
    ...(b.error ? ['', `**The measurement failed:** ${b.error}`] : []),
  ];
  return marked('flood', out.join('\n'));
}
