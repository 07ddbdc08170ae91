// The daemon under soak: `moshwarden run` with the systemd unit's user, groups and capabilities
// (setpriv, test/e2e/privileges.ts), its JSON log collected line by line, restarted on demand, its RSS
// and open fds sampled. Only the process started here is ever signalled (our own unreaped child).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../test/e2e/harness.js';
import { asService } from '../../test/e2e/privileges.js';
import type { DaemonRecord, Timeline } from './timeline.js';

export interface Sample {
  at: number;
  instance: number;
  rssKiB: number;
  fds: number;
}

export class DaemonUnderSoak {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  readonly samples: Sample[] = [];

  constructor(
    private readonly t: Timeline,
    private readonly configPath: string,
  ) {}

  current(): DaemonRecord | undefined {
    return this.t.daemons.at(-1);
  }

  running(): boolean {
    const d = this.current();
    return !!d && d.exitedAt === null;
  }

  start(): DaemonRecord {
    const bin = path.join(repoRoot(), 'bin', 'moshwarden.js');
    const [cmd, ...args] = [...asService(), bin, 'run', '--config', this.configPath];
    const env = { ...process.env };
    delete env.JOURNAL_STREAM;
    delete env.MOSHWARDEN_CONFIG;
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(cmd!, args, { cwd: repoRoot(), env, stdio: ['ignore', 'pipe', 'pipe'] });
    const rec: DaemonRecord = {
      instance: this.t.daemons.length,
      pid: child.pid ?? -1,
      spawnedAt: Date.now(),
      upAt: null,
      termAt: null,
      exitedAt: null,
      code: null,
      signal: null,
    };
    this.t.daemons.push(rec);
    this.child = child;
    let partial = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      const receivedAt = Date.now();
      for (const line of parts) {
        let e: Record<string, unknown>;
        try {
          e = JSON.parse(line.replace(/^<\d>/, '')) as Record<string, unknown>;
        } catch {
          continue;
        }
        this.t.lines.push({ instance: rec.instance, receivedAt, e });
        if (e.event === 'daemon.start' && rec.upAt === null) rec.upAt = Date.parse(String(e.time));
      }
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4_000)));
    this.exited = new Promise((resolve) =>
      child.once('close', (code, signal) => {
        rec.exitedAt = Date.now();
        rec.code = code;
        rec.signal = signal;
        if (rec.termAt === null && stderr) console.error(`soak: daemon ${rec.pid} died; stderr: ${stderr}`);
        resolve();
      }),
    );
    return rec;
  }

  /** Resolves once its daemon.start line is in (throws after timeoutMs). */
  async up(timeoutMs = 30_000): Promise<void> {
    const rec = this.current()!;
    const deadline = Date.now() + timeoutMs;
    while (rec.upAt === null) {
      if (rec.exitedAt !== null || Date.now() > deadline) throw new Error(`daemon ${rec.pid} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  signal(sig: 'SIGHUP' | 'SIGTERM'): boolean {
    const rec = this.current();
    if (!this.child || !rec || rec.exitedAt !== null) return false;
    if (sig === 'SIGTERM') rec.termAt = Date.now();
    return this.child.kill(sig); // our direct, unreaped child: the pid is still ours
  }

  /** SIGTERM and wait; SIGKILL after timeoutMs (that, too, is then a failed stop in the record). */
  async stop(timeoutMs = 10_000): Promise<number> {
    const rec = this.current();
    if (!rec || rec.exitedAt !== null) return 0;
    const t0 = Date.now();
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    return Date.now() - t0;
  }

  sample(): void {
    const rec = this.current();
    if (!rec || rec.exitedAt !== null) return;
    try {
      const status = fs.readFileSync(`/proc/${rec.pid}/status`, 'utf8');
      const rssKiB = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
      const fds = fs.readdirSync(`/proc/${rec.pid}/fd`).length;
      this.samples.push({ at: Date.now(), instance: rec.instance, rssKiB, fds });
    } catch {
      // exiting
    }
  }
}
