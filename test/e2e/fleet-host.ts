// A simulated fleet host for the tests and the benchmark: `moshwarden fleet` in its own temp directory,
// with its own config, revocation file, sessions file and status file; its JSON log lines collected.
// No side effects on import.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { childrenOf, repoRoot, signalIfSame, startTimeOf } from './harness.js';

const run = promisify(execFile);
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function until<T>(probe: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export interface HostOptions {
  host: string;
  endpoints: string[];
  leaseTtl?: string;
  prefix?: string;
  tls?: { ca: string; cert: string; key: string };
  /** More top-level config lines, for a daemon reading the same file (test/e2e/ns-host.ts). */
  daemonConfig?: string[];
}

/** The process a wrapper such as nsenter forked (its only child), with its start time; null until it exists. */
export function forkedBy(wrapperPid: number): { pid: number; startTime: string } | null {
  const pid = childrenOf(wrapperPid)[0];
  const startTime = pid === undefined ? null : startTimeOf(pid);
  return pid === undefined || startTime === null ? null : { pid, startTime };
}

export class FleetHost {
  readonly dir: string;
  readonly config: string;
  readonly revocationFile: string;
  readonly sessionsFile: string;
  readonly statusFile: string;
  lines: Record<string, unknown>[] = [];
  /**
   * A command prefix the service is started under (nsenter into a simulated host's namespaces). It
   * forks the service and does not forward signals, so stop() signals the service itself.
   */
  wrap: string[] = [];
  private child: ChildProcess | null = null;

  constructor(readonly o: HostOptions) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `mw-fleet-${o.host}-`));
    this.config = path.join(this.dir, 'config.yaml');
    this.revocationFile = path.join(this.dir, 'lib', 'fleet.revoked');
    this.sessionsFile = path.join(this.dir, 'run', 'sessions.json');
    this.statusFile = path.join(this.dir, 'fleet-run', 'status.json');
    fs.mkdirSync(path.dirname(this.sessionsFile), { mode: 0o755 });
    fs.writeFileSync(
      this.config,
      [
        `revocation_file: ${this.dir}/revoked`,
        ...(o.daemonConfig ?? []),
        'fleet:',
        `  endpoints: [${o.endpoints.join(', ')}]`,
        `  host: ${o.host}`,
        ...(o.prefix ? [`  prefix: ${o.prefix}`] : []),
        ...(o.tls ? [`  ca: ${o.tls.ca}`, `  cert: ${o.tls.cert}`, `  key: ${o.tls.key}`] : []),
        `  revocation_file: ${this.revocationFile}`,
        `  sessions_file: ${this.sessionsFile}`,
        `  status_file: ${this.statusFile}`,
        `  lease_ttl: ${o.leaseTtl ?? '3s'}`,
        '',
      ].join('\n'),
    );
  }

  start(): void {
    this.lines = [];
    const [file, ...args] = [
      ...this.wrap,
      process.execPath,
      path.join(repoRoot(), 'bin', 'moshwarden.js'),
      'fleet',
      '--config',
      this.config,
    ];
    const child = spawn(file!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    child.stdout!.on('data', (b: Buffer) => {
      buf += b.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.lines.push({ event: 'unparsed', line });
        }
      }
    });
    child.stderr!.on('data', (b: Buffer) => this.lines.push({ event: 'stderr', text: b.toString() }));
    this.child = child;
  }

  pid(): number | null {
    return this.child?.exitCode === null ? (this.child.pid ?? null) : null;
  }

  /** The service's own process: the child, or what the wrapper forked (null while there is none). */
  servicePid(): { pid: number; startTime: string } | null {
    const pid = this.pid();
    if (pid === null) return null;
    if (this.wrap.length > 0) return forkedBy(pid);
    const startTime = startTimeOf(pid);
    return startTime === null ? null : { pid, startTime };
  }

  /** SIGTERM (or another signal) to the service we started; resolves with its exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    if (this.wrap.length === 0) child.kill(signal);
    else {
      // The wrapper exits with the service's status (or dies of the same signal) once the service has.
      const inner = await until(() => this.servicePid() ?? undefined, 10_000, `${this.o.host}: the service forked`);
      signalIfSame(inner.pid, inner.startTime, signal);
    }
    const code = await exited;
    this.child = null;
    return code;
  }

  events(name: string): Record<string, unknown>[] {
    return this.lines.filter((l) => l.event === name);
  }

  waitEvent(name: string, timeoutMs: number, pred: (l: Record<string, unknown>) => boolean = () => true, from = 0) {
    return until(
      () => this.lines.slice(from).find((l) => l.event === name && pred(l)),
      timeoutMs,
      `${this.o.host}: ${name}`,
    );
  }

  /** The revocation file's entry lines (targets with their fields), or null when there is no file. */
  fileLines(): string[] | null {
    try {
      return fs
        .readFileSync(this.revocationFile, 'utf8')
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'));
    } catch {
      return null;
    }
  }

  status(): Record<string, unknown> | null {
    try {
      return JSON.parse(fs.readFileSync(this.statusFile, 'utf8')) as Record<string, unknown>;
    } catch {
      return null;
    }
  }

  writeSessions(sessions: Record<string, unknown>[]): void {
    const tmp = `${this.sessionsFile}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ host: this.o.host, written_at: new Date().toISOString(), sessions }), {
      mode: 0o644,
    });
    fs.renameSync(tmp, this.sessionsFile);
  }

  /** Runs a moshwarden command with this host's config. */
  async cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        [path.join(repoRoot(), 'bin', 'moshwarden.js'), ...args, '--config', this.config],
        {
          timeout: 60_000,
        },
      );
      return { code: 0, stdout, stderr };
    } catch (e) {
      const x = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof x.code === 'number' ? x.code : -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
    }
  }

  async cleanup(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function session(host: string, pid: number, user: string, extra: Record<string, unknown> = {}) {
  return { id: `${host}/${pid}-${1000 + pid}`, pid, user, uid: 2000 + pid, tty: 'pts/1', state: 'attached', ...extra };
}
