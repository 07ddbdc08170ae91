// A real etcd for the fleet tests and the benchmark: started on free loopback ports with a temp data
// dir, ready when `etcdctl endpoint health` says so, stopped by its pid (identity re-checked). Also a
// small TCP proxy the tests control, to cut a host off from etcd and heal it again. No side effects on
// import (node --test runs every file under test/).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { findExecutable, requireOrSkip } from './harness.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function etcdSkipReason(): string | null {
  if (process.platform !== 'linux') return requireOrSkip('needs Linux');
  if (!findExecutable('etcd') || !findExecutable('etcdctl'))
    return requireOrSkip('needs etcd and etcdctl (Debian: apt-get install etcd-server etcd-client)');
  return null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function startTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** TLS for etcd: its server certificate, and the CA (and client certificate etcdctl uses) for clients. */
export interface EtcdTls {
  ca: string;
  cert: string;
  key: string;
  clientCert: string;
  clientKey: string;
}

export class Etcd {
  readonly endpoint: string;
  private child: ChildProcess | null = null;
  private childStart: string | null = null;
  log = '';

  private constructor(
    readonly dataDir: string,
    readonly clientPort: number,
    private readonly peerPort: number,
    private readonly extraArgs: string[],
    private readonly tls: EtcdTls | null,
  ) {
    this.endpoint = `${tls ? 'https' : 'http'}://127.0.0.1:${clientPort}`;
  }

  /** With `tls`, clients must present a certificate signed by tls.ca (its CN is the etcd user). */
  static async start(extraArgs: string[] = [], tls: EtcdTls | null = null): Promise<Etcd> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-etcd-'));
    const tlsArgs = tls
      ? [`--cert-file=${tls.cert}`, `--key-file=${tls.key}`, '--client-cert-auth', `--trusted-ca-file=${tls.ca}`]
      : [];
    const e = new Etcd(dir, await freePort(), await freePort(), [...tlsArgs, ...extraArgs], tls);
    await e.up();
    return e;
  }

  pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Starts etcd (again) on the same ports and data dir; resolves once it is healthy. */
  async up(): Promise<void> {
    const peer = `http://127.0.0.1:${this.peerPort}`;
    const child = spawn(
      'etcd',
      [
        '--name=mw-test',
        `--data-dir=${this.dataDir}/data`,
        `--listen-client-urls=${this.endpoint}`,
        `--advertise-client-urls=${this.endpoint}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=mw-test=${peer}`,
        '--log-level=error',
        '--logger=zap',
        ...this.extraArgs,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.on('data', (b: Buffer) => (this.log = (this.log + b.toString()).slice(-20_000)));
    this.child = child;
    await sleep(50);
    this.childStart = startTime(child.pid!);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await this.ctl(['endpoint', 'health'], 2_000);
        return;
      } catch (e) {
        if (child.exitCode !== null || Date.now() > deadline)
          throw new Error(`etcd did not become healthy: ${String(e)}\n${this.log}`);
        await sleep(100);
      }
    }
  }

  /** Stops it by pid (SIGTERM, then SIGKILL), only if it is still the process we started. */
  async down(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.pid === undefined) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    if (startTime(child.pid) === this.childStart) child.kill('SIGTERM');
    const killed = await Promise.race([gone.then(() => true), sleep(10_000).then(() => false)]);
    if (!killed && startTime(child.pid) === this.childStart) child.kill('SIGKILL');
    await gone;
    this.child = null;
  }

  async stop(): Promise<void> {
    await this.down();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  async ctl(args: string[], timeoutMs = 10_000): Promise<string> {
    const tls = this.tls
      ? [`--cacert=${this.tls.ca}`, `--cert=${this.tls.clientCert}`, `--key=${this.tls.clientKey}`]
      : [];
    const { stdout } = await run('etcdctl', [`--endpoints=${this.endpoint}`, ...tls, ...args], {
      env: { ...process.env, ETCDCTL_API: '3' },
      timeout: timeoutMs,
    });
    return stdout;
  }

  /** The store's current revision. */
  async revision(): Promise<number> {
    const out = await this.ctl(['endpoint', 'status', '--write-out=json']);
    return Number((JSON.parse(out) as { Status: { header: { revision: number } } }[])[0]!.Status.header.revision);
  }
}

/** A throwaway CA in `dir`, a server certificate for 127.0.0.1, and client certificates with the given CNs. */
export async function makeCerts(
  dir: string,
  clients: string[],
): Promise<{
  ca: string;
  server: { cert: string; key: string };
  client: (cn: string) => { cert: string; key: string };
}> {
  const ssl = (args: string[]) => run('openssl', args, { cwd: dir, timeout: 30_000 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await ssl([
    'req',
    '-x509',
    ...ec,
    '-subj',
    '/CN=mw-test-ca',
    '-days',
    '2',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
  ]);
  const sign = async (name: string, cn: string, ext: string) => {
    await ssl(['req', '-new', ...ec, '-subj', `/CN=${cn}`, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`]);
    fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
    await ssl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    ]);
  };
  await sign('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  for (const cn of clients) await sign(`client-${cn}`, cn, 'extendedKeyUsage=clientAuth\n');
  const at = (f: string) => path.join(dir, f);
  return {
    ca: at('ca.pem'),
    server: { cert: at('server.pem'), key: at('server-key.pem') },
    client: (cn) => ({ cert: at(`client-${cn}.pem`), key: at(`client-${cn}-key.pem`) }),
  };
}

/**
 * A TCP proxy in front of etcd. cut() drops every connection and refuses new ones (a host cut off);
 * heal() lets them through again.
 */
export class Proxy {
  private sockets = new Set<net.Socket>();
  private open = true;
  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(targetPort: number): Promise<Proxy> {
    const port = await freePort();
    let self: Proxy | null = null;
    const server = net.createServer((client) => {
      if (!self!.open) return client.destroy();
      const upstream = net.connect(targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        self!.sockets.add(s);
        s.on('close', () => self!.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    self = new Proxy(server, port);
    return self;
  }

  cut(): void {
    this.open = false;
    for (const s of this.sockets) s.destroy();
  }

  heal(): void {
    this.open = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
