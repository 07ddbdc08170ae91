// moshwarden sessions: read the host now and show what the daemon would decide. Needs no running daemon.
import { decide } from '../core/decide.js';
import type { Policy, Session, Verdict } from '../core/types.js';
import { createNss } from '../host/nss.js';
import { system } from '../host/system.js';
import { readRevocationFile } from '../revocation/file.js';
import { Discovery, type ScanResult } from '../sessions/discover.js';
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
  const now = system.now();
  const file = readRevocationFile(policy.revocationFile);
  const revocationNote =
    !file.ok && !file.missing
      ? `${file.message}; revocations are not shown (the daemon keeps its last good list)`
      : null;
  const revocations = file.ok ? file.parsed.entries : [];
  const rows = sessions.map((session) => ({ session, verdict: decide(session, policy, revocations, now) }));
  rows.sort((a, b) => a.session.pid - b.session.pid);
  return { rows, problems, now, revocationNote };
}

export async function listSessions(policy: Policy, json: boolean, watchMs: number | null = null): Promise<void> {
  const discovery = new Discovery({ nss: createNss() });
  if (watchMs !== null) {
    return watchSessions(policy, watchMs, async (first) => {
      const r = await readSessionRows(discovery, policy, first);
      return {
        rows: r.rows,
        now: r.now,
        notes: [...(r.revocationNote ? [r.revocationNote] : []), ...problemNotes(r.problems)],
      };
    });
  }
  const { rows, problems, now, revocationNote } = await readSessionRows(discovery, policy, true);
  if (revocationNote) process.stderr.write(`note: ${revocationNote}\n`);
  if (json) {
    process.stdout.write(
      JSON.stringify(
        rows.map((r) => sessionJson(r.session, r.verdict, policy, now)),
        null,
        2,
      ) + '\n',
    );
  } else {
    process.stdout.write((rows.length ? sessionsTable(rows, policy, now) : 'no mosh sessions') + '\n');
  }
  for (const note of problemNotes(problems)) process.stderr.write(`note: ${note}\n`);
}

export function problemNotes(problems: ScanResult['problems']): string[] {
  return problems.map((p) =>
    p.what === 'utmp'
      ? 'utmp is missing or unreadable; attach state is unknown'
      : `cannot read /proc/PID/${p.what} of some processes (${p.code}); run as root for a complete view`,
  );
}
