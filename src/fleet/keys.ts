// The etcd key layout under the configured prefix (docs/fleet.md, "Keys"):
//   <prefix>revoked/<target>                  {target, reason, until, by, at}       written by admins
//   <prefix>hosts/<host>                      {host, since, sessions, ...}          each host's own, on its lease
//   <prefix>sessions/<host>/<pid>-<start>     the `sessions --json` element, with id, on the host's lease
// A session's key is `sessions/` + its id (the id begins with the host), so a host's sessions are one prefix.
// Pure: no node: imports.
import { isValidHost } from './session-id.js';

export const DEFAULT_PREFIX = '/moshwarden/v1/';

export interface KeyLayout {
  prefix: string;
  revoked: string;
  hosts: string;
  sessions: string;
}

/** A prefix must start and end with `/` (so `/a/` never shares keys with `/ab/`). */
export function prefixProblem(prefix: string): string | null {
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) return 'must start and end with "/", like /moshwarden/v1/';
  if (/[\s\u0000-\u001f\u007f]/.test(prefix)) return 'must not contain white space or control characters';
  if (prefix.includes('//')) return 'must not contain "//"';
  return null;
}

export function keyLayout(prefix: string): KeyLayout {
  return { prefix, revoked: `${prefix}revoked/`, hosts: `${prefix}hosts/`, sessions: `${prefix}sessions/` };
}

export function revokedKey(k: KeyLayout, targetText: string): string {
  return k.revoked + targetText;
}

export function hostKey(k: KeyLayout, host: string): string {
  if (!isValidHost(host)) throw new Error(`internal: bad host ${host}`);
  return k.hosts + host;
}

/** The prefix of one host's session keys. */
export function hostSessionsPrefix(k: KeyLayout, host: string): string {
  return `${hostKey(k, host).replace(k.hosts, k.sessions)}/`;
}

export function sessionKey(k: KeyLayout, id: string): string {
  return k.sessions + id;
}

/** What follows `under` in `key`, or null when the key is not under it. */
export function keyTail(key: string, under: string): string | null {
  return key.startsWith(under) && key.length > under.length ? key.slice(under.length) : null;
}
