// Builds the daemon from its parts, in data-flow order: log sinks, the host readers and watches, the
// revocation sources, the loop. Each part gets what it needs as parameters; nothing here decides.
import type { Policy } from '../core/types.js';
import { Daemon } from '../daemon/loop.js';
import { clock } from '../host/clock.js';
import { startSchedules, type CronTasks } from '../host/cron.js';
import { devptsMount, writerIdentity } from '../host/devpts.js';
import type { Writer } from '../host/output.js';
import { self } from '../host/process.js';
import { system } from '../host/system.js';
import { UTMP_PATH } from '../host/utmp.js';
import { version } from '../host/version.js';
import { FileWatch, watchPtys } from '../host/watch.js';
import { AuditFile } from '../log/audit.js';
import type { Logger } from '../log/events.js';
import { createDaemonLogger, type DaemonLogger } from '../log/logger.js';
import { Metrics } from '../metrics/metrics.js';
import { textfileWriter } from '../metrics/textfile.js';
import { parseStatus } from '../fleet/status.js';
import { readTrusted, readTrustedRevocations, writeFileAtomicSync } from '../host/atomic.js';
import { FileSource } from '../revocation/file-source.js';
import { FleetSource } from '../revocation/fleet-source.js';
import { RevocationSet } from '../revocation/sources.js';
import { StrictSource, type StatusRead } from '../revocation/strict-source.js';
import { discoveryOnThisHost } from '../sessions/on-this-host.js';
import { SessionsWriter } from './sessions-writer.js';
import { warningProblem } from './problems.js';
import { Triggers } from './triggers.js';

/** Everything a running daemon is made of; service/service.ts starts, reloads and stops it. */
export interface Parts {
  logger: DaemonLogger;
  log: Logger;
  audit: AuditFile;
  daemon: Daemon;
  fileSource: FileSource;
  revocations: RevocationSet;
  /** Applies the `fleet:` section (start and reload): sources, session ids, the sessions file. */
  applyFleet(policy: Policy): void;
  ptys: { close(): Promise<void> };
  utmp: FileWatch;
  cron: CronTasks;
}

/** `policy()` is read whenever a part needs the current policy (it changes on reload). */
export function wire(initial: Policy, policy: () => Policy, stdout: Writer): Parts {
  // The audit file and the metrics see every event line of level info and up (log/logger.ts taps).
  // AuditFile reports its problems from a microtask, after the logger below exists.
  const auditError = (message: string) =>
    logger.log.error({ event: 'audit.error', path: policy().log.auditFile }, message);
  const audit = new AuditFile(initial.log.auditFile, auditError);
  const metrics = new Metrics(version(), self.nodeVersion);
  const logger = createDaemonLogger({
    level: initial.log.level,
    out: stdout,
    journald: Boolean(self.env('JOURNAL_STREAM')), // systemd says stdout is the journal
    taps: [audit, metrics],
  });
  const log = logger.log;
  const textfile = textfileWriter(metrics, () => policy().metrics.textfile, log);

  const triggers = new Triggers();
  const sourceDeps = {
    log,
    // A changed list is acted on at once, not at the next scan.
    onChange: () => triggers.fire('revocation'),
    watch: (path: string, onEvent: () => void, onError: (e: unknown) => void) => new FileWatch(path, onEvent, onError),
    setTimer: clock.setTimer,
  };
  const fileSource = new FileSource(initial.revocationFile, sourceDeps);
  // The fleet's two sources (docs/fleet.md, "For the daemon"): the fleet revocation file, read under the
  // fleet's trust rule, and strict mode, which reads the fleet service's status file on every pass.
  const fleetSource = new FleetSource({ ...sourceDeps, read: readTrustedRevocations });
  const strictSource = new StrictSource(clock.now(), {
    log,
    onChange: sourceDeps.onChange,
    now: clock.now,
    readStatus: readStatusFile,
  });
  const revocations = new RevocationSet([fileSource, fleetSource, strictSource]);
  const sessionsWriter = new SessionsWriter({ log, write: writeFileAtomicSync });
  let endedWrite: { cancel(): void } | null = null;
  // mosh flips its utmp record on attach and detach: look at once, so session.attach/detach are timely.
  const utmp = new FileWatch(
    UTMP_PATH,
    () => triggers.fire('utmp'),
    () => {},
  );

  const discovery = discoveryOnThisHost(initial.fleet?.host);
  const applyFleet = (p: Policy) => {
    discovery.setHost(p.fleet?.host ?? discoveryHost);
    fleetSource.configure(p.fleet?.revocationFile ?? null);
    const strictMs = p.fleet?.strictMs ?? null;
    strictSource.configure(strictMs === null ? null : { strictMs, statusFile: p.fleet!.statusFile });
  };
  // Said at start, and again (once) if a warning is then refused while the problem lasts. Looked at no
  // more than once a minute: 2,000 refusals in a pass (a flood with `mesg n`) must not read
  // /proc/self/mountinfo 2,000 times.
  const problems = new Set<string>();
  let checkedAt = -Infinity;
  const checkWarnings = () => {
    const now = clock.monotonic();
    if (now - checkedAt < 60_000) return;
    checkedAt = now;
    const problem = warningProblem(devptsMount(), writerIdentity());
    if (problem === null || problems.has(problem)) return;
    problems.add(problem);
    log.error({ event: 'daemon.problem', what: 'warnings' }, problem);
  };
  const daemon = new Daemon(initial, {
    // Every pass re-checks the revocation sources too: a lost or coalesced watch event costs at most
    // one scan interval, never a revocation.
    scan: (full) => {
      utmp.ensure();
      revocations.refresh();
      return discovery.scan(full);
    },
    host: system,
    log,
    revocations: () => revocations.current(),
    onWarnRefused: checkWarnings,
    fullScanEveryMs: fullScanEvery(),
    onPass: (sessions, scanMs, now) => {
      metrics.scanned(sessions, scanMs, now);
      textfile.write();
      sessionsWriter.update(policy(), daemon.snapshot(), now);
    },
    // A session that ended between passes leaves the sessions file soon (terminate --fleet waits for it);
    // one write for many ends: 2,000 sessions ended at once must not mean 2,000 fsync'ed writes.
    onEnded: () => {
      if (endedWrite !== null) return;
      endedWrite = clock.setTimer(() => {
        endedWrite = null;
        sessionsWriter.update(policy(), daemon.snapshot(), clock.now());
      }, ENDED_WRITE_MS);
    },
  });
  applyFleet(initial);
  triggers.connect((t) => void daemon.request(t));
  const ptys = watchPtys(
    (e) => {
      if (e.kind === 'attributes') return daemon.ptyAttributes(e.tty);
      // A pty that went away asks for no pass: its session's end is seen by the escalation that ended it,
      // or by the next pass. (2,000 sessions ending at once made 2,000 events, and passes back to back.)
      if (e.kind === 'removed') return discovery.notePtyGone();
      if (e.tty !== null) discovery.notePty(e.tty);
      triggers.fire('pts');
    },
    (e) =>
      log.warn(
        { event: 'watch.error', path: '/dev/pts', err: e },
        'pty watcher failed; new sessions are found by the periodic scan',
      ),
  );
  checkWarnings();
  checkedAt = -Infinity; // the first refusal looks again: the mount may have changed since the start
  const cron = startSchedules(initial.schedules, (s) => void daemon.sweep(s), log);
  return { logger, log, audit, daemon, fileSource, revocations, applyFleet, ptys, utmp, cron };
}

/** Sessions that end within this long of each other leave the sessions file in one write. */
const ENDED_WRITE_MS = 100;

/** Without a `fleet:` section, session ids carry the host name, as the fleet service's default host. */
const discoveryHost = self.hostname();

/** The fleet service's status file, if its writer is the one it should be (fleet/trust.ts). */
function readStatusFile(path: string): StatusRead {
  const r = readTrusted(path, 64 * 1024);
  if (!r.ok) return { ok: false, message: r.message };
  const status = parseStatus(r.text);
  return status ? { ok: true, status } : { ok: false, message: `${path} is not a fleet status file` };
}

/**
 * MOSHWARDEN_FULL_SCAN_EVERY_MS: for the benchmark only (bench/stall.ts), which needs full reads of /proc
 * often enough to send a revocation in the middle of one; not a setting (docs/architecture.md, "Speed").
 */
function fullScanEvery(): number | undefined {
  const raw = self.env('MOSHWARDEN_FULL_SCAN_EVERY_MS');
  const v = raw ? Number(raw) : NaN;
  return Number.isFinite(v) && v >= 0 ? v : undefined;
}
