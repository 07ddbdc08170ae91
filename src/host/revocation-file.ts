// Reading the revocation file safely. It decides whose sessions are ended, so it must be root's alone:
// owned by root and not writable by group or others (checked on the opened file), and so must every
// directory and symlink on its way (safe-path.ts). The daemon reads it on every change, synchronously, so
// its size and line count are capped to keep one read + parse well under 50 ms (bench/RESULTS.md,
// "Revocation file"): a larger file is refused before it is parsed (or, by size, before it is read).
import fs from 'node:fs';
import { parseRevocations, type ParsedRevocations } from '../revocation/parse.js';
import { resolveRootOnly } from './safe-path.js';

/** A revocation file this large is not a list of revocations (1 MiB: ~13,000 typical lines). */
export const MAX_FILE_BYTES = 1024 * 1024;
/**
 * Nor one of more lines than this. Parsing costs per line: 5,000 entries took 20-65 ms a read on this
 * 2-core machine under load, 2,000 stay well under 50 ms (bench/RESULTS.md, "Revocation file"). More than
 * hand-kept lists hold; the fleet's list comes through its own source.
 */
export const MAX_FILE_LINES = 2000;

export interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

export type ReadResult =
  { ok: true; parsed: ParsedRevocations; identity: FileIdentity } | { ok: false; missing: boolean; message: string };

export function identityOf(st: fs.Stats): FileIdentity {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
}

export function sameIdentity(a: FileIdentity | null, b: FileIdentity | null): boolean {
  return (
    a !== null &&
    b !== null &&
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeMs === b.mtimeMs &&
    a.ctimeMs === b.ctimeMs
  );
}

/** Why this file may not be trusted, or null when it may. */
export function unsafeReason(st: fs.Stats): string | null {
  if (!st.isFile()) return 'not a regular file';
  if (st.uid !== 0) return `owned by uid ${st.uid}, not root`;
  if (st.mode & 0o022)
    return `writable by ${st.mode & 0o020 ? 'group' : 'others'} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`;
  return null;
}

/** Why a file of this size and content would be refused, or null. */
export function capProblem(path: string, size: number, data?: Uint8Array, maxLines = MAX_FILE_LINES): string | null {
  if (size > MAX_FILE_BYTES) return `${path} is larger than ${MAX_FILE_BYTES} bytes`;
  if (data !== undefined && countLines(data, maxLines + 1) > maxLines) return `${path} has more than ${maxLines} lines`;
  return null;
}

/** Newlines in `data`, counting no further than `stop`. */
export function countLines(data: Uint8Array, stop = Infinity): number {
  let n = 0;
  for (let i = data.indexOf(0x0a); i !== -1 && n < stop; i = data.indexOf(0x0a, i + 1)) n++;
  return n;
}

export function readRevocationFile(path: string): ReadResult {
  const where = resolveRootOnly(path);
  if (!where.ok) return where;
  // O_NOFOLLOW: the path was resolved and checked link by link.
  return readRevocationFileWith(path, unsafeReason, { open: where.real, noFollow: true });
}

export interface ReadOptions {
  /** The path to open (default: `path`), e.g. the checked real path. */
  open?: string;
  noFollow?: boolean;
  /** The line cap (default MAX_FILE_LINES). */
  maxLines?: number;
}

/**
 * The revocation file's read with another ownership rule (`unsafe` says why a file may not be trusted):
 * the fleet revocation file is the fleet service's, not root's (host/atomic.ts readTrustedRevocations).
 */
export function readRevocationFileWith(
  path: string,
  unsafe: (st: fs.Stats) => string | null,
  opts: ReadOptions = {},
): ReadResult {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO must not hang us.
    const flags = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | (opts.noFollow ? fs.constants.O_NOFOLLOW : 0);
    fd = fs.openSync(opts.open ?? path, flags);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, missing: code === 'ENOENT', message: `cannot open ${path}: ${code}` };
  }
  try {
    const st = fs.fstatSync(fd);
    const why = unsafe(st);
    if (why) return { ok: false, missing: false, message: `${path} is unsafe: ${why}` };
    const big = capProblem(path, st.size); // before reading a byte of it
    if (big) return { ok: false, missing: false, message: big };
    const data = readAll(fd, st.size);
    // A chown or chmod while we read makes what we read untrusted: refused, the next read decides.
    const after = unsafe(fs.fstatSync(fd));
    if (after) return { ok: false, missing: false, message: `${path} is unsafe: ${after} (changed while being read)` };
    const long = capProblem(path, data.length, data, opts.maxLines);
    if (long) return { ok: false, missing: false, message: long };
    return { ok: true, parsed: parseRevocations(data), identity: identityOf(st) };
  } catch (e) {
    return {
      ok: false,
      missing: false,
      message: `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Up to `size` bytes from the start of an open file. A file truncated while we read gives what is there
 * (the next identity check sees the new size).
 */
export function readAll(fd: number, size: number): Buffer {
  const buf = Buffer.alloc(size);
  let off = 0;
  while (off < size) {
    const n = fs.readSync(fd, buf, off, size - off, off);
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off);
}

/** The file's identity now (following symlinks), or null if it cannot be stat'ed. */
export function statIdentity(path: string): FileIdentity | null {
  try {
    return identityOf(fs.statSync(path));
  } catch {
    return null;
  }
}
