// The audit trail (`log.audit_file`): who was connected, from where, and why each session ended. One JSON
// line per session event and per revocation/config load, appended with a synchronous write(2) each, so a
// line the daemon logged is in the kernel before the next statement runs: stopping or killing the daemon
// loses nothing. (A power cut can still lose what the page cache held; an fsync per line would cost a
// disk flush per event for that.) Reopened on SIGHUP, so logrotate can move the file away.
import fs from 'node:fs';
import { writeAll } from '../host/output.js';
import type { EventName } from './events.js';
import type { LogTap } from './logger.js';

/**
 * Which events make up the trail (docs/contract.md, "Log events"): who was connected, from where, why a
 * session was kept, warned, swept or ended, and what the daemon was told. Keyed by every event name, so
 * a new event cannot be added without deciding whether it is audited.
 */
export const AUDITED: Readonly<Record<EventName, boolean>> = {
  'session.start': true,
  'session.attach': true,
  'session.detach': true,
  'session.rule': true,
  'session.warn': true,
  'session.warn_failed': true,
  'session.terminate': true,
  'session.signal': false,
  'session.kill': true,
  'session.signal_error': true,
  'session.end': true,
  'session.tamper': true,
  'schedule.run': true,
  'schedule.warn': false,
  'schedule.error': false,
  'schedule.debug': false,
  'revocation.load': true,
  'revocation.error': true,
  'config.load': true,
  'config.error': true,
  'audit.error': false,
  'metrics.error': false,
  'watch.error': false,
  'daemon.start': true,
  'daemon.stop': true,
  'daemon.problem': true,
  'daemon.clock_jump': true,
  'scan.pass': false,
  'scan.problem': false,
  'scan.error': false,
  // The fleet service's own events: its log is its own (journal); the audit file is the daemon's.
  'fleet.start': false,
  'fleet.stop': false,
  'fleet.hup': false,
  'fleet.load': false,
  'fleet.connect': false,
  'fleet.disconnect': false,
  'fleet.sync': false,
  'fleet.compacted': false,
  'fleet.skip': false,
  'fleet.lease_lost': false,
  'fleet.error': false,
  // The daemon's strict mode turning on or off: why sessions are being ended belongs in the trail.
  'fleet.strict': true,
};

function audited(event: unknown): boolean {
  return typeof event === 'string' && Object.hasOwn(AUDITED, event) && AUDITED[event as EventName];
}

export class AuditFile implements LogTap {
  private fd: number | null = null;
  /** The last error reported, so a lasting problem (a missing directory) is reported once. */
  private failing: string | null = null;

  /**
   * `onError` is told (once per distinct problem, outside the logging call) when a line cannot be written.
   * `create: false` (the CLI's `terminate`) only appends to a trail the daemon already keeps: a missing
   * file is not created (root-owned, it would lock the daemon's user out) and is no error.
   */
  constructor(
    private path: string | null,
    private readonly onError: (message: string) => void,
    private readonly opts: { create?: boolean } = {},
  ) {
    this.open();
  }

  setPath(path: string | null): void {
    if (path === this.path) return;
    this.close();
    this.path = path;
    this.failing = null;
    this.open();
  }

  /** SIGHUP: logrotate has moved the file; start a new one at the same path. */
  reopen(): void {
    this.close();
    this.failing = null;
    this.open();
  }

  line(event: Record<string, unknown>, raw: string): void {
    if (this.path === null || !audited(event.event)) return;
    if (this.fd === null) this.open(); // the directory may have appeared since
    if (this.fd === null) return;
    let size = -1;
    try {
      size = fs.fstatSync(this.fd).size;
      writeAll(this.fd, Buffer.from(raw.endsWith('\n') ? raw : `${raw}\n`, 'utf8'));
      this.failing = null; // written again: a later failure is news
    } catch (e) {
      // A full disk can take part of a line: cut it off, so the next line is not glued to half of one.
      if (size >= 0) this.truncate(size);
      this.report(`cannot write the audit file ${this.path}: ${(e as Error).message}`);
      this.close();
    }
  }

  private truncate(size: number): void {
    try {
      fs.ftruncateSync(this.fd!, size);
    } catch {
      // nothing more to be done; the report below says the file is in trouble
    }
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  private open(): void {
    if (this.path === null) return;
    try {
      const create = this.opts.create === false ? 0 : fs.constants.O_CREAT;
      // Opening is no proof that lines can be written (a full disk opens fine): `failing` is cleared by
      // the next line that is written, so a lasting problem is reported once, not once per line.
      this.fd = fs.openSync(this.path, fs.constants.O_WRONLY | fs.constants.O_APPEND | create, 0o640);
    } catch (e) {
      this.fd = null;
      if (this.opts.create === false && (e as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.report(`cannot open the audit file ${this.path}: ${(e as Error).message}`);
    }
  }

  private report(message: string): void {
    if (this.failing === message) return;
    this.failing = message;
    // Not from inside the log call that is being written: that would re-enter the logger.
    queueMicrotask(() => this.onError(message));
  }
}
