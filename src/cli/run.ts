// moshwarden run: the daemon in the foreground. Wires the host boundary to the loop, handles signals.
import os from 'node:os';
import { loadConfigFile } from '../config/load.js';
import { formatConfigError } from '../config/errors.js';
import type { Policy } from '../core/types.js';
import { Daemon } from '../daemon/daemon.js';
import { createNss } from '../host/nss.js';
import { FileWatch, system, watchPtys } from '../host/system.js';
import { RevocationStore } from '../revocation/store.js';
import { createLogger } from '../log/logger.js';
import { Discovery } from '../sessions/discover.js';
import { loadPolicyOrExit } from './config-path.js';

/** inotify folds an unread event into an identical one; a second look shortly after catches a write that
 * landed while we were reading. */
const FOLLOW_UP_MS = 100;

/**
 * Ending 200 sessions at once makes 200 processes runnable while the SIGTERMs still go out; at normal
 * priority they took the CPU from the daemon (measured on 2 cores: the last SIGTERM 185-465 ms after the
 * first, 18 ms at nice -10). A revocation must bite within milliseconds, so the daemon asks for nice -10
 * (root or CAP_SYS_NICE; the systemd unit sets Nice= itself). Returns the niceness it runs at.
 */
const WANTED_NICE = -10;
function raisePriority(): number {
  try {
    if (os.getPriority() > WANTED_NICE) os.setPriority(WANTED_NICE);
  } catch {
    // not permitted: run at the priority we were given
  }
  return os.getPriority();
}

export interface RunOptions {
  configPath: string;
  dryRun: boolean;
}

/**
 * Signals that arrive while the daemon is still starting: SIGHUP's default action would kill it (a
 * reload right after a start is common), so the handlers go in first and replay the signal once ready.
 */
function earlySignals(): { ready(handlers: Record<'SIGHUP' | 'SIGTERM' | 'SIGINT', () => void>): void } {
  const pending: ('SIGHUP' | 'SIGTERM' | 'SIGINT')[] = [];
  let handlers: Record<'SIGHUP' | 'SIGTERM' | 'SIGINT', () => void> | null = null;
  process.removeAllListeners('SIGHUP'); // bin/moshwarden.js ignored SIGHUP while loading
  for (const sig of ['SIGHUP', 'SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => (handlers ? handlers[sig]() : pending.push(sig)));
  }
  return {
    ready(h) {
      handlers = h;
      for (const sig of pending.splice(0)) h[sig]();
    },
  };
}

export async function runDaemon(opts: RunOptions): Promise<void> {
  const signals = earlySignals();
  const withFlags = (p: Policy): Policy => (opts.dryRun && !p.dryRun ? Object.freeze({ ...p, dryRun: true }) : p);
  let policy = withFlags(await loadPolicyOrExit(opts.configPath)); // invalid: exit 2 before anything starts
  const log = createLogger({ level: policy.log.level });
  log.info({ event: 'config.load', path: opts.configPath, errors: [], dry_run: policy.dryRun }, 'configuration loaded');

  const discovery = new Discovery({ nss: createNss() });
  // A changed list is acted on at once, not at the next scan (the daemon exists by the time it fires).
  const revocations = new RevocationStore(policy.revocationFile, { log, onChange: () => void daemon.request('revocation') });
  const daemon = new Daemon(policy, {
    // Every pass re-checks the revocation file's identity too: a lost or coalesced watch event costs at
    // most one scan interval, never a revocation.
    scan: (full) => {
      fileWatch.ensure();
      revocations.refresh();
      return discovery.scan(full);
    },
    act: system,
    log,
    revocations: () => revocations.current(),
    setTimer: system.setTimer,
  });

  revocations.refresh(true);
  let fileWatch = watchRevocations(revocations.getPath());
  function watchRevocations(path: string): FileWatch {
    return new FileWatch(
      path,
      () => {
        revocations.refresh();
        setTimeout(() => revocations.refresh(), FOLLOW_UP_MS);
      },
      (e) => log.warn({ event: 'watch.error', path, err: e }, 'revocation file watch failed; the file is still checked every scan'),
    );
  }

  const watcher = watchPtys(
    () => void daemon.request('pts'),
    (e) => log.warn({ event: 'watch.error', path: '/dev/pts', err: e }, 'pty watcher failed; new sessions are found by the periodic scan'),
  );

  const reload = async () => {
    const res = await loadConfigFile(opts.configPath);
    if (!res.ok) {
      log.error({ event: 'config.error', path: opts.configPath, errors: res.errors.map(formatConfigError) }, 'invalid configuration; keeping the running one');
      return;
    }
    policy = withFlags(res.policy);
    log.level = policy.log.level;
    daemon.setPolicy(policy);
    if (policy.revocationFile !== revocations.getPath()) {
      revocations.setPath(policy.revocationFile);
      fileWatch.close();
      fileWatch = watchRevocations(policy.revocationFile);
    }
    log.info({ event: 'config.load', path: opts.configPath, errors: [], dry_run: policy.dryRun }, 'configuration reloaded');
    await daemon.request('reload');
  };

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      // Leave every session alone: in-flight escalations are abandoned with the process.
      log.info({ event: 'daemon.stop', signal }, 'stopping; sessions are left alone');
      daemon.stop();
      fileWatch.close();
      void watcher.close().finally(resolve);
    };
    log.info({ event: 'daemon.start', pid: process.pid, dry_run: policy.dryRun, scan_interval_ms: policy.scanIntervalMs, nice: raisePriority() }, 'moshwarden running');
    void daemon.start();
    signals.ready({ SIGHUP: () => void reload(), SIGTERM: () => stop('SIGTERM'), SIGINT: () => stop('SIGINT') });
  });
}
