// moshwarden sessions: read the host now and show what the daemon would decide. Needs no running daemon.
import { decide } from '../core/decide.js';
import { observe } from '../daemon/tracker.js';
import type { Policy } from '../core/types.js';
import { clock } from '../host/clock.js';
import { readRevocationFile } from '../host/revocation-file.js';
import { discoveryOnThisHost } from '../sessions/on-this-host.js';
import type { Io } from './io.js';
import { sessionJson, sessionsTable } from './session-view.js';

export async function listSessions(policy: Policy, json: boolean, io: Io): Promise<void> {
  const discovery = discoveryOnThisHost();
  const { sessions, problems } = await discovery.scan(true);
  const now = clock.now();
  const file = readRevocationFile(policy.revocationFile);
  if (!file.ok && !file.missing) {
    io.err.write(`note: ${file.message}; revocations are not shown (the daemon keeps its last good list)\n`);
  }
  const revocations = file.ok ? file.parsed.entries : [];
  // One reading, as the daemon's first pass sees it: pty times set by hand are not counted (tracker.ts).
  const rows = sessions
    .map((raw) => observe(undefined, raw, now).tracked.session)
    .map((session) => ({ session, verdict: decide(session, policy, revocations, now) }));
  rows.sort((a, b) => a.session.pid - b.session.pid);
  if (json) {
    io.out.write(
      JSON.stringify(
        rows.map((r) => sessionJson(r.session, r.verdict, policy, now)),
        null,
        2,
      ) + '\n',
    );
  } else {
    io.out.write((rows.length ? sessionsTable(rows, policy, now) : 'no mosh sessions') + '\n');
  }
  for (const p of problems) {
    if (p.what === 'utmp') io.err.write('note: utmp is missing or unreadable; attach state is unknown\n');
    else {
      io.err.write(
        `note: cannot read /proc/PID/${p.what} of some processes (${p.code}); run as root for a complete view\n`,
      );
    }
  }
}
