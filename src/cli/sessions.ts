// moshwarden sessions: read the host now and show what the daemon would decide. Needs no running daemon.
import { decide } from '../core/decide.js';
import type { Policy, Session, Verdict } from '../core/types.js';
import { observe } from '../daemon/tracker.js';
import { clock } from '../host/clock.js';
import { readTrustedRevocations } from '../host/atomic.js';
import { readRevocationFile } from '../host/revocation-file.js';
import { liveTerminal } from '../host/terminal.js';
import type { Discovery, ScanResult } from '../sessions/discover.js';
import { discoveryOnThisHost } from '../sessions/on-this-host.js';
import type { Io } from './io.js';
import { sessionJson, sessionsTable } from './session-view.js';
import { watchSessions } from './sessions-watch.js';

export interface SessionRows {
  rows: { session: Session; verdict: Verdict }[];
  problems: ScanResult['problems'];
  now: number;
  /** Why revocations are not shown, when the file cannot be used. */
  revocationNote: string | null;
}

/** One look at the host: every session with the verdict the daemon would reach now, by pid. */
export async function readSessionRows(discovery: Discovery, policy: Policy, full: boolean): Promise<SessionRows> {
  const { sessions, problems } = await discovery.scan(full);
  const now = clock.now();
  // Both lists the daemon decides against: the revocation file and, in a fleet, the fleet's file.
  const reads = [readRevocationFile(policy.revocationFile)];
  if (policy.fleet) reads.push(readTrustedRevocations(policy.fleet.revocationFile));
  const notes = reads.flatMap((f) => (!f.ok && !f.missing ? [f.message] : []));
  const revocationNote =
    notes.length > 0
      ? `${notes.join('; ')}; its revocations are not shown (the daemon keeps its last good list)`
      : null;
  const revocations = reads.flatMap((f) => (f.ok ? f.parsed.entries : []));
  // One reading, as the daemon's first pass sees it: pty times set by hand are not counted (tracker.ts).
  const rows = sessions
    .map((raw) => observe(undefined, raw, now).tracked.session)
    .map((session) => ({ session, verdict: decide(session, policy, revocations, now) }));
  rows.sort((a, b) => a.session.pid - b.session.pid);
  return { rows, problems, now, revocationNote };
}

export async function listSessions(
  policy: Policy,
  json: boolean,
  io: Io,
  watchMs: number | null = null,
  wide = false,
): Promise<void> {
  const discovery = discoveryOnThisHost(policy.fleet?.host);
  if (watchMs !== null) {
    return watchSessions(
      policy,
      watchMs,
      async (first) => {
        const r = await readSessionRows(discovery, policy, first);
        return {
          rows: r.rows,
          now: r.now,
          notes: [...(r.revocationNote ? [r.revocationNote] : []), ...problemNotes(r.problems)],
        };
      },
      liveTerminal(),
    );
  }
  const { rows, problems, now, revocationNote } = await readSessionRows(discovery, policy, true);
  if (revocationNote) io.err.write(`note: ${revocationNote}\n`);
  if (json) {
    io.out.write(
      JSON.stringify(
        rows.map((r) => sessionJson(r.session, r.verdict, policy, now)),
        null,
        2,
      ) + '\n',
    );
  } else {
    io.out.write((rows.length ? sessionsTable(rows, policy, now, undefined, { wide }) : 'no mosh sessions') + '\n');
  }
  for (const note of problemNotes(problems)) io.err.write(`note: ${note}\n`);
}

export function problemNotes(problems: ScanResult['problems']): string[] {
  return problems.map((p) =>
    p.what === 'utmp'
      ? 'utmp is missing or unreadable; attach state is unknown'
      : `cannot read /proc/PID/${p.what} of some processes (${p.code}); run as root for a complete view`,
  );
}
