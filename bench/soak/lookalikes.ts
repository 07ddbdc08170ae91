// Processes that look like sessions and are not (README, Security: "What it signals"), run as the user
// the soak revokes most: a plain process, a process named mosh-server that holds no pty, and a tmux
// server (it holds pty masters, but no UDP socket). None may ever be signalled or named in the log.
import fs from 'node:fs';
import path from 'node:path';
import { childrenOf, runAs, sleep, spawnAs, startTimeOf, type Background } from '../../test/e2e/harness.js';
import type { Timeline } from './timeline.js';

export const LOOK_ALIKE_USER = 'mw-test-mallory';
const TMUX_SOCKET = `mw-soak-look-${process.pid}`;

/** The user's own process below su (su's child, or its child when the shell did not exec). */
async function userProcess(bg: Background, comm: string): Promise<number | null> {
  for (let i = 0; i < 100; i++) {
    for (const child of childrenOf(bg.pid)) {
      const seen = [child, ...childrenOf(child)];
      const hit = seen.find((p) => {
        try {
          return fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim() === comm;
        } catch {
          return false;
        }
      });
      if (hit) return hit;
    }
    await sleep(50);
  }
  return null;
}

export class LookAlikes {
  private readonly backgrounds: Background[] = [];

  constructor(
    private readonly t: Timeline,
    private readonly dir: string,
  ) {}

  private record(what: string, pid: number | null): void {
    const startTime = pid === null ? null : startTimeOf(pid);
    if (pid === null || startTime === null) throw new Error(`look-alike ${what} did not start`);
    this.t.lookAlikes.push({ what, user: LOOK_ALIKE_USER, pid, startTime, aliveAtEnd: null });
  }

  async start(): Promise<void> {
    const plain = await spawnAs(LOOK_ALIKE_USER, 'exec sleep 100000');
    this.backgrounds.push(plain);
    this.record('a plain process (sleep)', await userProcess(plain, 'sleep'));

    // /bin/sleep copied as mosh-server: the name without the pty (or the UDP socket).
    const bin = path.join(this.dir, 'bin');
    fs.mkdirSync(bin, { mode: 0o755 });
    fs.chmodSync(this.dir, 0o755); // its own directory: the user must reach bin/
    fs.copyFileSync('/bin/sleep', path.join(bin, 'mosh-server'));
    fs.chmodSync(path.join(bin, 'mosh-server'), 0o755);
    const named = await spawnAs(LOOK_ALIKE_USER, `exec ${path.join(bin, 'mosh-server')} 100000`);
    this.backgrounds.push(named);
    this.record('a process named mosh-server without a pty', await userProcess(named, 'mosh-server'));

    const tmux = await runAs(
      LOOK_ALIKE_USER,
      `tmux -L ${TMUX_SOCKET} new-session -d sleep 100000 && tmux -L ${TMUX_SOCKET} display -p '#{pid}'`,
    );
    const pid = Number(tmux.stdout.trim().split('\n').at(-1));
    this.record('a tmux server (pty masters, no UDP)', Number.isInteger(pid) && pid > 0 ? pid : null);
  }

  /** Alive to the end with the same start time? */
  check(): void {
    for (const a of this.t.lookAlikes) a.aliveAtEnd = startTimeOf(a.pid) === a.startTime;
  }

  async stop(): Promise<void> {
    await runAs(LOOK_ALIKE_USER, `tmux -L ${TMUX_SOCKET} kill-server`).catch(() => undefined);
    await Promise.all(this.backgrounds.map((b) => b.stop()));
  }
}
