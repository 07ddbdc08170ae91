// Reading the revocation file safely. It decides whose sessions are ended, so it must be root's alone:
// owned by root and not writable by group or others (checked on the opened file, after following a
// symlink, so a swap between check and read cannot slip a user's file in).
import fs from 'node:fs';
import { parseRevocations, type ParsedRevocations } from '../revocation/parse.js';

/** A revocation file this large is not a list of revocations. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

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

export function readRevocationFile(path: string): ReadResult {
  return readRevocationFileWith(path, unsafeReason);
}

/**
 * The revocation file's read with another ownership rule (`unsafe` says why a file may not be trusted):
 * the fleet revocation file is the fleet service's, not root's (host/atomic.ts readTrustedRevocations).
 */
export function readRevocationFileWith(path: string, unsafe: (st: fs.Stats) => string | null): ReadResult {
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK); // a FIFO must not hang us
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, missing: code === 'ENOENT', message: `cannot open ${path}: ${code}` };
  }
  try {
    const st = fs.fstatSync(fd);
    const why = unsafe(st);
    if (why) return { ok: false, missing: false, message: `${path} is unsafe: ${why}` };
    if (st.size > MAX_FILE_BYTES)
      return { ok: false, missing: false, message: `${path} is larger than ${MAX_FILE_BYTES} bytes` };
    return { ok: true, parsed: parseRevocations(readAll(fd, st.size)), identity: identityOf(st) };
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
