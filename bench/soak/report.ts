// The soak's verdict: one summary line (also appended to bench/RELIABILITY.md with the command, the
// machine and the date) and the details of every failure.
import fs from 'node:fs';
import os from 'node:os';
import type { Sample } from './daemon.js';
import type { Tolerances } from './facts.js';
import { wrongKills } from './judge.js';
import { misses, type MissReport } from './misses.js';
import type { Timeline } from './timeline.js';

export interface Verdict {
  wrong: string[];
  miss: MissReport;
  deaths: string[];
  lookAlikeHits: string[];
}

export function judge(t: Timeline, tol: Tolerances): Verdict {
  const deaths = t.daemons
    .filter((d) => d.exitedAt !== null && (d.termAt === null || d.code !== 0))
    .map(
      (d) =>
        `daemon ${d.pid} exited (${d.code ?? d.signal})${d.termAt === null ? ' without being stopped' : ' on SIGTERM'}`,
    );
  const lookAlikeHits = t.lookAlikes.flatMap((a) => [
    ...(a.aliveAtEnd === false ? [`${a.what} (pid ${a.pid}) did not live to the end`] : []),
    ...(t.lines.some((l) => l.e.pid === a.pid) ? [`${a.what} (pid ${a.pid}) is named in the log`] : []),
  ]);
  return { wrong: wrongKills(t, tol), miss: misses(t, tol), deaths, lookAlikeHits };
}

export const failed = (v: Verdict) =>
  v.wrong.length + v.miss.misses.length + v.deaths.length + v.lookAlikeHits.length > 0;

function percentile(values: number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const ms = (v: number | null) => (v === null ? '-' : `${Math.round(v)} ms`);

export function summary(t: Timeline, v: Verdict, samples: Sample[], seed: number, stops: number[]): string {
  const count = (event: string, reason?: string) =>
    t.lines.filter(
      (l) => l.e.event === event && l.e.dry_run !== true && (reason === undefined || l.e.reason === reason),
    ).length;
  // The last daemon's samples, from 10 s after its start (node is still loading before that).
  const last = t.daemons.at(-1);
  const own = samples.filter((s) => s.instance === last?.instance && s.at >= (last.upAt ?? Infinity) + 10_000);
  const first = own[0];
  const end = own.at(-1);
  const mib = (k: number | undefined) => (k === undefined ? '?' : (k / 1_024).toFixed(1));
  const lat = v.miss.latencies;
  return [
    `soak seed=${seed} ${Math.round((t.end - t.start) / 1_000)}s:`,
    `sessions ${t.sessions.length} (${t.sessions.filter((s) => s.client).length} with clients),`,
    `revocations ${t.revocations.length}, config edits ${t.configs.length - 1}, restarts ${t.daemons.length - 1},`,
    `kills idle=${count('session.terminate', 'idle')} revoked=${count('session.terminate', 'revoked')} sigkill=${count('session.kill')},`,
    `wrong kills ${v.wrong.length}, misses ${v.miss.misses.length}`,
    `(judged: revocation ${v.miss.judged.revocation}, idle ${v.miss.judged.idle}, grace ${v.miss.judged.grace}),`,
    `unexpected deaths ${v.deaths.length}, look-alikes hit ${v.lookAlikeHits.length},`,
    `revocation latency p50 ${ms(percentile(lat, 50))} p99 ${ms(percentile(lat, 99))} (n=${lat.length}),`,
    `daemon stop ${stops.length ? `max ${Math.max(...stops)} ms` : '-'},`,
    `RSS ${mib(first?.rssKiB)}→${mib(end?.rssKiB)} MiB fds ${first?.fds ?? '?'}→${end?.fds ?? '?'}`,
  ].join(' ');
}

export function details(v: Verdict): string {
  const section = (title: string, items: string[]) =>
    items.length ? [`${title}:`, ...items.map((i) => `  - ${i}`)] : [];
  return [
    ...section('wrong kills', v.wrong),
    ...section('misses', v.miss.misses),
    ...section('unexpected daemon deaths', v.deaths),
    ...section('look-alikes hit', v.lookAlikeHits),
  ].join('\n');
}

export function record(file: string, line: string, failures: string, command: string, tol: Tolerances): void {
  const cpu = os.cpus()[0]?.model ?? '?';
  const head = fs.existsSync(file)
    ? ''
    : [
        '# Reliability: the churn soak',
        '',
        'Each run of `npm run soak` appends its summary line here (bench/soak/, judged by an oracle written',
        'independently of src/). Wrong kills, misses, unexpected daemon deaths and look-alikes hit must all be 0.',
        '',
        '',
      ].join('\n');
  const entry = [
    `## ${new Date().toISOString()}`,
    '',
    `- command: \`${command}\``,
    `- machine: ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${os.release()}, Node ${process.version}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} at the end`,
    `- tolerances (ms): ${Object.entries(tol)
      .map(([k, x]) => `${k} ${x}`)
      .join(', ')}`,
    '',
    '```',
    line,
    ...(failures ? [failures] : []),
    '```',
    '',
  ].join('\n');
  fs.appendFileSync(file, head + entry);
}
