// `history --since/--until/--user/--from`: which rows an operator asked for. Pure; `now` is handed in.
import { cidrContains, parseCidr, type Cidr } from '../core/cidr.js';
import { parseDuration } from '../core/duration.js';
import { parseInstant } from '../revocation/parse.js';
import type { HistoryRow } from './reconstruct.js';

export interface HistoryFilter {
  since: number | null;
  until: number | null;
  user: string | null;
  from: Cidr | null;
}

export interface FilterOptions {
  since?: string;
  until?: string;
  user?: string;
  from?: string;
}

/** ISO-8601 with a zone, or a duration back from now (`24h` = since 24 hours ago). */
export function parseWhen(text: string, now: number): number | null {
  const instant = parseInstant(text);
  if (instant !== null) return instant;
  const d = parseDuration(text);
  return d.ok && d.ms !== null ? now - d.ms : null;
}

/** The filter, or the message for the first bad option (the caller exits 2 with it). */
export function parseFilter(o: FilterOptions, now: number): HistoryFilter | string {
  const when = (flag: string, text: string | undefined): number | null | string => {
    if (text === undefined) return null;
    return (
      parseWhen(text, now) ??
      `${flag} ${text}: not an ISO-8601 time with a zone (2026-11-24T09:00:00Z) or a duration back from now (24h, 7d)`
    );
  };
  const since = when('--since', o.since);
  if (typeof since === 'string') return since;
  const until = when('--until', o.until);
  if (typeof until === 'string') return until;
  if (since !== null && until !== null && until < since) return `--until is before --since`;
  let from: Cidr | null = null;
  if (o.from !== undefined) {
    const c = parseCidr(o.from);
    if ('error' in c) return `--from ${o.from}: ${c.error}`;
    from = c;
  }
  if (o.user !== undefined && o.user === '') return '--user needs a name';
  return { since, until, user: o.user ?? null, from };
}

/**
 * The interval a row may cover. An unknown start may lie before anything in the log, and an unknown end
 * after the log: for "who was on between A and B" a session that may have been is shown (with its
 * unknowns), not hidden.
 */
export function rowSpan(r: HistoryRow): { from: number; to: number } {
  const e = r.ending;
  const to = e.kind === 'ended' ? e.at : e.kind === 'daemon_down' ? e.before : Number.POSITIVE_INFINITY; // still on, unknown
  return { from: r.startedAt ?? Number.NEGATIVE_INFINITY, to };
}

export function matchesFilter(r: HistoryRow, f: HistoryFilter): boolean {
  if (f.user !== null && r.user !== f.user && !(/^[0-9]+$/.test(f.user) && r.uid === Number(f.user))) return false;
  if (f.since !== null || f.until !== null) {
    const span = rowSpan(r);
    if (f.since !== null && span.to < f.since) return false;
    if (f.until !== null && span.from > f.until) return false;
  }
  if (f.from !== null) {
    const range = f.from;
    if (!(r.from !== null && cidrContains(range, r.from)) && !r.clients.some((c) => cidrContains(range, c)))
      return false;
  }
  return true;
}
