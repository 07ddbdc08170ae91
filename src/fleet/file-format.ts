// The fleet revocation file: the revocation file's own line format (README, "Revoking access"), one line
// per entry, with a header comment that carries the etcd revision the list is from. The daemon reads it
// as a second revocation source; the fleet service reads it back at start (the list in force while etcd
// cannot be reached). Every line is read back before it is written: what the file says is exactly the
// entry meant (docs/fleet.md, "The fleet revocation file"). Pure: no node: imports.
import { parseRevocations, quoteReason } from '../revocation/parse.js';
import type { FleetEntry } from './entries.js';
import { fleetTargetText, parseFleetTarget, sameFleetTarget } from './target.js';

export interface FileList {
  revision: number;
  entries: { target: string; reason: string | null; until: number | null }[];
}

const HEADER = '# moshwarden fleet revocations: written by `moshwarden fleet` from etcd; do not edit';
const REVISION_RE = /^# revision=(0|[1-9][0-9]{0,18}) prefix=(\S+) entries=(\d+)$/;

export function entryLine(e: Pick<FleetEntry, 'target' | 'reason' | 'until'>): string | null {
  let line = fleetTargetText(e.target);
  if (e.reason !== null) {
    const q = quoteReason(e.reason);
    if (q === null) return null;
    line += ` reason=${q}`;
  }
  if (e.until !== null) line += ` until=${new Date(e.until).toISOString()}`;
  line += '\n';
  const back = readLine(line);
  if (back === null) return null;
  const same = back.reason === e.reason && back.until === e.until && sameTarget(back.target, fleetTargetText(e.target));
  return same ? line : null;
}

function sameTarget(a: string, b: string): boolean {
  const ta = parseFleetTarget(a);
  const tb = parseFleetTarget(b);
  return typeof ta !== 'string' && typeof tb !== 'string' && sameFleetTarget(ta, tb);
}

/** One complete line read exactly as the daemon reads it (revocation/parse.ts), or null if it is not one entry. */
export function readLine(line: string): { target: string; reason: string | null; until: number | null } | null {
  const parsed = parseRevocations(line);
  if (parsed.entries.length !== 1 || parsed.errors.length !== 0 || parsed.pendingBytes !== 0) return null;
  const e = parsed.entries[0]!;
  return { target: fleetTargetText(e.target), reason: e.reason, until: e.until };
}

/** Each entry's line, checked once: entries are never changed, a changed value is a new entry. */
const lines_ = new WeakMap<FleetEntry, string | null>();

/** The whole file. Entries whose line would not read back are left out and returned as `dropped`. */
export function renderFile(
  entries: readonly FleetEntry[],
  revision: number,
  prefix: string,
): { text: string; dropped: FleetEntry[] } {
  const lines: string[] = [];
  const dropped: FleetEntry[] = [];
  for (const e of [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    let line = lines_.get(e);
    if (line === undefined) lines_.set(e, (line = entryLine(e)));
    if (line === null) dropped.push(e);
    else lines.push(line);
  }
  const head = `${HEADER}\n# revision=${revision} prefix=${prefix} entries=${lines.length}\n`;
  return { text: head + lines.join(''), dropped };
}

/** Reads a file this module wrote; null when it is not one (then nothing is assumed about it). */
export function parseFile(text: string, prefix: string): FileList | null {
  const lines = text.split('\n');
  if (lines[0] !== HEADER) return null;
  const m = REVISION_RE.exec(lines[1] ?? '');
  if (!m || m[2] !== prefix) return null;
  if (!text.endsWith('\n')) return null; // cut short: not a file we finished
  const entries: FileList['entries'] = [];
  for (const l of lines.slice(2, -1)) {
    const e = readLine(l + '\n');
    if (e === null) return null;
    entries.push(e);
  }
  if (entries.length !== Number(m[3])) return null;
  return { revision: Number(m[1]), entries };
}
