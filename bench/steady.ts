// The daemon's steady cost: the real `moshwarden run` (dry run, 5 s scans) next to an idle Node process and
// a Node process calling ps-list every 5 s, all watched through /proc over the same window.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { atExit, killChild } from './spawn.js';
import { cpuTicks, hostBusyPct, hostCpu, memory, ticksToMs } from './procstat.js';
import { listPids, readStat } from '../src/host/proc.js';

export interface SteadyOptions {
  /** Package root (where bin/ and dist/ are). */
  root: string;
  settleMs: number;
  windowMs: number;
  sampleEveryMs: number;
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

export interface SteadyResult {
  windowS: number;
  samples: number;
  hostProcesses: { start: number; end: number };
  /** mosh-server processes on the host (sessions and their pre-exec children) at the start and end. */
  moshServers: { start: number; end: number };
  /** All cores, everything on the host (these three processes and this benchmark included), over the window. */
  hostBusyPct: number;
  daemon: ProcessCost;
  idleNode: ProcessCost;
  psListLoop: ProcessCost;
  /** Log lines of the daemon by `event`. */
  daemonEvents: Record<string, number>;
  daemonExit: { code: number | null; signal: string | null; ms: number } | null;
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
function followDaemon(d: Started, events: Record<string, number>, stderr: { text: string }): Promise<void> {
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

function waitExit(child: ChildProcess, timeoutMs: number): Promise<{ code: number | null; signal: string | null; ms: number } | null> {
  const t0 = performance.now();
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode, ms: 0 });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, ms: performance.now() - t0 });
    });
  });
}

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
  const daemon = start('moshwarden run (dry run, scan_interval 5s)', [path.join(opts.root, 'bin/moshwarden.js'), 'run', '--config', config], opts.root);
  const idle = start('idle Node (baseline)', ['-e', 'setInterval(()=>{},1000)'], opts.root);
  const loop = start('ps-list every 5 s (baseline)', [path.join(opts.root, 'dist/bench/pslist-loop.js')], opts.root);
  for (const s of [idle, loop]) s.child.stdout!.resume();
  loop.child.stderr!.setEncoding('utf8').on('data', (c: string) => process.stderr.write(`[ps-list loop] ${c}`));

  let error: string | null = null;
  let result: Omit<SteadyResult, 'daemonEvents' | 'daemonExit' | 'daemonStderr' | 'error'> | null = null;
  try {
    await followDaemon(daemon, events, stderr);
    await sleep(opts.settleMs);
    const watched = [daemon, idle, loop];
    const maxRss = watched.map(() => 0);
    const hostStart = listPids().length;
    const moshStart = countMoshServers();
    const before = watched.map((w) => cpuTicks(w.child.pid!));
    const host0 = hostCpu();
    const t0 = performance.now();
    let samples = 0;
    while (performance.now() - t0 < opts.windowMs) {
      await sleep(Math.min(opts.sampleEveryMs, opts.windowMs - (performance.now() - t0)));
      samples++;
      watched.forEach((w, i) => {
        const m = memory(w.child.pid!);
        if (m) maxRss[i] = Math.max(maxRss[i]!, m.rssKb);
      });
    }
    const after = watched.map((w) => cpuTicks(w.child.pid!));
    const windowS = (performance.now() - t0) / 1000;
    const busy = hostBusyPct(host0, hostCpu());
    const hostEnd = listPids().length;
    const moshEnd = countMoshServers();
    const cost = (i: number): ProcessCost => {
      const w = watched[i]!;
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
    };
    result = {
      windowS,
      samples,
      hostProcesses: { start: hostStart, end: hostEnd },
      moshServers: { start: moshStart, end: moshEnd },
      hostBusyPct: busy,
      daemon: cost(0), idleNode: cost(1),
      psListLoop: cost(2),
    };
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }

  // The daemon must stop cleanly on SIGTERM: exit code 0.
  killChild(daemon.child, 'SIGTERM');
  const daemonExit = await waitExit(daemon.child, 15_000);
  if (daemonExit === null) killChild(daemon.child, 'SIGKILL');
  for (const s of [idle, loop]) killChild(s.child, 'SIGTERM');
  await Promise.all([idle, loop].map((s) => waitExit(s.child, 5_000)));
  removeDir();
  unregister();

  const empty = (s: Started): ProcessCost => ({ label: s.label, command: s.command, pid: s.child.pid ?? -1, ticks: NaN, cpuPct: NaN, maxRssMiB: NaN, peakRssMiB: NaN, alive: false });
  return {
    ...(result ?? { windowS: 0, samples: 0, hostProcesses: { start: NaN, end: NaN }, moshServers: { start: NaN, end: NaN }, hostBusyPct: NaN, daemon: empty(daemon), idleNode: empty(idle), psListLoop: empty(loop) }),
    daemonEvents: events,
    daemonExit,
    daemonStderr: stderr.text.trim(),
    error,
  };
}
