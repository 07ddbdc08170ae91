// Processes that hold a pty master whose child leads the pty, as a benchmark needs them: look-alike
// sessions for the flood (named mosh-server, as a test user) and tmux/script-like holders for discovery
// (another name, no UDP). One python3 process forks them all (test/e2e/lookalikes.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOOKALIKES_PY } from '../test/e2e/lookalikes.js';
import { atExit } from './spawn.js';

/** How many more ptys this machine has room for (kernel.pty.max minus those in use), with a margin. */
export function ptyRoom(): number {
  const read = (f: string) => Number(fs.readFileSync(f, 'utf8'));
  return read('/proc/sys/kernel/pty/max') - read('/proc/sys/kernel/pty/nr') - 200;
}

export interface PtyHolders {
  count: number;
  /** Ends them all: SIGKILL to the generator's process group (the holders), whose ptys' leaders then get SIGHUP. */
  stop(): Promise<void>;
}

/** Starts `n` holders called `name`, as `user` (setpriv) or as this process's user; resolves once all exist. */
export async function startPtyHolders(n: number, name: string, user: string | null): Promise<PtyHolders> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-bench-pty-'));
  const script = path.join(dir, 'holders.py');
  fs.writeFileSync(script, LOOKALIKES_PY, { mode: 0o644 });
  fs.chmodSync(dir, 0o755);
  // The system's python3 (root's PATH may lead to a per-user install the test user cannot run).
  const argv = ['/usr/bin/python3', script, String(n), name];
  const cmd = user ? ['setpriv', '--reuid', user, '--regid', user, '--init-groups', ...argv] : argv;
  const child: ChildProcess = spawn(cmd[0]!, cmd.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  // The group is ours while its leader (our child) is unreaped; the holders are in it.
  const killGroup = () => {
    try {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  };
  const unregister = atExit(killGroup);
  const until = Date.now() + 300_000;
  while (!out.includes('ready')) {
    if (child.exitCode !== null || Date.now() > until) {
      killGroup();
      throw new Error(`the pty holders did not start (exit ${child.exitCode})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    count: n,
    async stop() {
      const exited = new Promise<void>((r) =>
        child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r()),
      );
      killGroup();
      unregister();
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
