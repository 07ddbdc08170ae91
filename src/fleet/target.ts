// Revocation targets as the fleet carries them: exactly the revocation file's (revocation/parse.ts),
// `session:<host>/<pid>-<starttime>` included, so the fleet side and the daemon agree on every kind.
// Kept as names of their own because the fleet code reads better with them (docs/fleet.md, "Keys").
import type { RevocationTarget } from '../core/types.js';
import { targetKey } from '../host/revocation-edit.js';
import { parseTarget, targetText } from '../revocation/parse.js';

export type FleetTarget = RevocationTarget;

export function parseFleetTarget(text: string): FleetTarget | string {
  return parseTarget(text);
}

/** Canonical text, as written to the file and used in keys. */
export function fleetTargetText(t: FleetTarget): string {
  return targetText(t);
}

/** Equal by value: `from:2001:0DB8::/32` is `from:2001:db8::/32`, `mw-alice` is `user:mw-alice`. */
export function sameFleetTarget(a: FleetTarget, b: FleetTarget): boolean {
  return targetKey(a) === targetKey(b);
}
