// Runs the planned sessions: real mosh-servers of the test users (launched with `su -`, as the e2e
// harness does), some with a real mosh-client in tmux; idle set back, keys typed, some stopped
// (SIGSTOP: they ignore SIGTERM, so the daemon's SIGKILL is needed); ended by the soak itself at the end
// of their planned life. Every signal goes through the harness's identity-checked signalIfSame.
import fs from 'node:fs';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import {
  attachClient,
  childrenOf,
  isAlive,
  launchSession,
  signalIfSame,
  sleep,
  type Client,
  type MoshSession,
} from '../../test/e2e/harness.js';
import type { PlannedSession } from './plan.js';
import type { SessionRecord, Timeline } from './timeline.js';

/** The brief's bound on live sessions (a 2-core machine, every one a real mosh-server). */
export const MAX_ALIVE = 18;

export const sleepUntil = (at: number) => sleep(Math.max(0, at - Date.now()));

const ids = new Map<string, { uid: number; groups: string[] }>();
function identity(user: string): { uid: number; groups: string[] } {
  let id = ids.get(user);
  if (!id) {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
    const groups = execFileSync('id', ['-Gn', user], { encoding: 'utf8' }).trim().split(/\s+/);
    ids.set(user, (id = { uid, groups }));
  }
  return id;
}

/** The forkpty child's pty (its stdin), as root. */
async function ptyOf(pid: number, startTime: string): Promise<{ childPid: number; tty: string } | null> {
  for (let i = 0; i < 100 && isAlive(pid, startTime); i++) {
    for (const child of childrenOf(pid)) {
      try {
        const tty = fs.readlinkSync(`/proc/${child}/fd/0`);
        if (tty.startsWith('/dev/pts/')) return { childPid: child, tty: tty.slice(5) };
      } catch {
        // not yet, or gone
      }
    }
    await sleep(50);
  }
  return null;
}

export class SessionRunner {
  skipped = 0;
  readonly failures: string[] = [];
  private readonly hostname = os.hostname();

  constructor(private readonly t: Timeline) {}

  liveCount(): number {
    return this.t.sessions.filter((s) => s.goneAt === null).length;
  }

  /** Polled liveness (pid + start time): when each session was last seen and seen gone. */
  poll(): void {
    const now = Date.now();
    for (const s of this.t.sessions) {
      if (s.goneAt !== null) continue;
      if (isAlive(s.pid, s.startTime)) s.lastAlive = now;
      else s.goneAt = now;
    }
  }

  /** Launches a session now and records it; null if it could not be started or vanished at once. */
  async launch(
    p: Pick<PlannedSession, 'idx' | 'user' | 'origin' | 'client'>,
  ): Promise<{ rec: SessionRecord; ms: MoshSession | null } | null> {
    const launchedAt = Date.now();
    let launched;
    try {
      launched = await launchSession(p.user, { sshOrigin: p.origin });
    } catch (e) {
      this.failures.push(`launch ${p.user}: ${String(e).slice(0, 200)}`);
      return null;
    }
    const launchedBy = Date.now();
    if (launched.startTime === null) {
      this.skipped++; // gone before its identity could be read (a revoked user's session, ended on sight)
      return null;
    }
    const rec: SessionRecord = {
      idx: p.idx,
      user: p.user,
      ...identity(p.user),
      origin: p.origin,
      client: p.client,
      pid: launched.pid,
      startTime: launched.startTime,
      id: `${this.hostname}/${launched.pid}-${launched.startTime}`,
      launchedAt,
      launchedBy,
      setbacks: [],
      typings: [],
      stoppedAt: null,
      endedBySoakAt: null,
      lastAlive: launchedBy,
      goneAt: null,
    };
    this.t.sessions.push(rec);
    const pty = await ptyOf(launched.pid, launched.startTime);
    if (!pty) return { rec, ms: null };
    const ms: MoshSession = {
      ...launched,
      startTime: launched.startTime,
      childPid: pty.childPid,
      tty: pty.tty,
      ptyPath: `/dev/${pty.tty}`,
    };
    return { rec, ms };
  }

  /** Sets the pty's atime back to a whole second (as the kernel writes it), keeping its mtime. */
  setback(rec: SessionRecord, ms: MoshSession, seconds: number): void {
    const at0 = Date.now();
    const atime = (Math.floor(at0 / 1_000) - seconds) * 1_000;
    try {
      const st = fs.statSync(ms.ptyPath);
      fs.utimesSync(ms.ptyPath, atime / 1_000, st.mtimeMs / 1_000);
    } catch {
      return; // the session is gone
    }
    rec.setbacks.push({ at0, at1: Date.now(), atime });
  }

  stop(rec: SessionRecord): void {
    const at = Date.now();
    if (signalIfSame(rec.pid, rec.startTime, 'SIGSTOP')) rec.stoppedAt = at;
  }

  /** Ends it as a user would: the client quits (tmux killed), else SIGTERM (SIGKILL if stopped). */
  async end(rec: SessionRecord, client: Client | null): Promise<void> {
    if (!isAlive(rec.pid, rec.startTime)) {
      await client?.kill(); // its tmux (with the dead client's pane) would otherwise live to the end
      return;
    }
    rec.endedBySoakAt = Date.now();
    if (client) {
      await client.kill();
      for (let i = 0; i < 50 && isAlive(rec.pid, rec.startTime); i++) await sleep(100);
    }
    signalIfSame(rec.pid, rec.startTime, rec.stoppedAt !== null ? 'SIGKILL' : 'SIGTERM');
  }

  async run(p: PlannedSession, start: number, stopping: () => boolean): Promise<void> {
    await sleepUntil(start + p.at);
    if (stopping() || this.liveCount() >= MAX_ALIVE) {
      this.skipped++;
      return;
    }
    const got = await this.launch(p);
    if (!got) return;
    const { rec, ms } = got;
    const born = rec.launchedBy;
    let client: Client | null = null;
    if (p.client && ms) {
      try {
        client = await attachClient(ms);
      } catch {
        client = null; // ended meanwhile (revoked on sight): it is judged all the same
      }
    }
    rec.client = client !== null;
    for (const op of p.ops) {
      await sleepUntil(born + op.at);
      if (!isAlive(rec.pid, rec.startTime) || !ms) break;
      if (op.op === 'setback') this.setback(rec, ms, op.seconds);
      else if (op.op === 'stop' && !client) this.stop(rec);
      else if (op.op === 'type' && client && !client.clientExited()) {
        const at0 = Date.now();
        try {
          client.sendKeys(':');
          rec.typings.push({ at0, at1: Date.now() });
        } catch {
          // tmux gone
        }
      }
    }
    // Without a client mosh-server leaves by itself 60 s after its start: end it before (plan.ts).
    await sleepUntil(born + (client ? p.lifetimeMs : Math.min(p.lifetimeMs, 50_000)));
    await this.end(rec, client);
  }
}
