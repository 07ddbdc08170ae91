// `moshwarden run`: the daemon's life — start, reload on a config change or SIGHUP, stop on SIGTERM.
import { formatConfigError } from '../config/errors.js';
import { loadConfigFile } from '../config/load.js';
import type { Policy } from '../core/types.js';
import { startSchedules } from '../host/cron.js';
import { clock } from '../host/clock.js';
import type { Writer } from '../host/output.js';
import { raisePriority, self } from '../host/process.js';
import { installTestClock } from '../host/test-clock.js';
import { FileWatch } from '../host/watch.js';
import { planReload, reportRejection, withFlags, type ReloadTrigger } from './reload.js';
import { earlySignals } from './signals.js';
import { wire } from './wire.js';

export interface ServiceOptions {
  configPath: string;
  dryRun: boolean;
}

/**
 * A config edit is applied once the file has been quiet this long: an editor that truncates and then
 * writes (or `cat > config.yaml`) shows an empty file for a moment, and an empty file is a valid config
 * (all defaults, no exemptions) that must never be applied by accident.
 */
const CONFIG_SETTLE_MS = 300;

/**
 * Ending 200 sessions at once makes 200 processes runnable while the SIGTERMs still go out; they take the
 * CPU from the daemon. Measured on 2 cores, from the first SIGTERM to the last: 185-465 ms at nice 0,
 * 60 ms at nice -10, 20-25 ms at nice -20. The daemon sleeps otherwise (docs/architecture.md), so it
 * asks for nice -20 (root or CAP_SYS_NICE; the systemd unit sets Nice= itself).
 */
const WANTED_NICE = -20;

/** Runs the daemon until SIGTERM or SIGINT. `initial` is the already validated config. */
export async function runService(opts: ServiceOptions, initial: Policy, stdout: Writer): Promise<void> {
  const signals = earlySignals(); // first: a SIGHUP during start-up must not kill the daemon
  let policy = withFlags(initial, opts);
  const parts = wire(policy, () => policy, stdout);
  const { log, daemon } = parts;
  const testClock = installTestClock((why) =>
    log.error({ event: 'daemon.problem', what: 'test_clock' }, `the test clock offset is not applied: ${why}`),
  );
  log.info({ event: 'config.load', path: opts.configPath, errors: [], dry_run: policy.dryRun }, 'configuration loaded');

  let cron = parts.cron;
  let lastBad: string | null = null;
  const reload = async (trigger: ReloadTrigger): Promise<void> => {
    const res = await loadConfigFile(opts.configPath);
    if (!res.ok) {
      const errors = res.errors.map(formatConfigError);
      const judged = reportRejection(lastBad, errors, trigger);
      lastBad = judged.lastBad;
      if (judged.report) {
        log.error(
          { event: 'config.error', path: opts.configPath, errors, trigger },
          'invalid configuration; keeping the running one',
        );
      }
      return;
    }
    lastBad = null;
    const next = withFlags(res.policy, opts);
    const plan = planReload(policy, next, trigger);
    if (!plan.apply) return;
    policy = next;
    if (plan.logLevel !== null) parts.logger.setLevel(plan.logLevel);
    if (plan.auditFile !== undefined) parts.audit.setPath(plan.auditFile);
    daemon.setPolicy(policy);
    if (plan.schedules) {
      cron.stop();
      cron = startSchedules(policy.schedules, (s) => void daemon.sweep(s), log);
    }
    if (plan.revocationFile !== null) parts.fileSource.setPath(plan.revocationFile);
    if (plan.fleet) parts.applyFleet(policy);
    log.info(
      { event: 'config.load', path: opts.configPath, errors: [], dry_run: policy.dryRun, trigger },
      'configuration reloaded',
    );
    await daemon.request('reload'); // every session is decided again under the new policy
  };

  let settle: { cancel(): void } | null = null;
  const configWatch = new FileWatch(
    opts.configPath,
    () => {
      settle?.cancel();
      settle = clock.setTimer(() => void reload('watch'), CONFIG_SETTLE_MS);
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
      parts.revocations.close();
      configWatch.close();
      parts.utmp.close();
      cron.stop();
      settle?.cancel();
      parts.audit.close();
      void parts.ptys.close().finally(resolve);
      // Whatever may still hold the event loop (a getent child, a grace-period timer) must not keep a
      // stopping daemon alive: exit 0 within 2 s regardless. unref: a clean stop exits sooner by itself.
      clock.setTimer(() => self.exit(0), 2_000, { unref: true });
    };
    log.info(
      {
        event: 'daemon.start',
        pid: self.pid,
        dry_run: policy.dryRun,
        scan_interval_ms: policy.scanIntervalMs,
        nice: raisePriority(WANTED_NICE),
        ...(testClock === null ? {} : { test_clock: testClock }),
      },
      'moshwarden running',
    );
    void daemon.start();
    signals.ready({
      SIGHUP: () => {
        parts.audit.reopen(); // logrotate moved the file away: SIGHUP reopens log files
        void reload('signal');
      },
      SIGTERM: () => stop('SIGTERM'),
      SIGINT: () => stop('SIGINT'),
    });
  });
}
