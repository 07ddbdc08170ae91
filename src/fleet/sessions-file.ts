// The sessions snapshot the daemon writes (fleet.sessions_file) and the fleet service publishes:
//   { "host": "web-17", "written_at": "2026-11-24T10:00:00.000Z",
//     "sessions": [ <the `sessions --json` element, with "id": "web-17/4242-1234567"> ... ] }
// (docs/fleet.md, "The sessions file"). Each element is published as it is, plus "host"; an element
// whose id is not one of this host's session ids is refused, and so is the whole file when it names
// another host. Pure: no node: imports.
import { parseSessionId } from './session-id.js';

export const MAX_SESSIONS = 10_000;
export const MAX_SESSION_BYTES = 16 * 1024;

export interface SessionsSnapshot {
  writtenAt: string | null;
  sessions: { id: string; value: string }[];
  /** Elements left out, with why. */
  refused: string[];
}

export function parseSessionsFile(text: string, host: string): SessionsSnapshot | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;
  if (o.host !== host) return `written for host ${JSON.stringify(o.host)}, this host is ${JSON.stringify(host)}`;
  if (!Array.isArray(o.sessions)) return 'has no "sessions" array';
  if (o.sessions.length > MAX_SESSIONS) return `more than ${MAX_SESSIONS} sessions`;
  const refused: string[] = [];
  const seen = new Set<string>();
  const sessions: SessionsSnapshot['sessions'] = [];
  o.sessions.forEach((s: unknown, i) => {
    if (typeof s !== 'object' || s === null || Array.isArray(s)) return refused.push(`sessions[${i}]: not an object`);
    const id = (s as Record<string, unknown>).id;
    const parsed = typeof id === 'string' ? parseSessionId(id) : 'no "id" string';
    if (typeof parsed === 'string') return refused.push(`sessions[${i}]: ${parsed}`);
    if (parsed.host !== host) return refused.push(`sessions[${i}]: id ${id} is of host ${parsed.host}`);
    if (seen.has(id as string)) return refused.push(`sessions[${i}]: id ${id} given twice`);
    const value = JSON.stringify({ ...(s as object), host });
    if (value.length > MAX_SESSION_BYTES) return refused.push(`sessions[${i}]: larger than ${MAX_SESSION_BYTES} bytes`);
    seen.add(id as string);
    sessions.push({ id: id as string, value });
  });
  const writtenAt = typeof o.written_at === 'string' ? o.written_at : null;
  return { writtenAt, sessions, refused };
}
