// The log lines the loop writes about what it saw (as opposed to what it did: src/act/).
import type { Jump } from '../core/clock-jump.js';
import type { Tamper } from '../core/pty-trust.js';
import type { Schedule, Session } from '../core/types.js';
import type { EventFields } from '../log/events.js';
import { sessionFields } from '../log/fields.js';
import type { ScanProblem } from '../sessions/discover.js';
import type { Change } from './tracker.js';

/** session.start / session.attach / session.detach for a change the tracker reported, or null. */
export function changeLine(change: Change, s: Session): { fields: EventFields; message: string } | null {
  switch (change) {
    case 'start':
      return {
        fields: {
          event: 'session.start',
          ...sessionFields(s),
          from: s.from,
          started_at: new Date(s.startedAt).toISOString(),
          state: s.state,
          client: s.client,
          groups: s.groups,
        },
        message: 'session found',
      };
    case 'attach':
      return { fields: { event: 'session.attach', ...sessionFields(s), client: s.client }, message: 'client attached' };
    case 'detach':
      return { fields: { event: 'session.detach', ...sessionFields(s), client: null }, message: 'client lost' };
    case null:
      return null;
  }
}

/** What a scan.problem line says: the operator's next step. */
export function problemMessage(p: ScanProblem): string {
  return p.what === 'utmp'
    ? 'utmp is missing or unreadable: attach state and client addresses are unknown'
    : `cannot read /proc/PID/${p.what} of other users' processes (${p.code}): needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH`;
}

/** schedule.run: a sweep fired and these sessions are ended by it. */
export function sweepLine(sw: Schedule, pids: number[], dryRun: boolean): [EventFields, string] {
  return [
    {
      event: 'schedule.run',
      schedule: sw.index,
      cron: sw.cron,
      terminate: sw.terminate,
      sessions: pids.length,
      pids,
      dry_run: dryRun,
    },
    `schedule ${sw.index} (${sw.cron}): ${pids.length} session(s) to end`,
  ];
}

/** session.tamper: a pty time was set by hand; idleness counts on from the last time the user really typed. */
export function tamperLine(s: Session, t: Tamper): [EventFields, string] {
  const clock = t.what === 'atime' ? 'input (atime)' : 'output (mtime)';
  return [
    { event: 'session.tamper', ...sessionFields(s), what: t.what, how: t.how },
    `the pty's ${clock} was ${t.how}; it is not counted as activity`,
  ];
}

/** daemon.clock_jump: the wall clock was stepped; what the daemon remembers was carried over. */
export function jumpLine(jump: Jump, sessions: number): [EventFields, string] {
  const secs = Math.abs(jump.deltaMs / 1000);
  return [
    { event: 'daemon.clock_jump', jump_ms: jump.deltaMs, sessions },
    `the wall clock jumped ${secs} s ${jump.deltaMs > 0 ? 'forward' : 'back'}; idle, age and detached times are carried over`,
  ];
}
