// End-to-end harness: real mosh-server sessions, real mosh-clients in tmux, and the built CLI.
//
// Rules this file keeps:
// - It only ever signals processes it started itself, by pid, after re-checking the pid's start time
//   (field 22 of /proc/PID/stat) so a reused pid is never hit. Never by name.
// - Importing it has no side effects. (Node 20's `node --test dist/test/` runs every .js file under a
//   directory named `test`, this one included, as if it were a test file.)
// - Waiting is done by polling with generous deadlines, not fixed sleeps: CI machines have 2 cores.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------------------------------------------------
// Fixtures: users and groups

export const TEST_USERS = ['mw-test-alice', 'mw-test-bob', 'mw-test-carol', 'mw-test-mallory'] as const;
export type TestUser = (typeof TEST_USERS)[number];

/** Supplementary groups and their members (alice and carol are contractors, bob has break-glass). */
export const TEST_GROUPS: Readonly<Record<string, readonly TestUser[]>> = {
  'mw-test-contractors': ['mw-test-alice', 'mw-test-carol'],
  'mw-test-breakglass': ['mw-test-bob'],
};

export const UTMP_PATH = '/var/run/utmp';
export const DEFAULT_SSH_ORIGIN = '198.51.100.7';
const PORT_MIN = 61000;
const PORT_COUNT = 1000; // 61000-61999

// ---------------------------------------------------------------------------------------------------------
// Small utilities

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value other than undefined; undefined on timeout. */
async function poll<T>(probe: () => T | undefined, timeoutMs: number, intervalMs = 100): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) return undefined;
    await sleep(intervalMs);
  }
}

/** Full path of an executable on PATH (plus the sbin dirs, where useradd lives), or null. */
export function findExecutable(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function mustFind(name: string): string {
  const found = findExecutable(name);
  if (!found) throw new Error(`e2e harness: '${name}' not found on PATH`);
  return found;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
}

/** Runs a command to completion. Rejects (with the output so far) if it outlives timeoutMs. */
function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // our own direct child, still unreaped, so the pid cannot have been reused
      reject(
        new Error(`timed out after ${timeoutMs} ms: ${file} ${args.join(' ')}\nstdout: ${stdout}\nstderr: ${stderr}`),
      );
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// /proc: identity, liveness, ptys

interface ProcStat {
  state: string;
  ppid: number;
  ttyNr: number;
  startTime: string; // clock ticks since boot, field 22
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // comm (field 2) may contain spaces and parentheses: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, ppid, , , ttyNr] = fields;
  const startTime = fields[19];
  if (state === undefined || ppid === undefined || ttyNr === undefined || startTime === undefined) return null;
  return { state, ppid: Number(ppid), ttyNr: Number(ttyNr), startTime };
}

/** Start time of pid (field 22 of /proc/PID/stat), or null if there is no such process. */
export function startTimeOf(pid: number): string | null {
  return readStat(pid)?.startTime ?? null;
}

/**
 * True if pid runs (zombies count as gone: PID 1 in a container may be slow to reap them).
 * With startTime, also requires it to be that same process, not a reuse of the pid.
 */
export function isAlive(pid: number, startTime?: string): boolean {
  const stat = readStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return startTime === undefined || stat.startTime === startTime;
}

/** Resolves true once pid has exited (or is a zombie), false if it is still alive after timeoutMs. */
export async function waitForExit(pid: number, timeoutMs: number, startTime?: string): Promise<boolean> {
  return (await poll(() => (isAlive(pid, startTime) ? undefined : true), timeoutMs, 50)) ?? false;
}

/** Sends sig only if pid is still the process we started (same start time, not a zombie). */
export function signalIfSame(pid: number, startTime: string, sig: NodeJS.Signals): boolean {
  if (!isAlive(pid, startTime)) return false;
  try {
    process.kill(pid, sig);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false; // already gone
    throw err;
  }
}

export function childrenOf(pid: number): number[] {
  try {
    // Needs CONFIG_PROC_CHILDREN (Debian has it); fall back to a scan of /proc.
    const text = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text ? text.split(/\s+/).map(Number) : [];
  } catch {
    const kids: number[] = [];
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      if (readStat(Number(entry))?.ppid === pid) kids.push(Number(entry));
    }
    return kids;
  }
}

/** The pty a process has as its controlling terminal ('pts/M'), or null. */
export function ptsOf(pid: number): string | null {
  const stat = readStat(pid);
  return stat ? ptsName(stat.ttyNr) : null;
}

/** 'pts/M' for a tty_nr on a Unix98 pty (majors 136-143), else null. */
function ptsName(ttyNr: number): string | null {
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major < 136 || major > 143) return null;
  return `pts/${(major - 136) * 256 + minor}`;
}

// ---------------------------------------------------------------------------------------------------------
// Registry of everything this process started, for cleanupAll()

interface TrackedProcess {
  pid: number;
  startTime: string;
}

const startedSessions = new Map<number, TrackedProcess & { child?: TrackedProcess }>();
const startedTmux = new Map<string, { server?: TrackedProcess; client?: TrackedProcess; socketPath?: string }>();
const startedDaemons = new Set<ChildProcess>();
/** Freezer cgroups (named by tmux socket) holding a frozen client; thawed and removed by cleanupAll. */
const startedFreezers = new Set<string>();
const tempDirs = new Set<string>();
const portsHandedOut = new Set<number>();
// Different test processes start at different places in the range; each call moves on.
let nextPortIndex = (process.pid * 97) % PORT_COUNT;
let tmuxCounter = 0;

// ---------------------------------------------------------------------------------------------------------
// Skip or fail

/**
 * Applies MOSHWARDEN_REQUIRE_E2E: with it set to 1, a reason to skip becomes an exception, so CI cannot
 * pass by silently skipping the end-to-end tests.
 */
export function requireOrSkip(reason: string | null, env: NodeJS.ProcessEnv = process.env): string | null {
  if (reason !== null && env.MOSHWARDEN_REQUIRE_E2E === '1') {
    throw new Error(`MOSHWARDEN_REQUIRE_E2E=1 but the e2e tests cannot run: ${reason}`);
  }
  return reason;
}

function probeSkipReason(): string | null {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (to run sessions as test users and set pty times)';
  for (const tool of ['mosh-server', 'mosh-client', 'tmux', 'su', 'who', 'ps', 'getent']) {
    if (!findExecutable(tool)) return `'${tool}' is not on PATH`;
  }
  const usersExist = TEST_USERS.every((user) => lookup('passwd', user) !== null);
  const groupsExist = Object.keys(TEST_GROUPS).every((group) => lookup('group', group) !== null);
  if (!usersExist || !groupsExist) {
    for (const tool of ['useradd', 'groupadd', 'usermod']) {
      if (!findExecutable(tool)) return `test users are missing and '${tool}' is not available to create them`;
    }
  }
  return null;
}

let cachedSkipReason: string | null | undefined;

/**
 * null when the e2e tests can run here, else why not. Throws instead when MOSHWARDEN_REQUIRE_E2E=1.
 * Use: test('...', { skip: e2eSkipReason() ?? false }, ...)
 */
export function e2eSkipReason(): string | null {
  if (cachedSkipReason === undefined) cachedSkipReason = probeSkipReason();
  return requireOrSkip(cachedSkipReason);
}

// ---------------------------------------------------------------------------------------------------------
// Users, groups, utmp

/** The getent line for a passwd/group key, or null. */
export function lookup(db: 'passwd' | 'group', key: string): string | null {
  try {
    return execFileSync('getent', [db, key], { encoding: 'utf8', timeout: 10_000 }).trim() || null;
  } catch {
    return null; // exit 2: not found
  }
}

function groupMembers(group: string): string[] {
  const members = lookup('group', group)?.split(':')[3] ?? '';
  return members ? members.split(',') : [];
}

/** Runs an admin command; tolerates "already exists" races with a concurrent run. */
function admin(tool: string, args: string[], stillNeeded: () => boolean): void {
  try {
    execFileSync(mustFind(tool), args, { stdio: 'pipe', timeout: 30_000 });
  } catch (err) {
    if (stillNeeded()) throw err;
  }
}

/** The uid of a user (via NSS), or throws. */
export function uidOf(user: string): number {
  const line = lookup('passwd', user);
  if (!line) throw new Error(`no such user: ${user}`);
  return Number(line.split(':')[2]);
}

/** Creates /var/run/utmp (root:utmp 0664) if missing: without it mosh records nothing there. */
export function ensureUtmp(): void {
  if (fs.existsSync(UTMP_PATH)) return;
  const gid = Number(lookup('group', 'utmp')?.split(':')[2] ?? 0);
  fs.writeFileSync(UTMP_PATH, '', { flag: 'a', mode: 0o664 });
  fs.chownSync(UTMP_PATH, 0, gid);
  fs.chmodSync(UTMP_PATH, 0o664);
}

/** Idempotently creates the test users (home, /bin/bash), their groups and /var/run/utmp. */
export function ensureTestUsers(): void {
  for (const group of Object.keys(TEST_GROUPS)) {
    if (!lookup('group', group)) admin('groupadd', [group], () => !lookup('group', group));
  }
  for (const user of TEST_USERS) {
    if (!lookup('passwd', user)) {
      admin('useradd', ['--create-home', '--shell', '/bin/bash', user], () => !lookup('passwd', user));
    }
  }
  for (const [group, members] of Object.entries(TEST_GROUPS)) {
    for (const user of members) {
      if (!groupMembers(group).includes(user)) {
        admin('usermod', ['--append', '--groups', group, user], () => !groupMembers(group).includes(user));
      }
    }
  }
  ensureUtmp();
}

// ---------------------------------------------------------------------------------------------------------
// Sessions

export interface MoshSession {
  /** The session process: comm mosh-server, holds /dev/ptmx. */
  pid: number;
  /** Its start time (field 22 of /proc/PID/stat): (pid, startTime) is the identity. */
  startTime: string;
  /** The forkpty child on the pty: still named mosh-server until a client connects, then the shell. */
  childPid: number;
  port: number;
  key: string;
  user: string;
  sshOrigin: string;
  /** 'pts/M' (in its own namespace's devpts instance when started with `ns`) */
  tty: string;
  /** '/dev/pts/M', or the same under the namespace's root seen from here */
  ptyPath: string;
  /** Its pid inside its PID namespace; = pid when started in this one. */
  nsPid: number;
}

export interface StartSessionOptions {
  /** IP put in SSH_CONNECTION as the ssh origin (default 198.51.100.7). */
  sshOrigin?: string;
  /** A fixed UDP port; default: the next free one in 61000-61999. */
  port?: number;
  /** Command to run instead of the user's login shell (argv words, no shell quoting applied). */
  command?: string[];
  /** The server binary (default mosh-server from PATH), e.g. a renamed copy in the user's home. */
  server?: string;
  timeoutMs?: number;
  /** Start it inside a simulated host's namespaces (test/e2e/ns-host.ts) instead of this one's. */
  ns?: SessionNamespace;
}

/** Where a session is started when it is not this process's PID and mount namespace. */
export interface SessionNamespace {
  /** The command prefix that enters the namespaces (nsenter ... --). */
  enter: string[];
  /** The pid, seen from here, of the process that is `innerPid` inside the namespace; null if none. */
  outerPid(innerPid: number): number | null;
  /** The namespace's / seen from here (/proc/PID/root): its /dev/pts is its own devpts instance. */
  root: string;
}

function udpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/** A UDP port in 61000-61999 not handed out before by this process and free right now. */
export async function allocatePort(): Promise<number> {
  for (let tried = 0; tried < PORT_COUNT; tried++) {
    const port = PORT_MIN + (nextPortIndex++ % PORT_COUNT);
    if (portsHandedOut.has(port)) continue;
    portsHandedOut.add(port); // even if busy now: never hand the same port out twice
    if (await udpPortFree(port)) return port;
  }
  throw new Error(`no free UDP port left in ${PORT_MIN}-${PORT_MIN + PORT_COUNT - 1}`);
}

const SAFE_WORD = /^[A-Za-z0-9_./:=@%+-]+$/;

function launchCommand(port: number, origin: string, command: string[] | undefined, server = 'mosh-server'): string {
  if (!SAFE_WORD.test(server))
    throw new Error(`startSession: unsupported characters in server ${JSON.stringify(server)}`);
  for (const word of command ?? []) {
    if (!SAFE_WORD.test(word))
      throw new Error(`startSession: unsupported characters in command word ${JSON.stringify(word)}`);
  }
  const tail = command?.length ? ` -- ${command.join(' ')}` : '';
  // mosh-server refuses to start without a UTF-8 locale.
  return `LANG=C.UTF-8 SSH_CONNECTION='${origin} 5555 127.0.0.1 22' exec ${server} new -i 127.0.0.1 -p ${port}${tail}`;
}

export interface LaunchedSession {
  pid: number;
  /** null when the session was already gone by the time the launcher returned (e.g. revoked at once). */
  startTime: string | null;
  port: number;
  key: string;
  user: string;
  sshOrigin: string;
  /** Date.now() just before the launch began. */
  launchedAt: number;
  /** Its pid inside its PID namespace (what a daemon there logs); = pid when started in this one. */
  nsPid: number;
}

/**
 * Launches a detached mosh-server as `user` (via `su - user -c`), bound to 127.0.0.1, and returns as soon
 * as the launcher has exited, without waiting for the pty: for sessions a daemon may end at once. The
 * session is registered for cleanupAll(). Without a client it exits by itself after 60 s.
 */
export async function launchSession(user: string, opts: StartSessionOptions = {}): Promise<LaunchedSession> {
  const origin = opts.sshOrigin ?? DEFAULT_SSH_ORIGIN;
  if (!/^[0-9A-Fa-f.:]+$/.test(origin)) throw new Error(`startSession: sshOrigin must be an IP address, got ${origin}`);
  if (!/^[a-z_][a-z0-9_-]*$/.test(user)) throw new Error(`startSession: bad user name ${user}`);
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);

  let lastFailure = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = opts.port ?? (await allocatePort());
    const launchedAt = Date.now();
    const su = [mustFind('su'), '-', user, '-c', launchCommand(port, origin, opts.command, opts.server)];
    const [file, ...args] = [...(opts.ns?.enter ?? []), ...su];
    const result = await run(file!, args, {
      timeoutMs: Math.max(1_000, deadline - Date.now()),
    });
    const connect = /MOSH CONNECT (\d+) (\S+)/.exec(result.stdout);
    const detached = /mosh-server detached, pid = (\d+)/.exec(result.stderr);
    if (!connect?.[1] || !connect[2] || !detached?.[1]) {
      lastFailure = `exit ${result.code ?? result.signal}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
      // Another process grabbed the port between our check and mosh's bind: take the next one.
      if (opts.port === undefined && /bind|in use/i.test(result.stderr)) continue;
      break;
    }
    const nsPid = Number(detached[1]);
    const pid = opts.ns ? (opts.ns.outerPid(nsPid) ?? -1) : nsPid;
    const startTime = pid === -1 ? null : startTimeOf(pid);
    if (startTime !== null) startedSessions.set(pid, { pid, startTime });
    const connected = { port: Number(connect[1]), key: connect[2], user, sshOrigin: origin, launchedAt, nsPid };
    return { pid, startTime, ...connected };
  }
  throw new Error(`startSession(${user}) failed: ${lastFailure}`);
}

/**
 * Starts a detached mosh-server as `user` (via `su - user -c`), bound to 127.0.0.1, and waits until its
 * pty is known. The session is registered for cleanupAll(). Without a client it exits by itself after 60 s.
 */
export async function startSession(user: string, opts: StartSessionOptions = {}): Promise<MoshSession> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  const launched = await launchSession(user, opts);
  const { pid, startTime } = launched;
  if (startTime === null) throw new Error(`mosh-server ${pid} (user ${user}) exited right after starting`);
  const tracked = startedSessions.get(pid)!;

  // The pty: the forkpty child's controlling tty (fdinfo has no tty-index on every kernel).
  const found = await poll(
    () => {
      for (const childPid of childrenOf(pid)) {
        const stat = readStat(childPid);
        const tty = stat ? ptsName(stat.ttyNr) : null;
        if (stat && tty) return { childPid, childStart: stat.startTime, tty };
      }
      return undefined;
    },
    Math.max(1_000, deadline - Date.now()),
    50,
  );
  if (!found) throw new Error(`mosh-server ${pid} (user ${user}): no child on a pty appeared`);
  tracked.child = { pid: found.childPid, startTime: found.childStart };
  return {
    pid,
    startTime,
    childPid: found.childPid,
    port: launched.port,
    key: launched.key,
    user,
    sshOrigin: launched.sshOrigin,
    tty: found.tty,
    ptyPath: `${opts.ns?.root ?? ''}/dev/${found.tty}`,
    nsPid: launched.nsPid,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Clients: mosh-client inside a detached tmux on a private socket

export interface Client {
  session: MoshSession;
  /** tmux -L name */
  socket: string;
  /** tmux target (session name) */
  target: string;
  /** The mosh-client process. */
  clientPid: number;
  /** The tmux server of `socket`. */
  tmuxPid: number;
  /** Types text into the client (literally), then Enter unless enter is false. */
  sendKeys(text: string, enter?: boolean): void;
  /**
   * The pane's text: tmux history, then the visible rows; trailing blank lines trimmed. While mosh-client
   * runs it is on the alternate screen, so there is no history and this is just the screen. Once it has
   * exited, tmux's "Pane is dead" line scrolls the top row (where "[mosh is exiting.]" is) into history:
   * that is why history is included.
   */
  capture(): string;
  /** Polls capture() (default 15 s) until it matches and returns it; on timeout throws with the last one. */
  waitForText(re: RegExp | string, timeoutMs?: number): Promise<string>;
  /** Resizes the client's terminal (mosh forwards it to the session's pty). */
  resize(cols: number, rows: number): void;
  /** True once mosh-client has exited (tmux keeps the dead pane so its last screen can be captured). */
  clientExited(): boolean;
  /**
   * SIGKILLs mosh-client only: like a lost network, the session stays (and turns detached in utmp ~30 s
   * later). The pane stays capturable.
   */
  detach(): Promise<void>;
  /**
   * Freezes mosh-client: a laptop whose lid is closed. The session turns detached in utmp ~30 s later;
   * resume() (SIGCONT) is the lid opening, and the same client picks the session up again. (A second
   * mosh-client with the same key cannot: mosh refuses a client that starts its state numbers over.)
   * It is frozen with the cgroup freezer, not SIGSTOP: tmux answers a stopped pane process with SIGCONT
   * at once (measured: the "stopped" client went on sending every 3 s, strace on the server).
   */
  suspend(): void;
  resume(): void;
  /**
   * Kills the tmux server and waits until it and the client are gone. Note: the client gets SIGHUP, which
   * mosh-client treats like quitting: it tells the server to shut down, so the *session ends too*
   * (measured: within ~0.1 s). Use detach() to keep the session.
   */
  kill(): Promise<void>;
}

export interface AttachOptions {
  cols?: number;
  rows?: number;
  /** How long to wait for the shell prompt (default 20 s). */
  timeoutMs?: number;
  /** Screen regex that means "ready" (default: a line ending in '$' or '#'). */
  prompt?: RegExp;
}

function tmuxArgs(socket: string, args: readonly string[]): string[] {
  return ['-L', socket, '-f', '/dev/null', ...args];
}

function tmuxEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LANG: 'C.UTF-8' };
  delete env.TMUX; // never talk to a tmux the harness happens to run inside
  delete env.TMUX_PANE;
  return env;
}

function tmuxSync(socket: string, args: readonly string[]): string {
  return execFileSync('tmux', tmuxArgs(socket, args), {
    encoding: 'utf8',
    env: tmuxEnv(),
    timeout: 10_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const DEFAULT_PROMPT = /[$#]\s*$/m;

/** The new tmux server's and pane's pids; the server (and its socket path) recorded for cleanup. */
function trackTmux(
  socket: string,
  target: string,
  tracked: { server?: TrackedProcess; socketPath?: string },
): { serverPid: number; panePid: number } {
  const [pids = '', socketPath] = tmuxSync(socket, [
    'display-message',
    '-p',
    '-t',
    target,
    '#{pid} #{pane_pid}\n#{socket_path}',
  ]).split('\n');
  tracked.socketPath = socketPath;
  const [serverPid, panePid] = pids.trim().split(' ').map(Number);
  if (!serverPid || !panePid) throw new Error(`tmux ${socket}: could not read its pids`);
  const serverStart = startTimeOf(serverPid);
  if (serverStart) tracked.server = { pid: serverPid, startTime: serverStart };
  return { serverPid, panePid };
}

/** Starts mosh-client for `session` in a private tmux server and waits for the shell prompt. */
export async function attachClient(session: MoshSession, opts: AttachOptions = {}): Promise<Client> {
  const socket = `mw-e2e-${process.pid}-${++tmuxCounter}`;
  const target = 'mw';
  const tracked: { server?: TrackedProcess; client?: TrackedProcess; socketPath?: string } = {};
  startedTmux.set(socket, tracked);

  // remain-on-exit is set globally before the pane exists, so even a client that dies at once leaves
  // its last screen behind. The pane command is given as argv: tmux execs it without a shell.
  const created = await run(
    'tmux',
    tmuxArgs(socket, [
      'start-server',
      ';',
      'set-option',
      '-g',
      'remain-on-exit',
      'on',
      ';',
      'new-session',
      '-d',
      '-x',
      String(opts.cols ?? 100),
      '-y',
      String(opts.rows ?? 30),
      '-s',
      target,
      'env',
      `MOSH_KEY=${session.key}`,
      'LANG=C.UTF-8',
      'mosh-client',
      '127.0.0.1',
      String(session.port),
    ]),
    { env: tmuxEnv(), timeoutMs: 15_000 },
  );
  if (created.code !== 0) throw new Error(`tmux new-session failed (${created.code}): ${created.stderr}`);

  const { serverPid, panePid } = trackTmux(socket, target, tracked);
  // `env` execs mosh-client, so the pane pid is the client; look one level down just in case.
  let clientPid = panePid;
  if (readComm(panePid) !== 'mosh-client')
    clientPid = childrenOf(panePid).find((p) => readComm(p) === 'mosh-client') ?? panePid;
  const clientStart = startTimeOf(clientPid);
  if (clientStart) tracked.client = { pid: clientPid, startTime: clientStart };

  const capture = (): string => tmuxSync(socket, ['capture-pane', '-p', '-S', '-', '-t', target]).replace(/\n+$/, '');
  const clientExited = (): boolean => clientStart === null || !isAlive(clientPid, clientStart);

  const client: Client = {
    session,
    socket,
    target,
    clientPid,
    tmuxPid: serverPid,
    sendKeys(text: string, enter = true): void {
      if (text) tmuxSync(socket, ['send-keys', '-t', target, '-l', text]);
      if (enter) tmuxSync(socket, ['send-keys', '-t', target, 'Enter']);
    },
    capture,
    resize(cols: number, rows: number): void {
      tmuxSync(socket, ['resize-window', '-t', target, '-x', String(cols), '-y', String(rows)]);
    },
    async waitForText(re: RegExp | string, timeoutMs = 15_000): Promise<string> {
      const matches = (screen: string) => {
        if (typeof re === 'string') return screen.includes(re);
        re.lastIndex = 0; // a /g or /y regex would otherwise resume where the last poll stopped
        return re.test(screen);
      };
      let last = '';
      const found = await poll(() => {
        last = capture();
        return matches(last) ? last : undefined;
      }, timeoutMs);
      if (found === undefined)
        throw new Error(`waitForText(${String(re)}) timed out after ${timeoutMs} ms; screen:\n${last}`);
      return found;
    },
    clientExited,
    async detach(): Promise<void> {
      if (tracked.client) signalIfSame(tracked.client.pid, tracked.client.startTime, 'SIGKILL');
      if (!(await poll(() => (clientExited() ? true : undefined), 10_000, 50))) {
        throw new Error(`mosh-client ${clientPid} still running after SIGKILL`);
      }
    },
    suspend(): void {
      if (!tracked.client || !isAlive(tracked.client.pid, tracked.client.startTime))
        throw new Error(`mosh-client ${clientPid} is not running`);
      freeze(tracked.client.pid, socket);
    },
    resume(): void {
      thaw(socket);
    },
    kill(): Promise<void> {
      return killTmux(socket);
    },
  };

  const prompt = opts.prompt ?? DEFAULT_PROMPT;
  const timeoutMs = opts.timeoutMs ?? 20_000;
  let screen = '';
  const ready = await poll(() => {
    screen = capture();
    if (prompt.test(screen)) return 'ready' as const;
    if (clientExited()) return 'dead' as const; // e.g. a wrong key or port
    return undefined;
  }, timeoutMs);
  if (ready !== 'ready') {
    const why = ready === 'dead' ? 'mosh-client exited' : `no prompt within ${timeoutMs} ms`;
    throw new Error(`attachClient(pid ${session.pid}, port ${session.port}): ${why}; screen:\n${screen}`);
  }
  return client;
}

/** A shell (or any program) in a private tmux server: a terminal to test a full-screen command in. */
export interface Terminal {
  socket: string;
  target: string;
  /** The pane's first process (the shell). */
  panePid: number;
  /** Types text literally, then Enter unless enter is false. */
  sendKeys(text: string, enter?: boolean): void;
  /** tmux key names: `C-c`, `q`, `Enter`. */
  sendKey(key: string): void;
  /** The visible screen only (the alternate screen while a full-screen program has it). */
  screen(): string;
  /** tmux's view of the terminal: the alternate screen on or off, the cursor shown or hidden. */
  modes(): { alternate: boolean; cursorVisible: boolean };
  /** Polls screen() (default 15 s) until it matches; on timeout throws with the last screen. */
  waitForScreen(re: RegExp, timeoutMs?: number): Promise<string>;
  kill(): Promise<void>;
}

export async function openTerminal(
  command: string[],
  opts: { cols?: number; rows?: number; env?: Record<string, string> } = {},
): Promise<Terminal> {
  const socket = `mw-e2e-term-${process.pid}-${++tmuxCounter}`;
  const target = 'term';
  const tracked: { server?: TrackedProcess; socketPath?: string } = {};
  startedTmux.set(socket, tracked);
  const envWords = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const created = await run(
    'tmux',
    tmuxArgs(socket, [
      'new-session',
      '-d',
      '-x',
      String(opts.cols ?? 120),
      '-y',
      String(opts.rows ?? 30),
      '-s',
      target,
      'env',
      'LANG=C.UTF-8',
      ...envWords,
      ...command,
    ]),
    { env: tmuxEnv(), timeoutMs: 15_000 },
  );
  if (created.code !== 0) throw new Error(`tmux new-session failed (${created.code}): ${created.stderr}`);
  const { panePid } = trackTmux(socket, target, tracked);
  const screen = () => tmuxSync(socket, ['capture-pane', '-p', '-t', target]).replace(/\n+$/, '');
  return {
    socket,
    target,
    panePid,
    sendKeys(text, enter = true) {
      if (text) tmuxSync(socket, ['send-keys', '-t', target, '-l', text]);
      if (enter) tmuxSync(socket, ['send-keys', '-t', target, 'Enter']);
    },
    sendKey(key) {
      tmuxSync(socket, ['send-keys', '-t', target, key]);
    },
    screen,
    modes() {
      const [alt, cursor] = tmuxSync(socket, ['display-message', '-p', '-t', target, '#{alternate_on} #{cursor_flag}'])
        .trim()
        .split(' ');
      return { alternate: alt === '1', cursorVisible: cursor === '1' };
    },
    async waitForScreen(re, timeoutMs = 15_000) {
      let last = '';
      const found = await poll(() => {
        last = screen();
        return re.test(last) ? last : undefined;
      }, timeoutMs);
      if (found === undefined)
        throw new Error(`waitForScreen(${String(re)}) timed out after ${timeoutMs} ms; screen:\n${last}`);
      return found;
    },
    kill: () => killTmux(socket),
  };
}

// The cgroup (v1) freezer: a frozen process gets no CPU and no signal wakes it, like a sleeping laptop.
const FREEZER = '/sys/fs/cgroup/freezer';

function freezerDir(socket: string): string {
  return path.join(FREEZER, socket);
}

function freeze(pid: number, socket: string): void {
  if (!fs.existsSync(path.join(FREEZER, 'tasks')))
    throw new Error(`no cgroup v1 freezer at ${FREEZER}: cannot freeze a client`);
  const dir = freezerDir(socket);
  fs.mkdirSync(dir, { recursive: true });
  startedFreezers.add(socket);
  fs.writeFileSync(path.join(dir, 'tasks'), String(pid));
  fs.writeFileSync(path.join(dir, 'freezer.state'), 'FROZEN');
}

/** Thaws, moves the processes back to the root cgroup and removes ours. */
function thaw(socket: string): void {
  const dir = freezerDir(socket);
  if (!fs.existsSync(dir)) return;
  fs.writeFileSync(path.join(dir, 'freezer.state'), 'THAWED');
  for (const pid of fs.readFileSync(path.join(dir, 'tasks'), 'utf8').split('\n').filter(Boolean)) {
    try {
      fs.writeFileSync(path.join(FREEZER, 'tasks'), pid);
    } catch {
      // exited meanwhile
    }
  }
  fs.rmdirSync(dir);
  startedFreezers.delete(socket);
}

function readComm(pid: number): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

async function killTmux(socket: string): Promise<void> {
  const tracked = startedTmux.get(socket);
  startedTmux.delete(socket);
  try {
    tmuxSync(socket, ['kill-server']);
  } catch {
    // already gone
  }
  // The client got SIGHUP and is now telling its server to shut down: give it time to finish (measured
  // ~0.1 s), then end whatever outlived kill-server (identity-checked).
  for (const proc of [tracked?.client, tracked?.server]) {
    if (proc && !(await waitForExit(proc.pid, 5_000, proc.startTime)))
      signalIfSame(proc.pid, proc.startTime, 'SIGKILL');
  }
  // tmux 3.3a leaves its socket file behind after kill-server.
  if (tracked?.socketPath && path.basename(tracked.socketPath) === socket)
    fs.rmSync(tracked.socketPath, { force: true });
}

/** A session with a client attached, as a user would have it (origin: the ssh origin to record). */
export async function liveSession(
  user: string,
  origin?: string,
  opts: StartSessionOptions = {},
): Promise<{ s: MoshSession; c: Client }> {
  const s = await startSession(user, origin ? { ...opts, sshOrigin: origin } : opts);
  return { s, c: await attachClient(s) };
}

// ---------------------------------------------------------------------------------------------------------
// Pty timestamps (the kernel's idle clock: atime = last input read, mtime = last output written)

/**
 * Runs a shell command as `user` (su - user -c), to completion: what a user would type. The words are
 * the test's own; nothing from outside reaches the shell.
 */
export function runAs(user: string, command: string, timeoutMs = 30_000): Promise<RunResult> {
  if (!/^[a-z_][a-z0-9_-]*$/.test(user)) throw new Error(`runAs: bad user name ${user}`);
  return run(mustFind('su'), ['-', user, '-c', command], { timeoutMs });
}

export interface Background {
  /** The su process leading the group; the user's command runs below it. */
  pid: number;
  /** The process group: su and everything the command started (unless something called setsid). */
  pgid: number;
  /** Resolves when su has exited. */
  exited: Promise<void>;
  stdout(): string;
  /** SIGTERM to the group, SIGKILL after 3 s; waits for su. */
  stop(): Promise<void>;
}

const startedBackground = new Set<Background>();

/**
 * Starts a shell command as `user` in the background, in a process group of its own that this test
 * owns (spawned detached), so that stop() ends it and its children and nothing else. Registered for
 * cleanupAll().
 */
export async function spawnAs(user: string, command: string): Promise<Background> {
  if (!/^[a-z_][a-z0-9_-]*$/.test(user)) throw new Error(`spawnAs: bad user name ${user}`);
  const child = spawn(mustFind('su'), ['-', user, '-c', command], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.resume();
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const pid = child.pid!;
  let done = false;
  // 'exit', not 'close': a daemon the command started (tmux) may keep our pipe open for its whole life.
  const exited = new Promise<void>((resolve) => child.once('exit', () => ((done = true), resolve())));
  const bg: Background = {
    pid,
    pgid: pid,
    exited,
    stdout: () => out,
    async stop() {
      startedBackground.delete(bg);
      // The group is ours for as long as su (its leader, our unreaped child) lives.
      const signalGroup = (sig: NodeJS.Signals) => {
        try {
          process.kill(-pid, sig);
        } catch {
          // gone
        }
      };
      if (!done) signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
  startedBackground.add(bg);
  return bg;
}

/** Sets the pty's atime to secondsAgo before now, keeping its mtime. */
export function setIdle(ptyPath: string, secondsAgo: number): void {
  const st = fs.statSync(ptyPath);
  fs.utimesSync(ptyPath, Date.now() / 1000 - secondsAgo, st.mtimeMs / 1000);
}

/** Sets the pty's mtime to secondsAgo before now, keeping its atime. */
export function setOutputIdle(ptyPath: string, secondsAgo: number): void {
  const st = fs.statSync(ptyPath);
  fs.utimesSync(ptyPath, st.atimeMs / 1000, Date.now() / 1000 - secondsAgo);
}

// ---------------------------------------------------------------------------------------------------------
// utmp, via who(1)

/** The `who` lines that belong to a mosh session pid ("(... mosh [PID])"). */
export async function whoLinesFor(pid: number): Promise<string[]> {
  const result = await run('who', [], { timeoutMs: 10_000 });
  return result.stdout.split('\n').filter((line) => line.includes(`mosh [${pid}])`));
}

// ---------------------------------------------------------------------------------------------------------
// The CLI

let cachedRepoRoot: string | undefined;

/** The repository root: the nearest directory above this file with moshwarden's package.json. */
export function repoRoot(): string {
  if (cachedRepoRoot) return cachedRepoRoot;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'moshwarden') return (cachedRepoRoot = dir);
    } catch {
      // keep looking
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('e2e harness: repository root (package.json of moshwarden) not found');
    dir = parent;
  }
}

export interface CliOptions {
  /** Added to (and overriding) the environment; JOURNAL_STREAM and MOSHWARDEN_CONFIG are removed first. */
  env?: NodeJS.ProcessEnv;
  /** Written to stdin. */
  input?: string;
  cwd?: string;
  /** Default 30 s; the promise rejects (with the output so far) after it. */
  timeoutMs?: number;
  /** Script to run instead of <repo>/bin/moshwarden.js (for testing the harness itself). */
  entry?: string;
}

function cliEnv(extra: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.JOURNAL_STREAM; // else the daemon may prefix lines with <N>
  delete env.MOSHWARDEN_CONFIG;
  delete env.NODE_TEST_CONTEXT; // don't let the child think it runs under node:test
  return { ...env, ...extra };
}

function entryPath(entry: string | undefined): string {
  return entry ?? path.join(repoRoot(), 'bin', 'moshwarden.js');
}

/** Runs `node <repo>/bin/moshwarden.js ...args` to completion. */
export async function runCli(args: string[], opts: CliOptions = {}): Promise<RunResult> {
  return run(process.execPath, [entryPath(opts.entry), ...args], {
    env: cliEnv(opts.env),
    cwd: opts.cwd ?? repoRoot(),
    timeoutMs: opts.timeoutMs ?? 30_000,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
}

export type LogEvent = Record<string, unknown>;

/** A waitForEvent predicate: `event` about session `pid`. */
export const about = (pid: number, event: string) => (e: LogEvent) => e.event === event && e.pid === pid;

export interface Daemon {
  pid: number;
  /** Temporary directory holding the config (tests may put revocation files etc. here). */
  dir: string;
  configPath: string;
  /** Every stdout line, as received. */
  lines: string[];
  /** The stdout lines that parsed as JSON objects (a leading syslog "<N>" prefix is stripped). */
  events: LogEvent[];
  stderr(): string;
  /** Resolves with the exit code/signal once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * Polls `events` (from index `fromIndex`, default 0) for one matching predicate and returns it. Throws on
   * timeout, or as soon as the daemon exits, with the recent lines and stderr in the message.
   */
  waitForEvent(predicate: (event: LogEvent) => boolean, timeoutMs?: number, fromIndex?: number): Promise<LogEvent>;
  /** SIGTERM, wait for exit (SIGKILL after timeoutMs), return the exit code (null if killed by a signal). */
  stop(timeoutMs?: number): Promise<number | null>;
}

export interface DaemonOptions {
  /** Extra arguments after `run --config FILE`. */
  args?: string[];
  /** A command the daemon is started under, e.g. setpriv with a user and capabilities. */
  wrap?: string[];
  env?: NodeJS.ProcessEnv;
  entry?: string;
}

/** Writes configYaml to a temp file and starts `node bin/moshwarden.js run --config FILE`. */
export async function startDaemon(configYaml: string, opts: DaemonOptions = {}): Promise<Daemon> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-e2e-'));
  tempDirs.add(dir);
  const configPath = path.join(dir, 'config.yaml');
  fs.writeFileSync(configPath, configYaml, { mode: 0o600 });

  // The real bin is executed itself, so that its shebang's V8 flags apply as they do in production.
  const entry = entryPath(opts.entry);
  const argv = [...(opts.entry ? [process.execPath] : []), entry, 'run', '--config', configPath, ...(opts.args ?? [])];
  const [cmd, ...rest] = [...(opts.wrap ?? []), ...argv];
  const child = spawn(cmd!, rest, {
    cwd: repoRoot(),
    env: cliEnv(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  startedDaemons.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      startedDaemons.delete(child);
      resolve({ code, signal });
    });
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });

  const lines: string[] = [];
  const events: LogEvent[] = [];
  let partial = '';
  let stderr = '';
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((info) => (exitInfo = info));
  const takeLine = (line: string) => {
    lines.push(line);
    try {
      const value: unknown = JSON.parse(line.replace(/^<\d>/, ''));
      if (value && typeof value === 'object' && !Array.isArray(value)) events.push(value as LogEvent);
    } catch {
      // not JSON: kept in lines only
    }
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) if (line.trim()) takeLine(line);
  });
  child.stdout.on('end', () => {
    if (partial.trim()) takeLine(partial);
    partial = '';
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

  const recent = () => `recent stdout lines:\n${lines.slice(-20).join('\n')}\nstderr:\n${stderr.slice(-4000)}`;

  return {
    pid: child.pid ?? -1,
    dir,
    configPath,
    lines,
    events,
    stderr: () => stderr,
    exited,
    async waitForEvent(predicate, timeoutMs = 15_000, fromIndex = 0): Promise<LogEvent> {
      let exitedEarly = false;
      const found = await poll(() => {
        const hit = events.slice(fromIndex).find(predicate);
        if (hit) return hit;
        if (exitInfo) exitedEarly = true; // all output is in: 'close' fires after stdout ends
        return exitedEarly ? null : undefined;
      }, timeoutMs);
      if (found) return found;
      const why = exitedEarly
        ? `the daemon exited (${exitInfo?.code ?? exitInfo?.signal})`
        : `timed out after ${timeoutMs} ms`;
      throw new Error(`waitForEvent: ${why}; ${recent()}`);
    },
    async stop(timeoutMs = 15_000): Promise<number | null> {
      if (!exitInfo) child.kill('SIGTERM'); // our direct, unreaped child: the pid is still ours
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const { code } = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Cleanup

/**
 * Ends everything this process started, and nothing else: daemons, then sessions (SIGTERM, a second
 * SIGTERM, then SIGKILL — SIGKILL leaves a stale utmp record, so it is the last resort), then the tmux
 * servers, then temp dirs. Call from after() hooks. Safe to call more than once.
 */
export async function cleanupAll(): Promise<void> {
  const errors: string[] = [];
  for (const socket of [...startedFreezers]) {
    try {
      thaw(socket); // a frozen client cannot even die of SIGKILL until thawed
    } catch (e) {
      errors.push(`thaw ${socket}: ${String(e)}`);
    }
  }

  await Promise.all(
    [...startedDaemons].map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await new Promise<void>((resolve) =>
        child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('close', () => resolve()),
      );
      clearTimeout(timer);
    }),
  );
  startedDaemons.clear();
  await Promise.all([...startedBackground].map((b) => b.stop()));

  // Sessions first, while their clients still listen: mosh then exits within milliseconds.
  const sessions = [...startedSessions.values()];
  const alive = () => sessions.filter((s) => isAlive(s.pid, s.startTime));
  for (const s of alive()) signalIfSame(s.pid, s.startTime, 'SIGTERM');
  if (!(await poll(() => (alive().length ? undefined : true), 3_000, 50))) {
    for (const s of alive()) signalIfSame(s.pid, s.startTime, 'SIGTERM'); // a 2nd SIGTERM exits at once
    if (!(await poll(() => (alive().length ? undefined : true), 3_000, 50))) {
      for (const s of alive()) {
        errors.push(`mosh-server ${s.pid} ignored SIGTERM; sent SIGKILL`);
        signalIfSame(s.pid, s.startTime, 'SIGKILL');
      }
    }
  }
  // The pty hangup ends the child; one that somehow survives was still started by us.
  for (const s of sessions) {
    if (s.child && signalIfSame(s.child.pid, s.child.startTime, 'SIGTERM')) {
      if (!(await waitForExit(s.child.pid, 3_000, s.child.startTime)))
        signalIfSame(s.child.pid, s.child.startTime, 'SIGKILL');
    }
  }
  startedSessions.clear();

  await Promise.all([...startedTmux.keys()].map(killTmux));

  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();

  if (errors.length) console.error(`e2e cleanup: ${errors.join('; ')}`);
}

/** What the harness still tracks (for debugging a leak). */
export function trackedPids(): { sessions: number[]; tmuxSockets: string[]; daemons: number[] } {
  return {
    sessions: [...startedSessions.keys()],
    tmuxSockets: [...startedTmux.keys()],
    daemons: [...startedDaemons].map((c) => c.pid ?? -1),
  };
}
