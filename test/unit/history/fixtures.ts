// Audit lines as the daemon writes them (src/log/audit.ts), and history rows, for the history tests.
import type { Ending, HistoryRow } from '../../../src/history/reconstruct.js';

export const T0 = Date.UTC(2026, 10, 24, 8, 0, 0);
export const MIN = 60_000;
export const at = (minutes: number) => new Date(T0 + minutes * MIN).toISOString();

type Fields = Record<string, unknown>;
const who = (pid: number, user: string) => ({ pid, user, uid: 1000 + pid, tty: `pts/${pid % 10}` });

export const line = (o: Fields) => JSON.stringify({ level: 'info', ...o, msg: 'm' });

export const start = (min: number, pid: number, user: string, startedMin: number, extra: Fields = {}) =>
  line({
    time: at(min),
    event: 'session.start',
    ...who(pid, user),
    from: '198.51.100.7',
    started_at: at(startedMin),
    state: 'waiting',
    client: null,
    ...extra,
  });
export const attach = (min: number, pid: number, user: string, client: string) =>
  line({ time: at(min), event: 'session.attach', ...who(pid, user), client });
export const terminate = (min: number, pid: number, user: string, reason: string, extra: Fields = {}) =>
  line({
    time: at(min),
    event: 'session.terminate',
    ...who(pid, user),
    reason,
    idle_seconds: 1,
    dry_run: false,
    ...extra,
  });
export const end = (min: number, pid: number, user: string, reason: string | null, durationMin: number) =>
  line({ time: at(min), event: 'session.end', ...who(pid, user), duration_seconds: durationMin * 60, reason });
export const daemonStart = (min: number) => line({ time: at(min), event: 'daemon.start', pid: 99 });
export const daemonStop = (min: number) => line({ time: at(min), event: 'daemon.stop', signal: 'SIGTERM' });

/** A row of mw-alice's session 42 started at T0, origin 198.51.100.7, one client; `o` overrides. */
export const row = (o: Partial<HistoryRow> & { ending: Ending }): HistoryRow => ({
  id: null,
  pid: 42,
  user: 'mw-alice',
  uid: 1001,
  tty: 'pts/3',
  from: '198.51.100.7',
  clients: ['203.0.113.5'],
  startedAt: T0,
  startLogged: true,
  firstSeen: T0,
  ...o,
});
