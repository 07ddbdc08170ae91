// Audit events (oldest first) → one row per session: who, from where, from when to when, and why it ended.
// Pure and streaming: events are pushed one at a time and only open sessions are held, so a year of logs
// costs memory for the sessions, not for the lines. Nothing is invented: an end that is not in the log is
// reported as unknown, with the interval it must lie in when the log shows one (docs/man/moshwarden.8.md,
// "history").
import type { HistoryEvent, PartialKey, RevocationRef } from './events.js';

export type Ending =
  /** session.end was logged; reason null = it ended by itself (the user logged out, the client quit). */
  | { kind: 'ended'; at: number; reason: string | null; revocation: RevocationRef | null }
  /** No end yet, and the daemon that would have logged one is running as far as the log shows. */
  | { kind: 'still_on' }
  /** Open when the daemon stopped (or crashed), gone when it came back: it ended in between. */
  | { kind: 'daemon_down'; after: number; before: number }
  /** The log ends while the daemon is stopped: the session may have ended after `after`, or may still be on. */
  | { kind: 'unknown'; after: number };

export interface HistoryRow {
  id: string | null;
  pid: number;
  user: string | null;
  uid: number | null;
  tty: string | null;
  /** The ssh origin at start (session.start); null when unknown or not in the log. */
  from: string | null;
  /** Every client address the session had, in the order first seen. */
  clients: string[];
  /** The session's start; null when neither its session.start nor a session.end with a duration is in the log. */
  startedAt: number | null;
  /** True when a session.start line gave the start; false when it was derived from session.end's duration. */
  startLogged: boolean;
  /** The first line about this session. */
  firstSeen: number;
  ending: Ending;
}

/** Two start times this close are the same session (a restarted daemon reads the same /proc start time). */
const SAME_START_MS = 1_000;
/** A second session.end this soon after the first is the same end logged twice (daemon and `terminate`). */
const SAME_END_MS = 60_000;

interface Open {
  row: HistoryRow;
  /** SIGTERM was sent with this reason; the end line (the daemon's, often with reason null) follows. */
  terminate: { reason: string; revocation: RevocationRef | null } | null;
  lastSeen: number;
  /** Set while the daemon was down with this session open: when it went down. Cleared once seen again. */
  downSince: number | null;
}

export class HistoryBuilder {
  private readonly open = new Map<number, Open>(); // by pid: one live session per pid at a time
  private readonly lastClosed = new Map<number, HistoryRow>();
  private readonly rows: HistoryRow[] = [];
  /** null until the first daemon line: the log may begin in the middle of a daemon's run. */
  private daemonUp: boolean | null = null;
  private downSince: number | null = null;
  private restartAt: number | null = null;
  private lastTime: number | null = null;
  private pushed = 0;

  /** `keep` decides, as each row is complete, whether it is held for the result (filters save memory). */
  constructor(private readonly keep: (row: HistoryRow) => boolean = () => true) {}

  push(ev: HistoryEvent): void {
    switch (ev.kind) {
      case 'daemon.start':
        this.daemonStart(ev.time);
        break;
      case 'daemon.stop':
        this.daemonUp = false;
        this.downSince = ev.time;
        break;
      case 'start': {
        let o = this.find(ev.key);
        // Another start time: the pid was reused, and create() closes the old session.
        if (o && Math.abs((o.row.startedAt ?? ev.key.startedAt) - ev.key.startedAt) > SAME_START_MS) o = undefined;
        if (!o) o = this.create(ev.key, ev.time);
        o.row.startedAt ??= ev.key.startedAt;
        o.row.startLogged = true;
        o.row.from ??= ev.from;
        this.who(o.row, ev);
        this.seen(o, ev.time, ev.client);
        break;
      }
      case 'attach': {
        const o = this.find(ev.key) ?? this.create(ev.key, ev.time);
        this.seen(o, ev.time, ev.client);
        break;
      }
      case 'terminate': {
        const o = this.find(ev.key) ?? this.create(ev.key, ev.time);
        this.who(o.row, ev);
        o.terminate = { reason: ev.reason, revocation: ev.revocation };
        this.seen(o, ev.time, null);
        break;
      }
      case 'end':
        this.end(ev);
        break;
    }
    this.lastTime = ev.time;
    if (++this.pushed % 65_536 === 0) this.forgetOldEnds(ev.time);
  }

  /** lastClosed only matters for SAME_END_MS: drop older entries so memory follows the live sessions. */
  private forgetOldEnds(now: number): void {
    for (const [pid, row] of this.lastClosed) {
      if (row.ending.kind !== 'ended' || now - row.ending.at > SAME_END_MS) this.lastClosed.delete(pid);
    }
  }

  /** Every row, newest start first (like last(1)); sessions still open are closed as the log leaves them. */
  finish(): HistoryRow[] {
    for (const o of [...this.open.values()]) {
      if (o.downSince !== null && this.daemonUp) this.close(o, this.downEnding(o));
      else if (this.daemonUp === false) this.close(o, { kind: 'unknown', after: this.downSince ?? o.lastSeen });
      else this.close(o, { kind: 'still_on' });
    }
    const when = (r: HistoryRow) => r.startedAt ?? r.firstSeen;
    return this.rows.sort((a, b) => when(b) - when(a) || b.pid - a.pid);
  }

  private daemonStart(time: number): void {
    // Sessions that were open at the previous restart and were not seen since did not survive it.
    for (const o of [...this.open.values()]) if (o.downSince !== null) this.close(o, this.downEnding(o));
    // No daemon.stop before this start: the daemon died (SIGKILL, power); its last line is all we know.
    const since = this.daemonUp === false ? this.downSince : this.lastTime;
    for (const o of this.open.values()) o.downSince = since ?? o.lastSeen;
    this.daemonUp = true;
    this.restartAt = time;
  }

  /** A session replaced by another with its pid, without an end line: its end is not in the log. */
  private lostEnding(o: Open): Ending {
    return o.downSince !== null ? this.downEnding(o) : { kind: 'unknown', after: o.lastSeen };
  }

  private downEnding(o: Open): Ending {
    return { kind: 'daemon_down', after: Math.max(o.downSince ?? o.lastSeen, o.lastSeen), before: this.restartAt! };
  }

  private end(ev: Extract<HistoryEvent, { kind: 'end' }>): void {
    const o = this.find(ev.key);
    if (!o) {
      const prev = this.lastClosed.get(ev.key.pid);
      if (prev && prev.ending.kind === 'ended' && ev.time - prev.ending.at <= SAME_END_MS) {
        // The same end from a second writer (`moshwarden terminate` next to the daemon): keep the reason.
        if (prev.ending.reason === null) prev.ending = { ...prev.ending, reason: ev.reason };
        return;
      }
    }
    const open = o ?? this.create(ev.key, ev.time);
    if (open.row.startedAt === null && ev.durationSeconds !== null) {
      open.row.startedAt = ev.time - ev.durationSeconds * 1000;
    }
    this.who(open.row, ev);
    const reason = ev.reason ?? open.terminate?.reason ?? null;
    const revocation = reason === 'revoked' ? (open.terminate?.revocation ?? null) : null;
    this.close(open, { kind: 'ended', at: ev.time, reason, revocation });
  }

  private find(key: PartialKey): Open | undefined {
    const o = this.open.get(key.pid);
    // An id, once both sides have one, must agree; a line without one (older daemons) matches by pid.
    if (o && key.id !== null && o.row.id !== null && o.row.id !== key.id) return undefined;
    if (o && key.id !== null) o.row.id = key.id;
    return o;
  }

  private create(key: PartialKey, time: number): Open {
    const stale = this.open.get(key.pid);
    if (stale) this.close(stale, this.lostEnding(stale));
    const o: Open = {
      row: {
        id: key.id,
        pid: key.pid,
        user: null,
        uid: null,
        tty: null,
        from: null,
        clients: [],
        startedAt: null,
        startLogged: false,
        firstSeen: time,
        ending: { kind: 'still_on' },
      },
      terminate: null,
      lastSeen: time,
      downSince: null,
    };
    this.open.set(key.pid, o);
    return o;
  }

  private who(row: HistoryRow, ev: { user: string | null; uid: number | null; tty: string | null }): void {
    row.user ??= ev.user;
    row.uid ??= ev.uid;
    row.tty ??= ev.tty;
  }

  private seen(o: Open, time: number, client: string | null): void {
    o.lastSeen = time;
    o.downSince = null; // the daemon (back up) saw it: it survived the restart
    if (client !== null && !o.row.clients.includes(client)) o.row.clients.push(client);
  }

  private close(o: Open, ending: Ending): void {
    this.open.delete(o.row.pid);
    o.row.ending = ending;
    if (ending.kind === 'ended') this.lastClosed.set(o.row.pid, o.row);
    else this.lastClosed.delete(o.row.pid);
    if (this.keep(o.row)) this.rows.push(o.row);
  }
}
