// One soak run: set up (users, the service user, a root-only directory with the config and the
// revocation file), start the daemon as the unit runs it, play the plan, then judge and report.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanupAll, e2eSkipReason, ensureTestUsers, repoRoot, runCli, sleep } from '../../test/e2e/harness.js';
import { ensureServiceUser, SERVICE_USER } from '../../test/e2e/privileges.js';
import { SoakConfig, GRACE_S, WARN_BEFORE_S, type Plant } from './config.js';
import { DaemonUnderSoak } from './daemon.js';
import type { Tolerances } from './facts.js';
import { LookAlikes } from './lookalikes.js';
import { makePlan, type DaemonOp } from './plan.js';
import { details, failed, judge, record, summary } from './report.js';
import { Revoker } from './revocations.js';
import { SessionRunner, sleepUntil } from './sessions.js';
import { emptyTimeline, type Timeline } from './timeline.js';

export interface SoakOptions {
  seconds: number;
  seed: number;
  plant: Plant;
  record: boolean;
  tolerances: Tolerances;
  command: string;
}

/** Does this build's revocation parser know `session:`? (Another branch adds it; enabled once it does.) */
async function knowsSessionTarget(dir: string): Promise<boolean> {
  const cfg = path.join(dir, 'probe.yaml');
  fs.writeFileSync(cfg, `revocation_file: ${path.join(dir, 'probe.revoked')}\n`, { mode: 0o600 });
  const r = await runCli(['revoke', `session:${os.hostname()}/1-1`, '--config', cfg]);
  return r.code === 0;
}

/** SIGTERM the daemon while a session is inside its grace period, then start it again. */
async function restartMidGrace(
  t: Timeline,
  d: DaemonUnderSoak,
  sessions: SessionRunner,
  stops: number[],
): Promise<void> {
  const got = await sessions.launch({ idx: -1, user: 'mw-test-bob', origin: '192.0.2.10', client: false });
  if (!got?.ms) return;
  const { rec, ms } = got;
  sessions.stop(rec); // ignores SIGTERM: the daemon's SIGKILL would be due `grace` later
  sessions.setback(rec, ms, 600);
  const from = t.lines.length;
  for (let i = 0; i < 300; i++) {
    const hit = t.lines.slice(from).some((l) => l.e.event === 'session.terminate' && l.e.pid === rec.pid);
    if (hit) break;
    await sleep(50);
  }
  await sleep(GRACE_S * 500); // mid-grace
  stops.push(await d.stop());
  await sleep(1_000);
  d.start();
  await d.up();
  void sleep(45_000).then(() => sessions.end(rec, null)); // SIGKILL if the daemon did not
}

async function daemonOp(
  op: DaemonOp,
  t: Timeline,
  d: DaemonUnderSoak,
  cfg: SoakConfig,
  s: SessionRunner,
  stops: number[],
) {
  if (op.op === 'sighup') {
    const at0 = Date.now();
    if (d.signal('SIGHUP')) t.sighups.push({ at0, at1: Date.now() });
  } else if (op.op === 'config') cfg.write(t, op.idleTimeoutS, op.how);
  else await restartMidGrace(t, d, s, stops);
}

export async function runSoak(o: SoakOptions): Promise<number> {
  const skip = e2eSkipReason();
  if (skip) throw new Error(`cannot run here: ${skip}`);
  ensureTestUsers();
  ensureServiceUser();
  const plan = makePlan(o.seed, o.seconds);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-soak-')); // root's, 0700
  const binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-soak-bin-'));
  fs.mkdirSync(path.join(dir, 'audit'));
  execFileSync('chown', [SERVICE_USER, path.join(dir, 'audit')]); // like the unit's LogsDirectory=
  const cfg = new SoakConfig(
    path.join(dir, 'config.yaml'),
    path.join(dir, 'revoked'),
    path.join(dir, 'audit', 'audit.log'),
    o.plant,
  );
  fs.writeFileSync(cfg.revocationFile, '', { mode: 0o600 });
  const sessionTargets = await knowsSessionTarget(dir);

  const t = emptyTimeline(Date.now(), WARN_BEFORE_S, GRACE_S);
  cfg.write(t, plan.idleTimeoutS, 'start');
  const d = new DaemonUnderSoak(t, cfg.path);
  const sessions = new SessionRunner(t);
  const revoker = new Revoker(t, cfg.revocationFile, cfg.cliPath, sessionTargets);
  const looks = new LookAlikes(t, binDir);
  const stops: number[] = [];
  let stopping = false;
  let code = 1;
  try {
    d.start();
    await d.up();
    await looks.start();
    t.start = Date.now();
    console.log(
      `soak: ${plan.sessions.length} sessions, ${plan.revocations.length} revocations, ${plan.daemonOps.length} daemon ops planned; session: target ${sessionTargets ? 'on' : 'not supported by this build (uid: instead)'}`,
    );
    const poll = setInterval(() => sessions.poll(), 200);
    const sample = setInterval(() => d.sample(), 5_000);
    // A daemon that dies by itself is an unexpected death (judged); start another so the soak goes on.
    const watch = setInterval(() => {
      const cur = d.current();
      if (cur && cur.exitedAt !== null && cur.termAt === null && !stopping) d.start();
    }, 500);
    let restarting = Promise.resolve();
    const tasks = [
      ...plan.sessions.map((p) => sessions.run(p, t.start, () => stopping)),
      ...plan.revocations.map((p) => revoker.run(p, t.start, () => stopping)),
      ...plan.daemonOps.map(async (op) => {
        await sleepUntil(t.start + op.at);
        const run = restarting.then(() => daemonOp(op, t, d, cfg, sessions, stops));
        restarting = run.catch(() => undefined); // one failed op must not cancel the ones after it
        await run;
      }),
    ].map((p) => p.catch((e: unknown) => sessions.failures.push(String(e).slice(0, 300))));
    await sleepUntil(t.start + o.seconds * 1_000);
    stopping = true;
    await Promise.race([Promise.all(tasks), sleep(60_000)]);
    t.end = Date.now();
    clearInterval(watch);
    d.sample();
    sessions.poll();
    clearInterval(poll);
    clearInterval(sample);
    looks.check();
    stops.push(await d.stop());

    const v = judge(t, o.tolerances);
    const line = summary(t, v, d.samples, o.seed, stops);
    console.log(line);
    const more = details(v);
    if (more) console.log(more);
    const notes = [...sessions.failures, ...revoker.failures];
    if (notes.length)
      console.log(`soak: ${notes.length} action(s) failed (not judged):\n  ${notes.slice(0, 20).join('\n  ')}`);
    const dump = path.join(os.tmpdir(), `mw-soak-${o.seed}.json`);
    fs.writeFileSync(dump, JSON.stringify({ plan, timeline: t, samples: d.samples }, null, 1));
    console.log(`soak: timeline and log in ${dump}`);
    if (o.record) record(path.join(repoRoot(), 'bench', 'RELIABILITY.md'), line, more, o.command, o.tolerances);
    code = failed(v) ? 1 : 0;
  } finally {
    stopping = true;
    await d.stop();
    await looks.stop().catch(() => undefined);
    await cleanupAll();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(binDir, { recursive: true, force: true });
  }
  return code;
}
