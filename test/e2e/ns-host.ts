// A simulated fleet host on this machine, for the fleet's end-to-end tests and bench (a) (docs/fleet.md):
// its own PID, mount and UTS namespaces (`unshare --pid --mount --uts --fork --mount-proc`), with its own
// /proc, its own devpts instance on /dev/pts (and /dev/ptmx bound to its ptmx), its own /run (so its own
// utmp and /run/moshwarden) and its own host name. Inside it run a real daemon (`moshwarden run`), a real
// `moshwarden fleet` and real mosh-servers of the test users, entered with nsenter; the network namespace
// is shared, so clients attach from outside on 127.0.0.1 and every host reaches the same etcd.
//
// The namespace's PID 1 is a bash that made the mounts: it reaps the orphans (detached mosh-servers are
// reparented to it) and exits when its stdin closes, which ends every process in the namespace (the
// kernel SIGKILLs them). `unshare --kill-child` ends it too if unshare dies. So stop() and stopAllNsHosts()
// clean up by the pids this file started; nothing is signalled by name. No side effects on import.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { FleetHost, forkedBy, until, type HostOptions } from './fleet-host.js';
import {
  e2eSkipReason,
  findExecutable,
  lookup,
  repoRoot,
  requireOrSkip,
  signalIfSame,
  startDaemon,
  startSession,
  startTimeOf,
  type Daemon,
  type MoshSession,
  type SessionNamespace,
  type StartSessionOptions,
} from './harness.js';
import { etcdSkipReason } from './etcd.js';

const run = promisify(execFile);

export function nsSkipReason(): string | null {
  const why = e2eSkipReason() ?? etcdSkipReason();
  if (why) return why;
  for (const tool of ['unshare', 'nsenter', 'mount', 'bash'])
    if (!findExecutable(tool)) return requireOrSkip(`'${tool}' is not on PATH (util-linux)`);
  return null;
}

// $1: the directory that becomes /run, $2: the host name. Mount propagation in the new mount namespace is
// private (unshare's default): none of these mounts reaches this machine's own /dev/pts, /dev/ptmx or /run.
const INIT = `set -e
mount -t devpts -o newinstance,gid=5,mode=620,ptmxmode=0666 devpts /dev/pts
mount --bind /dev/pts/ptmx /dev/ptmx
mount --bind "$1" /run
hostname "$2"
echo ready
while read -r _; do :; done
`;

/** What `moshwarden sessions --json` prints for one session (the fields the tests read). */
export interface SessionRow {
  pid: number;
  user: string;
  tty: string;
  id?: string;
  [key: string]: unknown;
}

export interface NsHostOptions extends HostOptions {
  /** Top-level config lines for the daemon (scan_interval, defaults: ...). */
  daemonConfig?: string[];
}

const live = new Set<NsHost>();

export class NsHost {
  /** The fleet service (its files, log lines, status); started inside the namespaces. */
  readonly fleet: FleetHost;
  /** Bound on /run inside: the host's utmp, /run/moshwarden, /run/moshwarden-fleet. */
  readonly runDir: string;
  daemon: Daemon | null = null;
  private unshare: ChildProcess | null = null;
  private init: { pid: number; startTime: string } | null = null;
  private pidNs = '';

  private constructor(readonly o: NsHostOptions) {
    this.fleet = new FleetHost(o);
    this.runDir = path.join(this.fleet.dir, 'run');
  }

  get name(): string {
    return this.o.host;
  }

  /** Creates the namespaces and waits until PID 1 has made its mounts. */
  static async start(o: NsHostOptions): Promise<NsHost> {
    const h = new NsHost(o);
    live.add(h);
    h.prepareRun();
    const child = spawn(
      'unshare',
      [
        '--pid',
        '--mount',
        '--uts',
        '--fork',
        '--mount-proc',
        '--kill-child',
        'bash',
        '-c',
        INIT,
        'init',
        h.runDir,
        o.host,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    h.unshare = child;
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    await until(() => out.includes('ready') || child.exitCode !== null, 15_000, `${o.host}: namespaces set up`);
    if (!out.includes('ready')) throw new Error(`${o.host}: unshare failed: ${out}`);
    const init = forkedBy(child.pid!);
    if (!init) throw new Error(`${o.host}: no PID 1 under unshare ${child.pid}`);
    h.init = init;
    h.pidNs = fs.readlinkSync(`/proc/${init.pid}/ns/pid`);
    h.fleet.wrap = h.enter;
    return h;
  }

  /** Its /run: what mosh (utmp), the daemon and the fleet service expect to find there. */
  private prepareRun(): void {
    const utmp = path.join(this.runDir, 'utmp');
    fs.writeFileSync(utmp, '', { mode: 0o664 });
    fs.chownSync(utmp, 0, Number(lookup('group', 'utmp')?.split(':')[2] ?? 0));
    fs.chmodSync(utmp, 0o664); // mosh records a session only if the file exists, through utempter (group utmp)
    for (const [dir, mode] of [
      ['moshwarden', 0o755],
      ['moshwarden-fleet', 0o755],
      ['lock', 0o1777],
    ] as const) {
      fs.mkdirSync(path.join(this.runDir, dir), { recursive: true });
      fs.chmodSync(path.join(this.runDir, dir), mode);
    }
  }

  /** The command prefix that runs a command inside this host. */
  get enter(): string[] {
    return ['nsenter', '-t', String(this.init!.pid), '--pid', '--mount', '--uts', '--'];
  }

  /** Its / seen from here. */
  get root(): string {
    return `/proc/${this.init!.pid}/root`;
  }

  get ns(): SessionNamespace {
    return { enter: this.enter, root: this.root, outerPid: (inner) => this.outerPid(inner) };
  }

  /** The pid, seen from here, of the process that is `inner` in this host's PID namespace. */
  outerPid(inner: number): number | null {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (fs.readlinkSync(`/proc/${entry}/ns/pid`) !== this.pidNs) continue;
        const nspid = /^NSpid:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
        if (Number(nspid?.trim().split(/\s+/).pop()) === inner) return Number(entry);
      } catch {
        // gone meanwhile
      }
    }
    return null;
  }

  /** A real mosh-server of `user` inside this host (pid: seen from here; nsPid: seen by its daemon). */
  startSession(user: string, opts: StartSessionOptions = {}): Promise<MoshSession> {
    return startSession(user, { ...opts, ns: this.ns });
  }

  /** `moshwarden run` inside, with the host's config (the fleet service's, plus daemonConfig). */
  async startDaemon(): Promise<Daemon> {
    this.daemon = await startDaemon(fs.readFileSync(this.fleet.config, 'utf8'), { wrap: this.enter });
    return this.daemon;
  }

  /** Signals the daemon itself (nsenter does not forward signals) and waits for it to exit. */
  async stopDaemon(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const d = this.daemon;
    if (!d) return;
    this.daemon = null;
    const inner = await until(() => forkedBy(d.pid) ?? undefined, 10_000, `${this.name}: the daemon forked`).catch(
      () => null,
    );
    if (inner) signalIfSame(inner.pid, inner.startTime, signal);
    const timer = setTimeout(() => void d.stop(), 15_000); // our nsenter: the namespace's end takes the rest
    await d.exited;
    clearTimeout(timer);
  }

  /** Runs a command inside this host; never rejects for a non-zero exit. */
  async exec(args: string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
    const [file, ...rest] = [...this.enter, ...args];
    try {
      const { stdout, stderr } = await run(file!, rest, { timeout: timeoutMs, maxBuffer: 64 << 20 });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const x = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof x.code === 'number' ? x.code : -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
    }
  }

  /** `moshwarden ARGS --config <host config>` inside this host. */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return this.exec([
      process.execPath,
      path.join(repoRoot(), 'bin', 'moshwarden.js'),
      ...args,
      '--config',
      this.fleet.config,
    ]);
  }

  /** `moshwarden sessions --json` as run on this host. */
  async sessions(): Promise<SessionRow[]> {
    const r = await this.cli(['sessions', '--json']);
    if (r.code !== 0) throw new Error(`${this.name}: sessions --json exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as SessionRow[];
  }

  /** True while PID 1 of the namespace runs (the host is up). */
  up(): boolean {
    return this.init !== null && startTimeOf(this.init.pid) === this.init.startTime;
  }

  /**
   * Ends the host: SIGTERM to the daemon and the fleet service (which revokes its lease), then PID 1's
   * stdin closed (the namespace and every process left in it end), SIGKILL to unshare as a last resort.
   */
  async stop(): Promise<void> {
    live.delete(this);
    if (this.init) {
      await this.stopDaemon().catch(() => undefined);
      await this.fleet.stop().catch(() => undefined);
    }
    const u = this.unshare;
    if (u && u.exitCode === null && u.signalCode === null) {
      const exited = new Promise<void>((r) => u.once('exit', () => r()));
      u.stdin!.end();
      const timer = setTimeout(() => u.kill('SIGKILL'), 10_000); // our direct child, unreaped: still ours
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.fleet.dir, { recursive: true, force: true });
  }
}

/** Stops every host this process started and has not stopped yet (for after() hooks). */
export async function stopAllNsHosts(): Promise<void> {
  await Promise.all([...live].map((h) => h.stop()));
}

/** This machine's own devpts and ptmx mounts (mountinfo lines, mount ids included): to show them untouched. */
export function rootPtyMounts(): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => / \/dev\/(pts|ptmx) /.test(l));
}
