// The cost of finding servers by behaviour (issue 10): the daemon's Discovery as it runs (candidates by
// name, and the parent of every process that leads a pty, whatever its name) against the name-only scan
// it replaced (candidates called mosh-server only), timed interleaved in the same run. The name-only
// scan is the same Discovery with `nameOnly: true` (sessions/snapshot.ts): the code before the change
// less its behaviour half, with the same sliced reads, so the ratio is the cost of the broader search.
import { clock, slicer } from '../src/host/clock.js';
import { createNss } from '../src/host/nss.js';
import { self } from '../src/host/process.js';
import { ProcessTable } from '../src/host/process-table.js';
import { Discovery } from '../src/sessions/discover.js';
import { measureInterleaved, median, type Subject, type Timing } from './measure.js';
import { hostBusyPct, hostCpu } from './procstat.js';
import { marked } from './sections.js';

export interface DiscoveryRun {
  extraTarget: number;
  extraReached: number;
  hostProcesses: number;
  /** Processes leading a pty of their own: their parents are the candidates by behaviour. */
  ptyLeaders: number;
  hostBusyPct: number;
  timings: Timing[];
}

function discovery(nameOnly: boolean): Discovery {
  return new Discovery({
    nss: createNss(),
    host: self.hostname(),
    now: clock.now,
    monotonic: clock.monotonic,
    slicer: () => slicer(),
    nameOnly,
  });
}

export const NAME_FULL = 'name only, full read: Discovery.scan(true)';
export const BEHAVIOUR_FULL = 'name + behaviour, full read: Discovery.scan(true)';
export const NAME_INC = 'name only, periodic: Discovery.scan(false)';
export const BEHAVIOUR_INC = 'name + behaviour, periodic: Discovery.scan(false)';

async function subjects(fullReps: number, incReps: number): Promise<Subject[]> {
  const names = discovery(true);
  const both = discovery(false);
  const fullNames = discovery(true);
  const fullBoth = discovery(false);
  for (const d of [names, both, fullNames, fullBoth]) await d.scan(true);
  const run = (d: Discovery, full: boolean) => async () => (await d.scan(full)).sessions.length;
  return [
    { name: NAME_FULL, baseline: true, reps: fullReps, run: run(fullNames, true) },
    { name: BEHAVIOUR_FULL, baseline: false, reps: fullReps, run: run(fullBoth, true) },
    { name: NAME_INC, baseline: true, reps: incReps, run: run(names, false) },
    { name: BEHAVIOUR_INC, baseline: false, reps: incReps, run: run(both, false) },
  ];
}

/** Measures the four scans on the host as it is now (the caller has grown the extra processes). */
export async function measureDiscovery(
  extraTarget: number,
  extraReached: number,
  quick: boolean,
): Promise<DiscoveryRun> {
  const table = new ProcessTable().scan(true);
  let ptyLeaders = 0;
  for (const p of table.values()) if (p.session === p.pid && p.pts !== null) ptyLeaders++;
  const list = await subjects(quick ? 3 : extraTarget >= 10000 ? 20 : 30, quick ? 5 : 60);
  const host0 = hostCpu();
  const timings = await measureInterleaved(list, quick ? 1 : 3);
  return {
    extraTarget,
    extraReached,
    hostProcesses: table.size,
    ptyLeaders,
    hostBusyPct: hostBusyPct(host0, hostCpu()),
    timings,
  };
}

const ms = (v: number) => (Number.isNaN(v) ? 'n/a' : v < 10 ? v.toFixed(2) : v.toFixed(1));
const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : 'n/a');

function find(r: DiscoveryRun, name: string): Timing | undefined {
  return r.timings.find((t) => t.name === name);
}

/** The added cost, behaviour ÷ name only, of one kind of scan at one size (median wall, CPU per call). */
export function addedCost(r: DiscoveryRun, full: boolean): { wall: number; cpu: number } {
  const a = find(r, full ? BEHAVIOUR_FULL : BEHAVIOUR_INC);
  const b = find(r, full ? NAME_FULL : NAME_INC);
  if (!a || !b) return { wall: NaN, cpu: NaN };
  return {
    wall: median(a.wallMs) / median(b.wallMs),
    cpu: a.cpuMsTotal / a.wallMs.length / (b.cpuMsTotal / b.wallMs.length),
  };
}

export function renderDiscovery(runs: DiscoveryRun[], command: string, extraNote: string): string {
  const out = [
    '## Cost of finding servers by behaviour (issue 10)',
    '',
    `- Command: \`${command}\`; ${new Date().toISOString()}.`,
    '- "name only" is the scan before issue 10: candidates are the processes called `mosh-server`. It is measured as the',
    '  same `Discovery` with `nameOnly: true` (src/sessions/snapshot.ts; set by this benchmark only): the daemon’s code less',
    '  its behaviour half (the parent of every process that leads a pty is a candidate, whatever its name; its open files',
    '  say whether it holds a pty master and a UDP socket). Both use the sliced reads; every full read looks at every',
    '  candidate by behaviour again, a periodic scan only at the back-off times of those that were not servers.',
    `- ${extraNote}`,
    '- Interleaved in one run (the order rotates every round); wall = median of `process.hrtime`, CPU = `process.cpuUsage` per call.',
    '',
    '| Extra processes | processes on the host | pty leaders | scan | reps | median ms | p90 ms | CPU ms/call | behaviour ÷ name only (median) | (CPU) |',
    '|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of runs) {
    for (const t of r.timings) {
      const sorted = [...t.wallMs].sort((a, b) => a - b);
      const p90 = sorted[Math.max(0, Math.ceil(0.9 * sorted.length) - 1)] ?? NaN;
      const full = t.name.includes('full');
      const cost = addedCost(r, full);
      const mine = t.name.startsWith('name +');
      out.push(
        `| ${r.extraReached.toLocaleString('en')} | ${r.hostProcesses.toLocaleString('en')} | ${r.ptyLeaders} | ${t.name} | ${t.wallMs.length} | ${ms(median(t.wallMs))} | ${ms(p90)} | ${ms(t.cpuMsTotal / t.wallMs.length)} | ${mine ? ratio(cost.wall, 1) : '(baseline)'} | ${mine ? ratio(cost.cpu, 1) : ''} |`,
      );
    }
  }
  out.push(
    '',
    `Host CPU busy while measuring (all cores, everything): ${runs.map((r) => `${r.hostBusyPct.toFixed(0)} % at ~${r.extraTarget.toLocaleString('en')}`).join(', ')}.`,
  );
  return marked('discovery', out.join('\n'));
}
