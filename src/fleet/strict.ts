// Strict mode (`fleet.strict`, docs/fleet.md "Strict mode"): when the host has been out of contact with
// etcd for longer than `strict`, every session that is not exempt ends, and none starts, until contact
// returns. The daemon reads the fleet service's status file for the last contact. Pure: no node: imports.
import type { Revocation } from '../core/types.js';
import type { FleetStatus } from './status.js';

export interface StrictInput {
  strictMs: number;
  /** When the daemon started: with no trusted status since, the host counts as out of contact since then. */
  startedAt: number;
  /** The last contact a trusted status file reported (the newest seen), or null if none did yet. */
  lastContact: number | null;
  now: number;
}

/** Contact counts from the last contact reported, else from the daemon's start. */
export function contactBasis(i: Pick<StrictInput, 'startedAt' | 'lastContact'>): number {
  return i.lastContact ?? i.startedAt;
}

/** True when strict mode must end sessions now. */
export function outOfContact(i: StrictInput): boolean {
  return i.now - contactBasis(i) > i.strictMs;
}

/**
 * The newest last contact known, from the previous one and a status just read. A status that cannot be
 * read or trusted changes nothing: the contact it would have reported never happened as far as the
 * daemon knows, so the time since the last known contact keeps growing (fail closed).
 */
export function newestContact(previous: number | null, status: FleetStatus | null): number | null {
  const t = status?.last_contact ? Date.parse(status.last_contact) : NaN;
  if (!Number.isFinite(t)) return previous;
  return previous === null ? t : Math.max(previous, t);
}

/** The entry strict mode puts in force: it ends sessions with reason `revoked`, target `fleet:strict`. */
export function strictEntry(basis: number, strictMs: number, started: boolean): Revocation {
  const since = started
    ? `since the daemon started at ${new Date(basis).toISOString()}`
    : `since ${new Date(basis).toISOString()}`;
  return {
    target: { kind: 'fleet-strict' },
    line: 0,
    reason: `no contact with etcd ${since} (fleet.strict ${Math.round(strictMs / 1000)}s)`,
    until: null,
    source: 'strict',
  };
}
