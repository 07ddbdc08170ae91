// What the latency benchmarks (revocation.ts, stall.ts, flood.ts) share: test users, real mosh-server
// sessions started as them, and the real daemon run as the unit runs it, followed through its log.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readStat } from '../src/host/proc.js';
import { atExit, killChild } from './spawn.js';

export const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The daemon's command line as the unit's ExecStart runs it: through bin/moshwarden.js, whose `#!` line
 * adds --max-semi-space-size=1 (spawning `node FILE` skips the `#!` line, so the flag is given here).
 */
export function daemonArgv(config: string): string[] {
  // BENCH_DAEMON_PROF=DIR: every daemon writes a CPU profile there when it exits (for finding a long
  // block: which work held the event loop; not allowed in NODE_OPTIONS).
  const prof = process.env.BENCH_DAEMON_PROF;
  const profile = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
  // BENCH_DAEMON_FLAGS="--trace-gc ...": more node flags for every daemon (for looking into its memory).
  const flags = (process.env.BENCH_DAEMON_FLAGS ?? '').split(' ').filter(Boolean);
  return [
    '--max-semi-space-size=1',
    ...profile,
    ...flags,
    path.join(root, 'bin/moshwarden.js'),
    'run',
    '--config',
    config,
  ];
}

/**
 * A temp dir with an empty revocation file (mode 600) and a config naming it: `scan_interval`, a 2 s
 * grace and log level debug (the `session.signal` and `scan.pass` lines the benchmarks time with).
 */
export function daemonFiles(prefix: string, scanInterval: string): { dir: string; file: string; config: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const file = path.join(dir, 'revoked');
  fs.writeFileSync(file, '', { mode: 0o600 });
  const config = path.join(dir, 'config.yaml');
  fs.writeFileSync(
    config,
    `scan_interval: ${scanInterval}\nrevocation_file: ${file}\ndefaults:\n  grace: 2s\nlog:\n  level: debug\n`,
  );
  return { dir, file, config };
}

export interface Line {
  event?: string;
  level?: number;
  pid?: number;
  uid?: number;
  signal?: string;
  time?: string;
  /** session.signal: when kill(2) returned (the line itself may be written a little later). */
  at?: string;
  entries?: number;
  full?: boolean;
  scan_ms?: number;
  max_block_ms?: number;
}

export function ensureUser(user: string): void {
  try {
    execFileSync('getent', ['passwd', user], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--create-home', '--shell', '/bin/bash', user], { stdio: 'ignore' });
  }
}

export function uidOf(user: string): number {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
}

/** Starts one mosh-server as `user` (setpriv: no PAM, ~20 ms); returns its pid (printed on stderr). */
export function launchPid(user: string, port: number): number {
  const r = spawnSync(
    'setpriv',
    [
      '--reuid',
      user,
      '--regid',
      user,
      '--init-groups',
      'env',
      '-i',
      'LANG=C.UTF-8',
      `HOME=/home/${user}`,
      'PATH=/usr/bin:/bin',
      'mosh-server',
      'new',
      '-i',
      '127.0.0.1',
      '-p',
      String(port),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const m = /detached, pid = (\d+)/.exec(text);
  if (!m) throw new Error(`mosh-server did not start: ${text}`);
  return Number(m[1]);
}

/** Start time of a live (non-zombie) process, or null once it is gone. */
export function startTicks(pid: number): number | null {
  const st = readStat(pid);
  return st === null || st.state === 'Z' ? null : st.startTicks;
}

/** Waits until these processes are gone; returns those still alive after `timeoutMs`. */
export async function waitGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const until = Date.now() + timeoutMs;
  let alive = pids;
  while (alive.length && Date.now() < until) {
    alive = alive.filter((p) => startTicks(p) !== null);
    if (alive.length) await new Promise((r) => setTimeout(r, 20));
  }
  return alive;
}

/** SIGTERM to sessions we started, each only while its start time is still the one it had. */
export function endOurs(pids: number[]): void {
  const ticks = pids.map(startTicks);
  pids.forEach((pid, i) => {
    if (ticks[i] !== null && startTicks(pid) === ticks[i]) process.kill(pid, 'SIGTERM');
  });
}

/** The real daemon, its log lines parsed as they come. */
export class Daemon {
  readonly lines: Line[] = [];
  private readonly child;
  get pid(): number {
    return this.child.pid!;
  }
  constructor(config: string, env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, daemonArgv(config), {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    });
    atExit(() => killChild(this.child, 'SIGKILL'));
    let partial = '';
    // BENCH_DAEMON_LOG=FILE: every daemon's lines are also appended there (for looking into a result).
    const keep = process.env.BENCH_DAEMON_LOG;
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      if (keep) fs.appendFileSync(keep, parts.map((p) => `${p}\n`).join(''));
      for (const p of parts) {
        try {
          this.lines.push(JSON.parse(p) as Line);
        } catch {
          // not ours
        }
      }
    });
  }
  async waitFor(pred: (l: Line) => boolean, timeoutMs: number, from = 0): Promise<Line> {
    const until = Date.now() + timeoutMs;
    let at = from;
    for (;;) {
      for (; at < this.lines.length; at++) if (pred(this.lines[at]!)) return this.lines[at]!;
      if (Date.now() > until) throw new Error('timed out waiting for the daemon');
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  /** Waits for a session.start line for each of these pids. */
  async waitStarted(pids: number[], timeoutMs: number): Promise<void> {
    const want = new Set(pids);
    const until = Date.now() + timeoutMs;
    let at = 0;
    while (want.size > 0) {
      for (; at < this.lines.length; at++) {
        const l = this.lines[at]!;
        if (l.event === 'session.start' && l.pid !== undefined) want.delete(l.pid);
      }
      if (want.size === 0) return;
      if (Date.now() > until) throw new Error(`${want.size} sessions never logged session.start`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  /** ms from `t0` to each SIGTERM of these pids logged after line `mark` (session.signal `at`). */
  async sigtermLatencies(pids: number[], t0: number, mark: number, timeoutMs = 10_000): Promise<number[]> {
    const out: number[] = [];
    for (const pid of pids) {
      const sig = await this.waitFor(
        (l) => l.event === 'session.signal' && l.pid === pid && l.signal === 'SIGTERM',
        timeoutMs,
        mark,
      );
      out.push(Date.parse(sig.at ?? sig.time!) - t0);
    }
    return out;
  }
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    return new Promise((r) => this.child.once('close', (code) => r(code)));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
