// One audit line (src/log/audit.ts writes them; README "Log events") → the few facts `history` needs.
// Pure: text in, a plain event out. Lines about other things (warnings, rules, config) are skipped
// without being parsed, which is most of what makes a year of logs fast to read.

/** The part of the audit trail that tells who was on, from where, until when and why it ended. */
export type HistoryEvent =
  | {
      kind: 'start';
      time: number;
      key: SessionKey;
      user: string | null;
      uid: number | null;
      tty: string | null;
      from: string | null;
      client: string | null;
    }
  | { kind: 'attach'; time: number; key: PartialKey; client: string | null }
  | {
      kind: 'terminate';
      time: number;
      key: PartialKey;
      reason: string;
      revocation: RevocationRef | null;
      user: string | null;
      uid: number | null;
      tty: string | null;
    }
  | {
      kind: 'end';
      time: number;
      key: PartialKey;
      reason: string | null;
      durationSeconds: number | null;
      user: string | null;
      uid: number | null;
      tty: string | null;
    }
  | { kind: 'daemon.start'; time: number }
  | { kind: 'daemon.stop'; time: number };

/** A session's identity: the daemon's `id` when it logs one, else pid and start time (DESIGN.md "Identity"). */
export interface SessionKey {
  id: string | null;
  pid: number;
  startedAt: number;
}

/** Events after session.start carry the pid (and soon the id), not the start time. */
export interface PartialKey {
  id: string | null;
  pid: number;
}

export interface RevocationRef {
  target: string | null;
  line: number | null;
  reason: string | null;
}

export type ParsedLine = HistoryEvent | 'skip' | 'junk';

const WANTED: Readonly<Record<string, true>> = {
  'session.start': true,
  'session.attach': true,
  'session.detach': true,
  'session.terminate': true,
  'session.end': true,
  'daemon.start': true,
  'daemon.stop': true,
};

/**
 * The event name without parsing the line: pino writes `"event":"..."` as plain JSON, so a line whose
 * event is not wanted is skipped for the cost of one indexOf. Lines without it are parsed (and are junk
 * unless they turn out to be an event after all).
 */
function quickEventName(line: string): string | null {
  const at = line.indexOf('"event":"');
  if (at === -1) return null;
  const from = at + 9;
  const to = line.indexOf('"', from);
  return to === -1 ? null : line.slice(from, to);
}

export function parseAuditLine(line: string): ParsedLine {
  if (line.trim() === '') return 'skip';
  const quick = quickEventName(line);
  if (quick !== null && !WANTED[quick]) return 'skip';
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'junk';
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'junk';
  return toEvent(v as Record<string, unknown>);
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null);
const instant = (v: unknown): number | null => {
  if (typeof v !== 'string') return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
};

function toEvent(o: Record<string, unknown>): ParsedLine {
  const event = o.event;
  if (typeof event !== 'string') return 'junk';
  if (!WANTED[event]) return 'skip';
  const time = instant(o.time);
  if (time === null) return 'junk';
  if (event === 'daemon.start' || event === 'daemon.stop') return { kind: event, time };

  const pid = int(o.pid);
  if (pid === null || pid === 0) return 'junk';
  const id = str(o.id);
  const who = { user: str(o.user), uid: int(o.uid), tty: str(o.tty) };
  switch (event) {
    case 'session.start': {
      const startedAt = instant(o.started_at);
      if (startedAt === null) return 'junk';
      return { kind: 'start', time, key: { id, pid, startedAt }, ...who, from: str(o.from), client: str(o.client) };
    }
    case 'session.attach':
    case 'session.detach':
      // A detach says only that the client is gone; it still marks the session as seen (see reconstruct).
      return { kind: 'attach', time, key: { id, pid }, client: event === 'session.attach' ? str(o.client) : null };
    case 'session.terminate': {
      // A dry run only says what would have happened: the session went on.
      if (o.dry_run === true) return 'skip';
      const reason = str(o.reason);
      if (reason === null) return 'junk';
      return { kind: 'terminate', time, key: { id, pid }, reason, revocation: revocationOf(o.revocation), ...who };
    }
    default: {
      const d = o.duration_seconds;
      const durationSeconds = typeof d === 'number' && Number.isFinite(d) && d >= 0 ? d : null;
      return { kind: 'end', time, key: { id, pid }, reason: str(o.reason), durationSeconds, ...who };
    }
  }
}

function revocationOf(v: unknown): RevocationRef | null {
  if (v === null || typeof v !== 'object') return null;
  const r = v as Record<string, unknown>;
  return { target: str(r.target), line: int(r.line), reason: str(r.reason) };
}
