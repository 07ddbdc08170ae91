// A session's fleet-wide id: `<host>/<pid>-<starttime>` (starttime = field 22 of /proc/PID/stat, the
// kernel's identity of the process together with the pid), so it is stable for the session's life,
// never names another session on the same boot, and says which host it lives on. docs/fleet.md.
// Pure: no node: imports.

/** A host name as the fleet uses it in keys and ids: no `/`, no spaces, at most 253 characters. */
export const HOST_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

export interface SessionId {
  host: string;
  pid: number;
  startTicks: number;
}

export function isValidHost(host: string): boolean {
  return HOST_RE.test(host);
}

export function sessionIdText(id: SessionId): string {
  return `${id.host}/${id.pid}-${id.startTicks}`;
}

/** The id, or why the text is not one. */
export function parseSessionId(text: string): SessionId | string {
  const slash = text.indexOf('/');
  if (slash === -1) return `not a session id (HOST/PID-STARTTIME, as \`sessions\` shows it): "${text}"`;
  const host = text.slice(0, slash);
  if (!isValidHost(host)) return `not a valid host name in session id: "${host}"`;
  const m = /^([1-9][0-9]{0,9})-(0|[1-9][0-9]{0,19})$/.exec(text.slice(slash + 1));
  if (!m || Number(m[1]) > 4194304 || !Number.isSafeInteger(Number(m[2])))
    return `not a valid PID-STARTTIME in session id: "${text.slice(slash + 1)}"`;
  return { host, pid: Number(m[1]), startTicks: Number(m[2]) };
}
