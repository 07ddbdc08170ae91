// The status file the fleet service keeps (fleet.status_file): what `fleet status` shows, and what the
// daemon's strict mode reads as "last contact" (docs/fleet.md, "The status file"). Pure.

export const STATUS_VERSION = 1;
/** The service rewrites the file at least this often while it runs. */
export const STATUS_REFRESH_MS = 2_000;

export interface FleetStatus {
  version: number;
  host: string;
  pid: number;
  /** connecting (never in contact yet) | connected | disconnected | stopped */
  state: string;
  endpoint: string;
  /** The etcd revision the list in force reflects (0: none yet). */
  revision: number;
  entries: number;
  /** Values under revoked/ that were skipped (bad target, key/value disagree, bad until). */
  skipped: number;
  last_contact: string | null;
  state_since: string;
  started_at: string;
  written_at: string;
  revocation_file: string;
  file_error: string | null;
  last_error: string | null;
  sessions_published: number;
  lease: string | null;
  lease_ttl_seconds: number;
  strict_seconds: number | null;
}

export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The status file as read back; null when it is not one. */
export function parseStatus(text: string): FleetStatus | null {
  try {
    const v = JSON.parse(text) as FleetStatus;
    return v && v.version === STATUS_VERSION && typeof v.state === 'string' && typeof v.written_at === 'string'
      ? v
      : null;
  } catch {
    return null;
  }
}

/** `fleet status` as text. A file not rewritten for a while means the service is not running. */
export function statusText(s: FleetStatus, now: number): string {
  const ago = (t: string | null) =>
    t === null ? 'never' : `${Math.max(0, Math.round((now - Date.parse(t)) / 1000))}s ago`;
  const stale = now - Date.parse(s.written_at) > 5 * STATUS_REFRESH_MS;
  const lines = [
    `host:          ${s.host}`,
    `state:         ${stale ? `unknown: status last written ${ago(s.written_at)}, the fleet service (pid ${s.pid}) is not running` : `${s.state} since ${s.state_since}`}`,
    `endpoint:      ${s.endpoint}`,
    `revision:      ${s.revision} (the list in force: ${s.entries} entr${s.entries === 1 ? 'y' : 'ies'}${s.skipped ? `, ${s.skipped} skipped` : ''})`,
    `last contact:  ${s.last_contact ?? 'never'} (${ago(s.last_contact)})`,
    `file:          ${s.revocation_file}${s.file_error ? `  ERROR ${s.file_error}` : ''}`,
    `sessions:      ${s.sessions_published} published, lease ${s.lease ?? 'none'} (ttl ${s.lease_ttl_seconds}s)`,
    `strict:        ${s.strict_seconds === null ? 'off' : `${s.strict_seconds}s without contact ends non-exempt sessions`}`,
  ];
  if (s.last_error) lines.push(`last error:    ${s.last_error}`);
  return lines.join('\n') + '\n';
}
