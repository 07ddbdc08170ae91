// moshwarden run: the daemon in the foreground. Wires the host boundary to the loop, handles signals.
import os from 'node:os';
import { loadConfigFile } from '../config/load.js';
import { formatConfigError } from '../config/errors.js';
import type { Policy } from '../core/types.js';
import { Daemon } from '../daemon/daemon.js';
import { startSchedules } from '../host/cron.js';
import { createNss } from '../host/nss.js';
import { FileWatch, system, watchPtys } from '../host/system.js';
import { UTMP_PATH } from '../host/utmp.js';
import { RevocationStore } from '../revocation/store.js';
import { AuditFile } from '../log/audit.js';
import { createDaemonLogger, type Logger } from '../log/logger.js';
import { Metrics, writeTextfile } from '../metrics/metrics.js';
import { Discovery } from '../sessions/discover.js';
import { loadPolicyOrExit } from './config-path.js';
import { version } from './version.js';

/** inotify folds an unread event into an identical one; a second look shortly after catches a write that
 * landed while we were reading. */
const FOLLOW_UP_MS = 100;
/**
 * A config edit is applied once the file has been quiet this long: an editor that truncates and then
 * writes (or `cat > config.yaml`) shows an empty file for a moment, and an empty file is a valid config
 * (all defaults, no exemptions) that must never be applied by accident.
 */
const CONFIG_SETTLE_MS = 300;

/**
 * Ending 200 sessions at once makes 200 processes runnable while the SIGTERMs still go out; they take the
 * CPU from the daemon. Measured on 2 cores, from the first SIGTERM to the last: 185-465 ms at nice 0,
 * 60 ms at nice -10, 20-25 ms at nice -20 (CFS weights: one nice -10 task against 20 runnable nice-0
 * ones gets a third of a core; at -20, four fifths). A revocation must bite within milliseconds, and the
 * daemon sleeps otherwise (0.07 % of a core, bench/RESULTS.md), so it asks for nice -20 (root or
 * CAP_SYS_NICE; the systemd unit sets Nice= itself). Returns the niceness it runs at.
 */
const WANTED_NICE = -20;
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
  // The audit file and the metrics see every event line of level info and up (log/logger.ts taps).
  // AuditFile reports its problems from a microtask, by which time the logger exists.
  const audit = new AuditFile(policy.log.auditFile, (message) =>
    daemonLog.log.error({ event: 'audit.error', path: policy.log.auditFile }, message),
  );
  const metrics = new Metrics(version());
  const daemonLog = createDaemonLogger({ level: policy.log.level, taps: [audit, metrics] });
  const log = daemonLog.log;
  const textfile = textfileWriter(metrics, () => policy.metrics.textfile, log);
  log.info({ event: 'config.load', path: opts.configPath, errors: [], dry_run: policy.dryRun }, 'configuration loaded');

  const discovery = new Discovery({ nss: createNss() });
  // A changed list is acted on at once, not at the next scan (the daemon exists by the time it fires).
  const revocations = new RevocationStore(policy.revocationFile, {
    log,
    onChange: () => void daemon.request('revocation'),
  });
  const daemon = new Daemon(policy, {
    // Every pass re-checks the revocation file's identity too: a lost or coalesced watch event costs at
    // most one scan interval, never a revocation.
    scan: (full) => {
      fileWatch.ensure();
      configWatch.ensure();
      utmpWatch.ensure();
      revocations.refresh();
      return discovery.scan(full);
    },
    act: system,
    log,
    revocations: () => revocations.current(),
    setTimer: system.setTimer,
    onPass: (sessions, scanMs, now) => {
      metrics.scanned(sessions, scanMs, now);
      textfile.write();
    },
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
      (e) =>
        log.warn(
          { event: 'watch.error', path, err: e },
          'revocation file watch failed; the file is still checked every scan',
        ),
    );
  }

  const watcher = watchPtys(
    () => void daemon.request('pts'),
    (e) =>
      log.warn(
        { event: 'watch.error', path: '/dev/pts', err: e },
        'pty watcher failed; new sessions are found by the periodic scan',
      ),
  );

  // mosh flips its utmp record on attach and detach: look at once, so session.attach/detach are timely.
  const utmpWatch = new FileWatch(
    UTMP_PATH,
    () => void daemon.request('utmp'),
    () => {},
  );

  let cronTasks = startSchedules(policy.schedules, (s) => void daemon.sweep(s), log);

  /**
   * Applies the config file. `why` 'signal' (SIGHUP) always logs the outcome; 'watch' (the file changed)
   * stays quiet when nothing changed, and reports one bad version of the file once.
   */
  let lastBad: string | null = null;
  const reload = async (why: 'signal' | 'watch') => {
    const res = await loadConfigFile(opts.configPath);
    if (!res.ok) {
      const errors = res.errors.map(formatConfigError);
      if (why === 'watch' && lastBad === errors.join('\n')) return;
      lastBad = errors.join('\n');
      log.error(
        { event: 'config.error', path: opts.configPath, errors, trigger: why },
        'invalid configuration; keeping the running one',
      );
      return;
    }
    lastBad = null;
    const next = withFlags(res.policy);
    if (why === 'watch' && JSON.stringify(next) === JSON.stringify(policy)) return;
    const schedulesChanged = JSON.stringify(next.schedules) !== JSON.stringify(policy.schedules);
    policy = next;
    daemonLog.setLevel(policy.log.level);
    audit.setPath(policy.log.auditFile);
    daemon.setPolicy(policy);
    if (schedulesChanged) {
      cronTasks.stop();
      cronTasks = startSchedules(policy.schedules, (s) => void daemon.sweep(s), log);
    }
    if (policy.revocationFile !== revocations.getPath()) {
      revocations.setPath(policy.revocationFile);
      fileWatch.close();
      fileWatch = watchRevocations(policy.revocationFile);
    }
    log.info(
      { event: 'config.load', path: opts.configPath, errors: [], dry_run: policy.dryRun, trigger: why },
      'configuration reloaded',
    );
    // Applies to live sessions at once: every session is decided again under the new policy.
    await daemon.request('reload');
  };
  let settle: NodeJS.Timeout | null = null;
  const configWatch = new FileWatch(
    opts.configPath,
    () => {
      if (settle) clearTimeout(settle);
      settle = setTimeout(() => void reload('watch'), CONFIG_SETTLE_MS);
    },
    (e) =>
      log.warn(
        { event: 'watch.error', path: opts.configPath, err: e },
        'config file watch failed; SIGHUP still reloads',
      ),
  );

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      // Leave every session alone: in-flight escalations are abandoned with the process.
      log.info({ event: 'daemon.stop', signal }, 'stopping; sessions are left alone');
      daemon.stop();
      fileWatch.close();
      configWatch.close();
      utmpWatch.close();
      cronTasks.stop();
      if (settle) clearTimeout(settle);
      audit.close();
      void watcher.close().finally(resolve);
      // Whatever may still hold the event loop (a getent child, a grace-period timer) must not keep a
      // stopping daemon alive: exit 0 within 2 s regardless. unref: a clean stop exits sooner by itself.
      setTimeout(() => process.exit(0), 2_000).unref();
    };
    log.info(
      {
        event: 'daemon.start',
        pid: process.pid,
        dry_run: policy.dryRun,
        scan_interval_ms: policy.scanIntervalMs,
        nice: raisePriority(),
      },
      'moshwarden running',
    );
    void daemon.start();
    signals.ready({
      SIGHUP: () => {
        audit.reopen(); // logrotate moved the file away (CONTRACT.md: SIGHUP reopens log files)
        void reload('signal');
      },
      SIGTERM: () => stop('SIGTERM'),
      SIGINT: () => stop('SIGINT'),
    });
  });
}

/**
 * Rewrites the metrics textfile after a pass; passes can come in bursts, so a write in progress only
 * marks that another is wanted. A failure is logged once per distinct error, not after every pass.
 */
function textfileWriter(metrics: Metrics, path: () => string | null, log: Logger): { write(): void } {
  let busy = false;
  let again = false;
  let lastError: string | null = null;
  const write = async (): Promise<void> => {
    const file = path();
    if (file === null) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        const text = await metrics.render();
        try {
          writeTextfile(file, text);
          lastError = null;
        } catch (e) {
          const message = `cannot write the metrics file ${file}: ${(e as Error).message}`;
          if (message !== lastError) log.error({ event: 'metrics.error', path: file }, message);
          lastError = message;
        }
      } while (again);
    } finally {
      busy = false;
    }
  };
  return { write: () => void write() };
}
