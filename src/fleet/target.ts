// Revocation targets as the fleet carries them: every kind the revocation file knows, plus
// `session:<host>/<pid>-<starttime>` (one session, by the id `sessions` shows). The file parser learns
// `session:` in phase 2 (docs/fleet.md, "For the daemon"); until then the fleet side parses it here and
// everything else goes through the file's own parser, so both sides agree on every other kind.
import type { RevocationTarget } from '../core/types.js';
import { targetKey } from '../host/revocation-edit.js';
import { parseTarget, targetText } from '../revocation/parse.js';
import { parseSessionId, sessionIdText, type SessionId } from './session-id.js';

export type FleetTarget = RevocationTarget | { kind: 'session'; id: SessionId };

export const SESSION_PREFIX = 'session:';

export function parseFleetTarget(text: string): FleetTarget | string {
  if (text.startsWith(SESSION_PREFIX)) {
    const id = parseSessionId(text.slice(SESSION_PREFIX.length));
    return typeof id === 'string' ? `session: ${id}` : { kind: 'session', id };
  }
  const t = parseTarget(text);
  return typeof t === 'string' ? t.replace('group: or from:)', 'group:, from: or session:)') : t;
}

/** Canonical text, as written to the file and used in keys. */
export function fleetTargetText(t: FleetTarget): string {
  return t.kind === 'session' ? SESSION_PREFIX + sessionIdText(t.id) : targetText(t);
}

/** Equal by value: `from:2001:0DB8::/32` is `from:2001:db8::/32`, `mw-alice` is `user:mw-alice`. */
export function sameFleetTarget(a: FleetTarget, b: FleetTarget): boolean {
  const key = (t: FleetTarget) => (t.kind === 'session' ? fleetTargetText(t) : targetKey(t));
  return key(a) === key(b);
}
