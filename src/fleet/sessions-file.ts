// The sessions snapshot the daemon writes (fleet.sessions_file) and the fleet service publishes:
//   { "host": "web-17", "written_at": "2026-11-24T10:00:00.000Z",
//     "sessions": [ <the `sessions --json` element, with "id": "web-17/4242-1234567"> ... ] }
// (docs/fleet.md, "The sessions file"). Each element is published as it is, plus "host"; an element
// whose id is not one of this host's session ids is refused, and so is the whole file when it names
// another host. The daemon writes it (renderSessionsFile) after a pass that changed something
// (sessionsChangeKey). Pure: no node: imports.
import type { Policy, Session, Verdict } from '../core/types.js';
import { sessionJson } from '../sessions/json.js';
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

/** One session as the daemon knows it: its verdict is null until it has been decided once. */
export interface SessionRow {
  session: Session;
  verdict: Verdict | null;
}

/** The file the daemon writes: each element is the `sessions --json` element (with its `id`). */
export function renderSessionsFile(host: string, rows: readonly SessionRow[], policy: Policy, now: number): string {
  const sessions = [...rows]
    .sort((a, b) => a.session.pid - b.session.pid)
    .map(({ session, verdict }) =>
      verdict === null
        ? { ...sessionJson(session, KEEP, policy, now), verdict: null }
        : sessionJson(session, verdict, policy, now),
    );
  return JSON.stringify({ host, written_at: new Date(now).toISOString(), sessions }, null, 1) + '\n';
}

const KEEP: Verdict = { action: 'keep', reason: 'ok', at: null, rule: null };

/**
 * What a change of the file means: a session started or ended, or its user, tty, origin, client, state,
 * verdict or rule changed. Not the passage of time: ages, idle times and deadlines are left out, so a
 * quiet host does not rewrite the file on every pass (docs/fleet.md, "The sessions file").
 */
export function sessionsChangeKey(host: string, rows: readonly SessionRow[]): string {
  const parts = rows
    .map(({ session: s, verdict: v }) =>
      JSON.stringify([s.id, s.user, s.uid, s.tty, s.from, s.client, s.state, v?.action, v?.reason, v?.rule]),
    )
    .sort();
  return `${host}\n${parts.join('\n')}`;
}
