// `moshwarden history` on a year of audit logs: a generated audit trail of 1,000,000 lines (what a busy
// host's daemon writes: session.start, rule, attach/detach, warn, terminate, end, revocation and config
// loads, daemon restarts), rotated like logrotate does (audit.log, audit.log.1, audit.log.2.gz, ...), read
// by the real command as a child process. Reported: wall time, lines/s and peak RSS (VmHWM, read by the
// child itself at exit through a preloaded hook, so it is the true peak, not a sample).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { marked } from './sections.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const preload = fileURLToPath(new URL('./hwm-preload.js', import.meta.url));

export interface HistoryRun {
  label: string;
  args: string[];
  wallMs: number;
  peakRssMiB: number;
  code: number | null;
  stdoutBytes: number;
  stderr: string;
}

export interface HistoryBench {
  lines: number;
  files: { name: string; lines: number; bytes: number }[];
  sessions: number;
  generateMs: number;
  runs: HistoryRun[];
}

/** A deterministic pseudo-random sequence (the same log every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const USERS = Array.from({ length: 200 }, (_, i) => `user${String(i).padStart(3, '0')}`);
const FILES = 8;

/** Writes `total` audit lines over a year into FILES rotations of `base`, oldest in the highest number. */
export function generateAuditLog(base: string, total: number): { sessions: number; files: HistoryBench['files'] } {
  const rand = rng(42);
  const yearMs = 365 * 86_400_000;
  const t0 = Date.UTC(2025, 11, 1);
  const step = yearMs / total;
  let t = t0;
  let nextPid = 3000;
  let sessions = 0;
  const open: { pid: number; user: string; uid: number; tty: string; started: string; state: number }[] = [];
  const lines: string[] = [];
  const perFile = Math.ceil(total / FILES);
  const files: HistoryBench['files'] = [];
  let written = 0;

  const emit = (o: Record<string, unknown>) => {
    t += step * (0.5 + rand());
    lines.push(JSON.stringify({ level: 'info', time: new Date(t).toISOString(), ...o }));
    if (lines.length >= perFile || written + lines.length >= total) flush();
  };
  const flush = () => {
    const index = FILES - 1 - files.length; // oldest first: audit.log.7.gz ... audit.log.1, audit.log
    const name = index === 0 ? path.basename(base) : `${path.basename(base)}.${index}${index >= 2 ? '.gz' : ''}`;
    const text = lines.join('\n') + '\n';
    const data = index >= 2 ? zlib.gzipSync(text, { level: 6 }) : Buffer.from(text);
    fs.writeFileSync(path.join(path.dirname(base), name), data);
    files.push({ name, lines: lines.length, bytes: data.length });
    written += lines.length;
    lines.length = 0;
  };
  const who = (s: (typeof open)[number]) => ({ pid: s.pid, user: s.user, uid: s.uid, tty: s.tty });

  emit({ event: 'daemon.start', pid: 1, msg: 'moshwarden running' });
  while (written + lines.length < total) {
    const r = rand();
    if (open.length < 20 || (r < 0.12 && open.length < 120)) {
      const user = USERS[Math.floor(rand() * USERS.length)]!;
      const s = {
        pid: nextPid++,
        user,
        uid: 2000 + USERS.indexOf(user),
        tty: `pts/${nextPid % 200}`,
        started: new Date(t).toISOString(),
        state: 0,
      };
      if (nextPid > 4_000_000) nextPid = 3000;
      open.push(s);
      sessions++;
      emit({
        event: 'session.start',
        ...who(s),
        from: `198.51.${s.uid % 256}.${s.pid % 250}`,
        started_at: s.started,
        state: 'waiting',
        client: null,
        groups: [user],
        msg: 'session found',
      });
      if (rand() < 0.3)
        emit({ event: 'session.rule', ...who(s), rule: 0, matched: { user }, exempt: false, msg: 'rule applies' });
      continue;
    }
    const i = Math.floor(rand() * open.length);
    const s = open[i]!;
    if (r < 0.55) {
      emit({
        event: 'session.attach',
        ...who(s),
        client: `203.0.113.${Math.floor(rand() * 250)}`,
        msg: 'client attached',
      });
    } else if (r < 0.75) {
      emit({ event: 'session.detach', ...who(s), client: null, msg: 'client lost' });
    } else if (r < 0.8) {
      emit({
        event: 'session.warn',
        ...who(s),
        reason: 'idle',
        at: new Date(t + 120_000).toISOString(),
        rule: null,
        dry_run: false,
        msg: 'warned',
      });
    } else if (r < 0.995) {
      const reason = rand() < 0.6 ? null : ['idle', 'revoked', 'max_age', 'detached'][Math.floor(rand() * 4)]!;
      if (reason !== null) {
        const revocation =
          reason === 'revoked' ? { revocation: { target: `user:${s.user}`, line: 1, reason: 'OPS-12' } } : {};
        emit({
          event: 'session.terminate',
          ...who(s),
          reason,
          ...revocation,
          idle_seconds: 1800,
          dry_run: false,
          msg: 'terminating',
        });
      }
      emit({
        event: 'session.end',
        ...who(s),
        duration_seconds: Math.round((t - Date.parse(s.started)) / 1000),
        reason,
        msg: 'session gone',
      });
      open.splice(i, 1);
    } else if (r < 0.998) {
      emit({ event: 'revocation.load', entries: 3, errors: 0, msg: 'revocations loaded' });
    } else {
      // A restart: the daemon logs every live session again; some ended while it was down.
      emit({ event: 'daemon.stop', signal: 'SIGTERM', msg: 'stopping' });
      emit({ event: 'daemon.start', pid: 1, msg: 'moshwarden running' });
      for (const o of [...open]) {
        if (rand() < 0.05) open.splice(open.indexOf(o), 1);
        else
          emit({
            event: 'session.start',
            ...who(o),
            from: '198.51.100.7',
            started_at: o.started,
            state: 'attached',
            client: '203.0.113.9',
            msg: 'session found',
          });
      }
    }
  }
  if (lines.length > 0) flush();
  return { sessions, files };
}

function runHistory(label: string, args: string[]): Promise<HistoryRun> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(
      process.execPath,
      ['--import', preload, path.join(root, 'bin/moshwarden.js'), 'history', ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
        env: { ...process.env, MOSHWARDEN_CONFIG: '/nonexistent' },
      },
    );
    let stdoutBytes = 0;
    let stderr = '';
    let hwm = '';
    child.stdout!.on('data', (c: Buffer) => (stdoutBytes += c.length));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    (child.stdio[3] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (c: string) => (hwm += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const kib = Number(/VmHWM:\s*(\d+) kB/.exec(hwm)?.[1] ?? NaN);
      resolve({ label, args, wallMs: performance.now() - start, peakRssMiB: kib / 1024, code, stdoutBytes, stderr });
    });
  });
}

export async function benchHistory(log: (s: string) => void, quick: boolean): Promise<HistoryBench> {
  const total = quick ? 50_000 : 1_000_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'moshwarden-bench-history-'));
  try {
    const base = path.join(dir, 'audit.log');
    const g0 = performance.now();
    const { sessions, files } = generateAuditLog(base, total);
    const generateMs = performance.now() - g0;
    log(
      `history: ${total.toLocaleString('en')} audit lines, ${sessions.toLocaleString('en')} sessions in ${files.length} files (${(generateMs / 1000).toFixed(1)} s to generate)`,
    );
    const runs: HistoryRun[] = [];
    for (const [label, args] of [
      ['every session, table', ['--file', base]],
      ['every session, --json', ['--file', base, '--json']],
      ['one user (--user user007)', ['--file', base, '--user', 'user007']],
      [
        'one range, last month (--from 203.0.113.0/28 --since 2026-11-01T00:00:00Z)',
        ['--file', base, '--from', '203.0.113.0/28', '--since', '2026-11-01T00:00:00Z'],
      ],
    ] as const) {
      const r = await runHistory(label, [...args]);
      runs.push(r);
      log(
        `history: ${label}: ${(r.wallMs / 1000).toFixed(2)} s, ${Math.round(total / (r.wallMs / 1000)).toLocaleString('en')} lines/s, peak RSS ${r.peakRssMiB.toFixed(1)} MiB, exit ${r.code}`,
      );
    }
    runs.push(await runHistory('baseline: `moshwarden --version` (start-up alone)', ['--version']));
    return { lines: total, files, sessions, generateMs, runs };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function renderHistory(b: HistoryBench, command: string): string {
  const gz = b.files.filter((f) => f.name.endsWith('.gz'));
  const out = [
    '## `moshwarden history` on a year of audit logs',
    '',
    `- Command: \`${command}\`; ${new Date().toISOString()}; Node ${process.version}, ${os.cpus().length} cores`,
    `- Input: ${b.lines.toLocaleString('en')} generated audit lines (${b.sessions.toLocaleString('en')} sessions, daemon restarts, rules, warnings, revocation loads) in ${b.files.length} files as logrotate leaves them: ` +
      `${b.files.map((f) => `\`${f.name}\``).join(', ')} (${gz.length} gzipped; ${(b.files.reduce((a, f) => a + f.bytes, 0) / 2 ** 20).toFixed(0)} MiB on disk).`,
    "- Each query is the real command in a child process (`node bin/moshwarden.js history ...`, stdout to a pipe that is only counted). Peak RSS is the child's VmHWM at exit.",
    '',
    '| Query | wall s | lines/s | peak RSS (VmHWM) | output | exit |',
    '|---|---:|---:|---:|---:|---:|',
    ...b.runs.map((r) => {
      const perS = r.args[0] === '--version' ? '—' : Math.round(b.lines / (r.wallMs / 1000)).toLocaleString('en');
      return `| ${r.label} | ${(r.wallMs / 1000).toFixed(2)} | ${perS} | ${r.peakRssMiB.toFixed(1)} MiB | ${(r.stdoutBytes / 2 ** 20).toFixed(1)} MiB | ${r.code}${r.stderr.trim() ? ` (${r.stderr.trim().slice(0, 120).replace(/\|/g, '\\|')})` : ''} |`;
    }),
    '',
    'The log is streamed (readline over a gunzip stream per file, oldest first); memory follows the sessions kept for the answer (the rows), not the lines read: compare the filtered queries.',
  ];
  return marked('history', out.join('\n'));
}
