// Prometheus metrics for node-exporter's textfile collector (`metrics.textfile`). The counters are fed
// from the same event lines the log and the audit trail get (a LogTap), so a metric can never disagree
// with the log; the session gauges and scan timings come from the daemon after each pass. No user
// names or pids as labels: their number is unbounded.
import fs from 'node:fs';
import path from 'node:path';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Session, SessionState } from '../core/types.js';
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
  private readonly revocationErrors = new Counter({
    name: 'moshwarden_revocation_errors_total',
    help: 'Bad revocation lines and unreadable or unsafe revocation files.',
    registers: [this.registry],
  });
  private readonly reloads = new Counter({
    name: 'moshwarden_config_reloads_total',
    help: 'Config loads, by result (ok, error).',
    labelNames: ['result'],
    registers: [this.registry],
  });

  constructor(version: string) {
    new Gauge({
      name: 'moshwarden_build_info',
      help: 'Version of the running daemon; always 1.',
      labelNames: ['version', 'node'],
      registers: [this.registry],
    })
      .labels(version, process.versions.node)
      .set(1);
    for (const state of STATES) this.sessions.labels(state).set(0);
    for (const result of ['ok', 'error']) this.reloads.labels(result).inc(0);
  }

  line(e: Record<string, unknown>): void {
    const reason = typeof e.reason === 'string' ? e.reason : 'unknown';
    switch (e.event) {
      case 'session.terminate':
        if (e.dry_run !== true) this.terminations.labels(reason).inc();
        break;
      case 'session.kill':
        this.kills.labels(reason).inc();
        break;
      case 'session.warn':
        if (e.dry_run !== true) this.warnings.labels(reason).inc();
        break;
      case 'session.warn_failed':
        this.warnFailures.inc();
        break;
      case 'session.signal_error':
        this.signalErrors.labels(typeof e.signal === 'string' ? e.signal : 'unknown').inc();
        break;
      case 'revocation.load':
        if (typeof e.entries === 'number') this.revocations.set(e.entries);
        break;
      case 'revocation.error':
        this.revocationErrors.inc();
        break;
      case 'config.load':
        this.reloads.labels('ok').inc();
        break;
      case 'config.error':
        this.reloads.labels('error').inc();
        break;
    }
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

/**
 * Replaces `file` atomically: the collector reads either the old file or the new one, never half of one
 * (a temp file in the same directory, then rename). World-readable: node-exporter runs as its own user.
 */
export function writeTextfile(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, text);
    fs.chmodSync(tmp, 0o644); // explicitly: the service's UMask=0077 would leave node-exporter unable to read it
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
