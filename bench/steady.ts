// The daemon's steady cost: the real `moshwarden run` (dry run, 5 s scans) next to an idle Node process and
// a Node process calling ps-list every 5 s, all watched through /proc over the same window.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, watch, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { atExit, killChild } from './spawn.js';
import { cpuTicks, hostBusyPct, hostCpu, memory, ticksToMs } from './procstat.js';
import { listPids, readStat } from '../src/host/proc.js';
import { daemonArgv } from './real.js';

export interface SteadyOptions {
  /** Package root (where bin/ and dist/ are). */
  root: string;
  settleMs: number;
  windowMs: number;
  sampleEveryMs: number;
  /** Before a window: wait for this long without a pty created or freed, but no longer than quietMaxWaitMs. */
  quietMs: number;
  quietMaxWaitMs: number;
  /** Windows tried at most while new ptys keep appearing during them. */
  maxAttempts: number;
  /** The ps-list loop's own window (0: skip it) and its settle time. */
  psListWindowMs: number;
  psListSettleMs: number;
}

export interface ProcessCost {
  label: string;
  command: string;
  pid: number;
  /** CPU ticks (own + reaped children) in the window. */
  ticks: number;
  /** Percent of one core over the window. */
  cpuPct: number;
  /** Max VmRSS over the samples in the window, MiB (the kernel's kB are KiB). */
  maxRssMiB: number;
  /** VmHWM at the end of the window: peak since the process started (includes start-up). */
  peakRssMiB: number;
  alive: boolean;
}

export interface Window {
  windowS: number;
  samples: number;
  hostProcesses: { start: number; end: number };
  /** mosh-server processes on the host (sessions and their pre-exec children) at the start and end. */
  moshServers: { start: number; end: number };
  /** All cores, everything on the host (the watched processes and this benchmark included), over the window. */
  hostBusyPct: number;
  /** In the order the processes were given. */
  costs: ProcessCost[];
}

export interface Attempt {
  /** The daemon (costs[0]) and an idle Node process (costs[1]). */
  window: Window;
  /** Log lines of the daemon by `event` written during this window. */
  events: Record<string, number>;
  /** ptys created or freed in /dev/pts during the window: each makes the daemon scan again at once. */
  ptyEvents: number;
  /** How long the benchmark waited for a quiet /dev/pts before the window, and whether it got one. */
  waitedS: number;
  quietBefore: boolean;
}

export interface SteadyResult {
  /** Every window tried; the last one is used for the targets (the first without pty activity ends the tries). */
  attempts: Attempt[];
  /** The attempt the targets are judged on, or null if the daemon did not start. */
  daemonWindow: Window | null;
  /** The ps-list loop alone (costs[0]), after the daemon window. */
  psListWindow: Window | null;
  /** Log lines of the daemon by `event`. */
  daemonEvents: Record<string, number>;
  /** Log lines of the daemon by `event` written during the chosen window. */
  windowEvents: Record<string, number>;
  daemonExit: { code: number | null; signal: string | null; ms: number } | null;
  /** When the daemon did not exit on SIGTERM: its /proc state and its last log lines. */
  hangDiagnosis: string | null;
  daemonStderr: string;
  error: string | null;
}

interface Started {
  label: string;
  command: string;
  child: ChildProcess;
}

const countMoshServers = () => listPids().filter((p) => readStat(p)?.comm === 'mosh-server').length;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function start(label: string, argv: string[], cwd: string): Started {
  const child = spawn(process.execPath, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  atExit(() => killChild(child, 'SIGKILL'));
  const command = ['node', ...argv.map((a) => (/[\s"'()]/.test(a) ? JSON.stringify(a) : a))].join(' ');
  return { label, command, child };
}

/** Collects a child's stdout lines; resolves `started` at the first line that has `"event":"daemon.start"`. */
const KEEP_LINES = 8;

function followDaemon(
  d: Started,
  events: Record<string, number>,
  stderr: { text: string },
  last: string[],
): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('no "daemon.start" log line within 30 s')), 30_000);
    d.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let event = '(not JSON)';
        try {
          event = String((JSON.parse(line) as { event?: unknown }).event ?? '(no event)');
        } catch {
          // counted as not JSON
        }
        events[event] = (events[event] ?? 0) + 1;
        last.push(line);
        if (last.length > KEEP_LINES) last.shift();
        if (event === 'daemon.start') {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    d.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr.text = (stderr.text + chunk).slice(-4000);
    });
    d.child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited before starting (code ${code}, signal ${signal}): ${stderr.text.trim()}`));
    });
  });
}

function waitExit(
  child: ChildProcess,
  timeoutMs: number,
): Promise<{ code: number | null; signal: string | null; ms: number } | null> {
  const t0 = performance.now();
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode, ms: 0 });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, ms: performance.now() - t0 });
    });
  });
}

/** CPU and RSS of already-running processes over one window. */
async function observe(watched: Started[], windowMs: number, sampleEveryMs: number): Promise<Window> {
  const maxRss = watched.map(() => 0);
  const hostStart = listPids().length;
  const moshStart = countMoshServers();
  const before = watched.map((w) => cpuTicks(w.child.pid!));
  const host0 = hostCpu();
  const t0 = performance.now();
  let samples = 0;
  while (performance.now() - t0 < windowMs) {
    await sleep(Math.min(sampleEveryMs, windowMs - (performance.now() - t0)));
    samples++;
    watched.forEach((w, i) => {
      const m = memory(w.child.pid!);
      if (m) maxRss[i] = Math.max(maxRss[i]!, m.rssKb);
    });
  }
  const after = watched.map((w) => cpuTicks(w.child.pid!));
  const windowS = (performance.now() - t0) / 1000;
  const busy = hostBusyPct(host0, hostCpu());
  const costs = watched.map((w, i): ProcessCost => {
    const b = before[i];
    const a = after[i];
    const ticks = a && b ? a.own + a.children - (b.own + b.children) : NaN;
    return {
      label: w.label,
      command: w.command,
      pid: w.child.pid!,
      ticks,
      cpuPct: (ticksToMs(ticks) / 1000 / windowS) * 100,
      maxRssMiB: maxRss[i]! / 1024,
      peakRssMiB: (memory(w.child.pid!)?.hwmKb ?? NaN) / 1024,
      alive: w.child.exitCode === null && w.child.signalCode === null,
    };
  });
  return {
    windowS,
    samples,
    hostProcesses: { start: hostStart, end: listPids().length },
    moshServers: { start: moshStart, end: countMoshServers() },
    hostBusyPct: busy,
    costs,
  };
}

/** SIGTERM; after `timeoutMs` without an exit, `onHang` (while the process is still there) and SIGKILL. */
async function stop(s: Started, timeoutMs: number, onHang?: () => void) {
  killChild(s.child, 'SIGTERM');
  const exit = await waitExit(s.child, timeoutMs);
  if (exit === null) {
    onHang?.();
    killChild(s.child, 'SIGKILL');
  }
  return exit;
}

/** What a process that ignores SIGTERM is doing: state, threads, CPU so far, open fds. */
function diagnose(pid: number): string {
  const read = (f: string) => {
    try {
      return readFileSync(f, 'latin1');
    } catch {
      return '';
    }
  };
  const status = read(`/proc/${pid}/status`);
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '?';
  let fds = '?';
  try {
    fds = readdirSync(`/proc/${pid}/fd`)
      .map((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return '?';
        }
      })
      .join(', ');
  } catch {
    // gone meanwhile
  }
  const ticks = cpuTicks(pid);
  return `State ${field('State')}, Threads ${field('Threads')}, SigCgt ${field('SigCgt')}, CPU ticks ${ticks ? ticks.own : '?'}, wchan ${read(`/proc/${pid}/wchan`) || '?'}, fds: ${fds}`;
}

/** Counts ptys created or freed in /dev/pts: the event on which the daemon scans at once. */
class PtyActivity {
  count = 0;
  last = performance.now();
  private readonly watcher = watch('/dev/pts', (event) => {
    if (event !== 'rename') return;
    this.count++;
    this.last = performance.now();
  });

  /** Resolves once `quietMs` have passed without an event, or after `maxWaitMs`; says which. */
  async waitQuiet(quietMs: number, maxWaitMs: number): Promise<{ waitedS: number; quiet: boolean }> {
    const t0 = performance.now();
    this.last = Math.min(this.last, t0);
    while (performance.now() - this.last < quietMs) {
      if (performance.now() - t0 >= maxWaitMs) return { waitedS: (performance.now() - t0) / 1000, quiet: false };
      await sleep(250);
    }
    return { waitedS: (performance.now() - t0) / 1000, quiet: true };
  }

  close(): void {
    this.watcher.close();
  }
}

const diff = (after: Record<string, number>, before: Record<string, number>): Record<string, number> =>
  Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
      .filter(([, v]) => v > 0),
  );

/**
 * The daemon next to an idle Node process, over one window (two if ptys came and went during the first);
 * afterwards the ps-list loop alone, so its `ps` children (two per call, each reading all of /proc) do not
 * compete with the daemon for the cores.
 */
export async function measureSteady(opts: SteadyOptions): Promise<SteadyResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'moshwarden-bench-'));
  const config = path.join(dir, 'config.yaml');
  const revoked = path.join(dir, 'revoked');
  writeFileSync(revoked, '');
  writeFileSync(config, `scan_interval: 5s\ndry_run: true\nrevocation_file: ${revoked}\nlog:\n  level: info\n`);
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const unregister = atExit(removeDir);

  const events: Record<string, number> = {};
  const stderr = { text: '' };
  const lastLines: string[] = [];
  const attempts: Attempt[] = [];
  const ptys = new PtyActivity();
  const daemon = start('moshwarden run (dry run, scan_interval 5s)', daemonArgv(config), opts.root);
  const idle = start('idle Node (baseline)', ['-e', 'setInterval(()=>{},1000)'], opts.root);
  idle.child.stdout!.resume();

  let error: string | null = null;
  try {
    await followDaemon(daemon, events, stderr, lastLines);
    await sleep(opts.settleMs);
    // Other work on a shared host (test suites starting mosh sessions) makes the daemon scan more often
    // and do per-session work: wait for a quiet /dev/pts, and try once more if the window was not quiet.
    while (attempts.length < opts.maxAttempts) {
      const quiet = await ptys.waitQuiet(opts.quietMs, opts.quietMaxWaitMs);
      const eventsBefore = { ...events };
      const ptysBefore = ptys.count;
      const window = await observe([daemon, idle], opts.windowMs, opts.sampleEveryMs);
      attempts.push({
        window,
        events: diff(events, eventsBefore),
        ptyEvents: ptys.count - ptysBefore,
        waitedS: quiet.waitedS,
        quietBefore: quiet.quiet,
      });
      if (ptys.count === ptysBefore) break;
    }
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  ptys.close();
  const chosen = attempts.at(-1) ?? null;
  // The daemon must stop cleanly on SIGTERM: exit code 0.
  let hangDiagnosis: string | null = null;
  const daemonExit = await stop(daemon, 15_000, () => {
    hangDiagnosis = `${diagnose(daemon.child.pid!)}; last log lines: ${lastLines.join(' ')}`;
  });
  await stop(idle, 5_000);
  removeDir();
  unregister();

  let psListWindow: Window | null = null;
  if (opts.psListWindowMs > 0) {
    const loop = start('ps-list every 5 s (baseline)', [path.join(opts.root, 'dist/bench/pslist-loop.js')], opts.root);
    loop.child.stdout!.resume();
    loop.child.stderr!.setEncoding('utf8').on('data', (c: string) => process.stderr.write(`[ps-list loop] ${c}`));
    await sleep(opts.psListSettleMs);
    psListWindow = await observe([loop], opts.psListWindowMs, opts.sampleEveryMs);
    await stop(loop, 5_000);
  }

  return {
    attempts,
    daemonWindow: chosen?.window ?? null,
    psListWindow,
    daemonEvents: events,
    windowEvents: chosen?.events ?? {},
    daemonExit,
    hangDiagnosis,
    daemonStderr: stderr.text.trim(),
    error,
  };
}
