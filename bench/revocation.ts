// Revocation latency on real sessions, with the real daemon:
//  - append → SIGTERM for 1, 50 and 200 live mosh-server sessions of the revoked user;
//  - a revoked user's new session: its pty appearing → SIGTERM.
//
// How SIGTERM is observed: the daemon runs at log level debug and writes a `session.signal` line right
// after kill(2) returned for each session (a signal is delivered to the target's pending set inside
// kill(2)). Its `time` has millisecond precision, as does the timestamp taken just before the append's
// write(2), and the pty's creation (its ctime, found through this process's own inotify watch on /dev/pts). Each session's exit
// is then awaited, so a SIGTERM logged but not acted on would show as a failure, not a fast number.
import fs from 'node:fs';
import os from 'node:os';
import { percentile } from './measure.js';
import { Daemon, daemonFiles, ensureUser, launchPid, startTicks, waitGone, type Line } from './real.js';

const USER = 'mw-test-alice';
const PORT_BASE = 62000; // a range of our own, away from the e2e tests' 61000-61999

export interface RevocationBench {
  /** floorMs: the same number of sessions ended by this process itself (identity check + kill(2) each, no
   * daemon, no file, no closing line): the floor the daemon's numbers are compared with. */
  appendRuns: { sessions: number; trials: number; latenciesMs: number[]; floorMs: number[]; leftAlive: number }[];
  newSession: { trials: number; latenciesMs: number[]; leftAlive: number };
}

export async function benchRevocation(log: (s: string) => void, quick: boolean): Promise<RevocationBench> {
  ensureUser(USER);
  // A long scan interval: what is measured is the watch-driven path, not a scan that happened to come.
  const { dir, file, config } = daemonFiles('mw-bench-rev-', '10m');
  const d = new Daemon(config);
  await d.waitFor((l) => l.event === 'daemon.start', 10_000);
  if (process.env.REVBENCH_NICE) os.setPriority(d.pid, Number(process.env.REVBENCH_NICE));
  let port = PORT_BASE;
  const result: RevocationBench = { appendRuns: [], newSession: { trials: 0, latenciesMs: [], leftAlive: 0 } };
  const plan = quick
    ? [
        { n: 1, trials: 3 },
        { n: 10, trials: 1 },
      ]
    : process.env.REVBENCH_ONLY === '200'
      ? [{ n: 200, trials: 2 }]
      : [
          { n: 1, trials: 20 },
          { n: 50, trials: 3 },
          { n: 200, trials: 2 },
        ];
  try {
    for (const { n, trials } of plan) {
      const run = { sessions: n, trials, latenciesMs: [] as number[], floorMs: [] as number[], leftAlive: 0 };
      for (let t = 0; t < trials; t++) {
        const pids: number[] = [];
        for (let i = 0; i < n; i++) pids.push(launchPid(USER, port++));
        await d.waitStarted(pids, 20_000);
        await new Promise((r) => setTimeout(r, 200)); // let the daemon go quiet
        const mark = d.lines.length;
        const t0 = Date.now(); // just before the write
        fs.appendFileSync(file, `${USER}\n`);
        run.latenciesMs.push(...(await d.sigtermLatencies(pids, t0, mark)));
        if (process.env.REVBENCH_DEBUG) {
          for (const l of d.lines.slice(mark))
            if (l.event !== 'session.signal' && l.event !== 'session.terminate' && l.event !== 'session.end')
              console.log(l.event, Date.parse(l.time!) - t0);
          const terms = d.lines
            .slice(mark)
            .filter((l) => l.event === 'session.terminate')
            .map((l) => Date.parse(l.time!) - t0);
          const sigs = d.lines
            .slice(mark)
            .filter((l) => l.event === 'session.signal')
            .map((l) => Date.parse(l.at ?? l.time!) - t0);
          console.log('terminate lines', terms[0], terms.at(-1), 'signals', sigs[0], sigs.at(-1));
        }
        run.leftAlive += (await waitGone(pids, 10_000)).length;
        // Lift it again for the next trial (rewrite: unrevoke's own path is tested elsewhere).
        fs.writeFileSync(file, '');
        await d.waitFor((l) => l.event === 'revocation.load' && l.entries === 0, 5_000, mark);
      }
      // The floor: the same number of sessions, signalled by this process directly (the daemon watches,
      // but nothing revokes them, so it stays out of the way apart from logging their start and end).
      const pids: number[] = [];
      for (let i = 0; i < n; i++) pids.push(launchPid(USER, port++));
      await d.waitStarted(pids, 20_000);
      await new Promise((r) => setTimeout(r, 200));
      const ticks = pids.map(startTicks);
      const f0 = Date.now();
      pids.forEach((pid, i) => {
        if (startTicks(pid) === ticks[i]) process.kill(pid, 'SIGTERM');
        run.floorMs.push(Date.now() - f0);
      });
      run.leftAlive += (await waitGone(pids, 10_000)).length;
      result.appendRuns.push(run);
      const s = [...run.latenciesMs].sort((a, b) => a - b);
      log(
        `revocation: ${n} session(s) × ${trials}: append → SIGTERM p50 ${percentile(s, 50)} ms, p99 ${percentile(s, 99)} ms, max ${s.at(-1)} ms`,
      );
    }

    // New sessions of a revoked user: pty appears → SIGTERM.
    fs.writeFileSync(file, `${USER}\n`);
    await d.waitFor((l) => l.event === 'revocation.load' && l.entries === 1, 5_000);
    const created = new Map<string, number>();
    // The pty's ctime is set by the kernel when it is created: exact, whenever this callback gets to run.
    const watcher = fs.watch('/dev/pts', (event, name) => {
      if (event !== 'rename' || !name || created.has(name)) return;
      try {
        created.set(name, fs.statSync(`/dev/pts/${name}`).ctimeMs);
      } catch {
        // already gone again
      }
    });
    const trials = quick ? 3 : 20;
    for (let t = 0; t < trials; t++) {
      created.clear();
      const mark = d.lines.length;
      const pid = launchPid(USER, port++);
      const sig = await d.waitFor(
        (l) => l.event === 'session.signal' && l.pid === pid && l.signal === 'SIGTERM',
        10_000,
        mark,
      );
      const term = d.lines.slice(mark).find((l) => l.event === 'session.terminate' && l.pid === pid) as
        (Line & { tty?: string | null }) | undefined;
      const tty = term?.tty ?? null;
      const appearedAt = tty !== null ? created.get(tty.replace('pts/', '')) : Math.min(...created.values());
      if (appearedAt !== undefined && Number.isFinite(appearedAt))
        result.newSession.latenciesMs.push(Date.parse(sig.at ?? sig.time!) - appearedAt);
      result.newSession.leftAlive += (await waitGone([pid], 10_000)).length;
      result.newSession.trials++;
      await new Promise((r) => setTimeout(r, 100));
    }
    watcher.close();
    const s = [...result.newSession.latenciesMs].sort((a, b) => a - b);
    log(
      `revocation: new session pty → SIGTERM over ${s.length} trials: p50 ${percentile(s, 50)} ms, p99 ${percentile(s, 99)} ms`,
    );
  } finally {
    await d.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

/** The RESULTS.md section. */
export function renderRevocation(r: RevocationBench): string {
  const pct = (xs: number[], p: number) => {
    const v = percentile(
      [...xs].sort((a, b) => a - b),
      p,
    );
    return Number.isFinite(v) ? Number(v.toFixed(1)) : NaN;
  };
  const out = [
    '',
    '## Revocation latency (real sessions, real daemon)',
    '',
    'Sessions: real `mosh-server`s of the test user `mw-test-alice` (no client), started with `setpriv`. The daemon runs',
    'with `scan_interval: 10m`, so the watch on the revocation file, not a scan, is what is measured. The daemon',
    'runs at the priority it gives itself (nice -20 as root).',
    '',
    'How SIGTERM is observed: the daemon (log level debug) notes the time right after `kill(2)` returned for each',
    "session (`session.signal`, field `at`); the signal is in the target's pending set when `kill(2)` returns. The",
    "start is taken just before the append's `write(2)`; for a new session, the pty's creation time (its ctime,",
    'read through an inotify watch on /dev/pts). Millisecond resolution. Every session is then awaited: a session',
    'still alive 10 s later would be counted below, not hidden.',
    '',
    'Floor: the same number of sessions ended by the benchmark itself, in one loop of identity check + `kill(2)`,',
    'with no file, no daemon decision and no closing line; ratio = daemon ÷ floor.',
    '',
    '| Live sessions of the revoked user | trials | SIGTERMs | p50 ms | p99 ms | max ms | floor p50 / p99 ms | ratio p99 | target | result | still alive after 10 s |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|',
  ];
  for (const run of r.appendRuns) {
    const p99 = pct(run.latenciesMs, 99);
    const fp99 = pct(run.floorMs, 99);
    const target = run.sessions === 200 ? 'p99 < 50 ms' : '—';
    const result = run.sessions === 200 ? (p99 < 50 ? 'PASS' : '**MISS**') : '';
    out.push(
      `| ${run.sessions} | ${run.trials} | ${run.latenciesMs.length} | ${pct(run.latenciesMs, 50)} | ${p99} | ${Math.max(...run.latenciesMs)} | ${pct(run.floorMs, 50)} / ${fp99} | ${fp99 > 0 ? (p99 / fp99).toFixed(1) + '×' : '—'} | ${target} | ${result} | ${run.leftAlive} |`,
    );
  }
  const ns = r.newSession;
  const nsP99 = pct(ns.latenciesMs, 99);
  out.push(
    '',
    '| New session of a revoked user | trials | measured | p50 ms | p99 ms | max ms | target | result | still alive after 10 s |',
    '|---|---:|---:|---:|---:|---:|---|---|---:|',
    `| pty created → SIGTERM | ${ns.trials} | ${ns.latenciesMs.length} | ${pct(ns.latenciesMs, 50)} | ${nsP99} | ${Math.max(...ns.latenciesMs).toFixed(1)} | < 250 ms | ${nsP99 < 250 ? 'PASS' : '**MISS**'} | ${ns.leftAlive} |`,
    '',
    'A trial whose pty could not be stat\'ed before the session was gone is not in "measured".',
  );
  return out.join('\n') + '\n';
}
