// The audit trail (`log.audit_file`): who was connected, from where, and why each session ended. One JSON
// line per session event and per revocation/config load, appended with a synchronous write(2) each, so a
// line the daemon logged is in the kernel before the next statement runs: stopping or killing the daemon
// loses nothing. (A power cut can still lose what the page cache held; an fsync per line would cost a
// disk flush per event for that.) Reopened on SIGHUP, so logrotate can move the file away.
import fs from 'node:fs';
import { writeAll, type LogTap } from './logger.js';

/** The events that make up the trail (CONTRACT.md's table), plus why a session was kept or swept. */
export const AUDIT_EVENTS: ReadonlySet<string> = new Set([
  'session.start',
  'session.attach',
  'session.detach',
  'session.rule',
  'session.warn',
  'session.warn_failed',
  'session.terminate',
  'session.kill',
  'session.signal_error',
  'session.end',
  'schedule.run',
  'revocation.load',
  'revocation.error',
  'config.load',
  'config.error',
  'daemon.start',
  'daemon.stop',
]);

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
    if (this.path === null || !AUDIT_EVENTS.has(String(event.event))) return;
    if (this.fd === null) this.open(); // the directory may have appeared since
    if (this.fd === null) return;
    try {
      writeAll(this.fd, Buffer.from(raw.endsWith('\n') ? raw : `${raw}\n`, 'utf8'));
    } catch (e) {
      this.report(`cannot write the audit file ${this.path}: ${(e as Error).message}`);
      this.close();
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
      this.fd = fs.openSync(this.path, fs.constants.O_WRONLY | fs.constants.O_APPEND | create, 0o640);
      this.failing = null;
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
