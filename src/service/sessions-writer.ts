// The daemon's side of the sessions file (docs/fleet.md, "The sessions file"): written atomically after
// each pass that changed something, for the fleet service to publish. Only with a `fleet:` section.
import type { Policy } from '../core/types.js';
import { renderSessionsFile, sessionsChangeKey, type SessionRow } from '../fleet/sessions-file.js';
import type { Logger } from '../log/events.js';

export interface SessionsWriterDeps {
  log: Logger;
  /** Atomic write (host/atomic.ts writeFileAtomicSync). */
  write(path: string, text: string, mode: number): void;
}

/** What anyone may see with `who` anyway (docs/fleet.md): the fleet service's user reads it. */
const MODE = 0o644;

export class SessionsWriter {
  /** Path and change key of the last successful write; a failed write is tried again on the next call. */
  private written: { path: string; key: string } | null = null;
  private lastError: string | null = null;

  constructor(private readonly deps: SessionsWriterDeps) {}

  /** After a pass (or a session's end): writes the file if anything but the time changed. */
  update(policy: Policy, rows: readonly SessionRow[], now: number): void {
    const fleet = policy.fleet;
    if (fleet === undefined) {
      this.written = null; // a fleet: section added later writes at once
      return;
    }
    const key = sessionsChangeKey(fleet.host, rows);
    if (this.written?.path === fleet.sessionsFile && this.written.key === key) return;
    try {
      this.deps.write(fleet.sessionsFile, renderSessionsFile(fleet.host, rows, policy, now), MODE);
      this.written = { path: fleet.sessionsFile, key };
      this.lastError = null;
    } catch (e) {
      const message = `cannot write ${fleet.sessionsFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
      if (message === this.lastError) return; // said once; tried again on every pass
      this.lastError = message;
      this.deps.log.error(
        { event: 'daemon.problem', what: 'sessions_file', path: fleet.sessionsFile },
        `${message}; the fleet does not see this host's sessions until it can be written`,
      );
    }
  }
}
