// Prometheus metrics for node-exporter's textfile collector (`metrics.textfile`). The counters are fed
// from the same event lines the log and the audit trail get (a LogTap), so a metric can never disagree
// with the log; the session gauges and scan timings come from the daemon after each pass. No user
// names or pids as labels: their number is unbounded.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Session, SessionState } from '../core/types.js';
import type { EventName } from '../log/events.js';
import type { LogTap } from '../log/logger.js';

const STATES: readonly SessionState[] = ['attached', 'detached', 'waiting', 'unknown'];

export class Metrics implements LogTap {
  readonly registry = new Registry();
  private readonly sessions = new Gauge({
    name: 'moshwarden_sessions',
    help: 'Live mosh sessions, by attach state.',
    labelNames: ['state'],
    registers: [this.registry],
  });
  private readonly terminations = new Counter({
    name: 'moshwarden_terminations_total',
    help: 'Sessions sent SIGTERM, by reason (dry run not counted).',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly kills = new Counter({
    name: 'moshwarden_kills_total',
    help: 'Sessions sent SIGKILL after the grace period.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly warnings = new Counter({
    name: 'moshwarden_warnings_total',
    help: 'Warnings written to session terminals, by reason.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly warnFailures = new Counter({
    name: 'moshwarden_warning_failures_total',
    help: 'Warnings that could not be written (the session is then not ended).',
    registers: [this.registry],
  });
  private readonly signalErrors = new Counter({
    name: 'moshwarden_signal_errors_total',
    help: 'Signals that could not be sent (e.g. EPERM without CAP_KILL), by signal.',
    labelNames: ['signal'],
    registers: [this.registry],
  });
  private readonly scanDuration = new Histogram({
    name: 'moshwarden_scan_duration_seconds',
    help: 'Time to read the host (processes, utmp, ptys) in one pass.',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  private readonly lastScan = new Gauge({
    name: 'moshwarden_last_scan_timestamp_seconds',
    help: 'When the last pass finished (Unix time).',
    registers: [this.registry],
  });
  private readonly revocations = new Gauge({
    name: 'moshwarden_revocation_entries',
    help: 'Entries in the revocation list in force (lapsed ones included until the file is re-read).',
    registers: [this.registry],
  });
  private readonly revocationEntries = new Map<string, number>();
  private readonly revocationErrors = new Counter({
    name: 'moshwarden_revocation_errors_total',
    help: 'Bad revocation lines and unreadable or unsafe revocation files.',
    registers: [this.registry],
  });
  private readonly tampers = new Counter({
    name: 'moshwarden_tamper_total',
    help: 'Pty times found set by hand (utimes), not by input or output, by which time (atime, mtime).',
    labelNames: ['what'],
    registers: [this.registry],
  });
  private readonly problems = new Counter({
    name: 'moshwarden_daemon_problems_total',
    help: 'Problems with the daemon itself (e.g. no pty can be written: devpts mounted mode=600), by kind.',
    labelNames: ['what'],
    registers: [this.registry],
  });
  private readonly reloads = new Counter({
    name: 'moshwarden_config_reloads_total',
    help: 'Config loads, by result (ok, error).',
    labelNames: ['result'],
    registers: [this.registry],
  });

  constructor(version: string, nodeVersion: string) {
    new Gauge({
      name: 'moshwarden_build_info',
      help: 'Version of the running daemon; always 1.',
      labelNames: ['version', 'node'],
      registers: [this.registry],
    })
      .labels(version, nodeVersion)
      .set(1);
    for (const state of STATES) this.sessions.labels(state).set(0);
    for (const result of ['ok', 'error']) this.reloads.labels(result).inc(0);
  }

  /**
   * What each event does to the counters. Keyed by every event name, so a new event cannot be added
   * without deciding whether (and how) it is counted.
   */
  private readonly counts: Readonly<Record<EventName, ((e: Record<string, unknown>) => void) | null>> = {
    'session.terminate': (e) => void (e.dry_run !== true && this.terminations.labels(reasonOf(e)).inc()),
    'session.kill': (e) => this.kills.labels(reasonOf(e)).inc(),
    'session.warn': (e) => void (e.dry_run !== true && this.warnings.labels(reasonOf(e)).inc()),
    'session.warn_failed': () => this.warnFailures.inc(),
    'session.signal_error': (e) => this.signalErrors.labels(typeof e.signal === 'string' ? e.signal : 'unknown').inc(),
    'revocation.load': (e) => {
      // Every source's list counts (the revocation file and the fleet file): the gauge is their sum.
      if (typeof e.entries !== 'number') return;
      this.revocationEntries.set(typeof e.source === 'string' ? e.source : 'file', e.entries);
      this.revocations.set([...this.revocationEntries.values()].reduce((a, b) => a + b, 0));
    },
    'revocation.error': () => this.revocationErrors.inc(),
    'config.load': () => this.reloads.labels('ok').inc(),
    'config.error': () => this.reloads.labels('error').inc(),
    'session.tamper': (e) => this.tampers.labels(typeof e.what === 'string' ? e.what : 'unknown').inc(),
    'daemon.problem': (e) => this.problems.labels(typeof e.what === 'string' ? e.what : 'unknown').inc(),
    'session.start': null,
    'session.attach': null,
    'session.detach': null,
    'session.rule': null,
    'session.signal': null,
    'session.end': null,
    'schedule.run': null,
    'schedule.warn': null,
    'schedule.error': null,
    'schedule.debug': null,
    'audit.error': null,
    'metrics.error': null,
    'watch.error': null,
    'daemon.start': null,
    'daemon.stop': null,
    'daemon.clock_jump': null,
    'scan.pass': null,
    'scan.problem': null,
    'scan.error': null,
    'fleet.start': null,
    'fleet.stop': null,
    'fleet.hup': null,
    'fleet.load': null,
    'fleet.connect': null,
    'fleet.disconnect': null,
    'fleet.sync': null,
    'fleet.compacted': null,
    'fleet.skip': null,
    'fleet.lease_lost': null,
    'fleet.error': null,
    'fleet.strict': null,
  };

  line(e: Record<string, unknown>): void {
    if (typeof e.event !== 'string' || !Object.hasOwn(this.counts, e.event)) return;
    this.counts[e.event as EventName]?.(e);
  }

  /** After each pass: the sessions as the daemon sees them, and how long reading the host took. */
  scanned(sessions: readonly Pick<Session, 'state'>[], scanMs: number, now: number): void {
    for (const state of STATES) this.sessions.labels(state).set(sessions.filter((s) => s.state === state).length);
    this.scanDuration.observe(scanMs / 1000);
    this.lastScan.set(now / 1000);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

function reasonOf(e: Record<string, unknown>): string {
  return typeof e.reason === 'string' ? e.reason : 'unknown';
}
