// `revoked/<target>` values: `{target, reason, until, by, at}` (docs/fleet.md). A value is taken only
// when it describes exactly one entry the revocation file can carry: its target parses, names the same
// target as its key, its reason can be quoted on one line and its until is ISO-8601 with a zone.
// Anything else is skipped with the reason why (logged by the caller) — never guessed at, never widened.
// Pure: no node: imports.
import { parseInstant, quoteReason } from '../revocation/parse.js';
import { fleetTargetText, parseFleetTarget, sameFleetTarget, type FleetTarget } from './target.js';

export const MAX_REASON = 500;
/** A value this large is not a revocation. */
export const MAX_VALUE_BYTES = 8192;

export interface FleetEntry {
  /** The etcd key, in full. */
  key: string;
  target: FleetTarget;
  reason: string | null;
  /** Epoch ms; null = never lapses. */
  until: number | null;
  by: string | null;
  at: string | null;
  modRevision: number;
}

export type Decoded = { ok: true; entry: FleetEntry } | { ok: false; key: string; message: string };

export interface RevocationValue {
  target: string;
  reason: string | null;
  until: string | null;
  by: string;
  at: string;
}

export function decodeRevocation(key: string, keyTarget: string, value: string, modRevision: number): Decoded {
  const bad = (message: string): Decoded => ({ ok: false, key, message });
  const fromKey = parseFleetTarget(keyTarget);
  if (typeof fromKey === 'string') return bad(`the key's target does not parse: ${fromKey}`);
  if (value.length > MAX_VALUE_BYTES) return bad(`value larger than ${MAX_VALUE_BYTES} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    return bad('value is not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad('value is not a JSON object');
  const o = v as Record<string, unknown>;
  if (typeof o.target !== 'string') return bad('value has no "target" string');
  const target = parseFleetTarget(o.target);
  if (typeof target === 'string') return bad(`value's target does not parse: ${target}`);
  if (!sameFleetTarget(target, fromKey))
    return bad(`key names ${fleetTargetText(fromKey)} but the value names ${fleetTargetText(target)}`);
  const reason = o.reason ?? null;
  if (reason !== null && (typeof reason !== 'string' || reason.length > MAX_REASON || quoteReason(reason) === null))
    return bad(`"reason" must be null or one line of at most ${MAX_REASON} characters`);
  const untilText = o.until ?? null;
  let until: number | null = null;
  if (untilText !== null) {
    until = typeof untilText === 'string' ? parseInstant(untilText) : null;
    if (until === null) return bad('"until" must be null or ISO-8601 with a zone, like 2026-12-01T00:00:00Z');
  }
  const text = (x: unknown) => (typeof x === 'string' ? x : null);
  return { ok: true, entry: { key, target: fromKey, reason, until, by: text(o.by), at: text(o.at), modRevision } };
}

export function encodeRevocation(v: RevocationValue): string {
  return JSON.stringify(v);
}
