// Files the fleet service and the daemon hand each other: written atomically (temp file in the same
// directory, fsync, rename over, fsync the directory), so a reader sees the old file or the new one,
// never a part, also across a crash; read only when the writer is the one it should be (fleet/trust.ts).
import fs from 'node:fs';
import path from 'node:path';
import { trustProblem, type StatLike } from '../fleet/trust.js';
import { identityOf, readRevocationFileWith, type FileIdentity, type ReadResult } from './revocation-file.js';

let counter = 0;

/** Writes `data` to `file` atomically (see writeFileAtomicSync), as a promise. */
export async function writeFileAtomic(file: string, data: string, mode: number): Promise<void> {
  writeFileAtomicSync(file, data, mode);
}

/**
 * Temp file, fsync, rename, directory fsync, synchronously: no thread-pool round trips between the steps (measured: with many hosts'
 * engines in one process the hops, not the writes, were the cost). A blocking fsync is harmless to the
 * fleet service, whose only other work is answering etcd.
 */
export function writeFileAtomicSync(file: string, data: string, mode: number): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${++counter}`);
  const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL;
  let fd: number;
  try {
    fd = fs.openSync(tmp, flags, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 }); // first write: the directory is missing
    fd = fs.openSync(tmp, flags, mode);
  }
  try {
    if (mode & 0o077) fs.fchmodSync(fd, mode); // the umask only ever removes bits
    fs.writeFileSync(fd, data, 'utf8');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  const dfd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(dfd); // the rename itself must survive a crash
  } finally {
    fs.closeSync(dfd);
  }
}

const like = (st: fs.Stats): StatLike => ({
  uid: st.uid,
  mode: st.mode,
  isFile: st.isFile(),
  isDirectory: st.isDirectory(),
});

export type TrustedRead =
  { ok: true; text: string; identity: FileIdentity } | { ok: false; missing: boolean; message: string };

/** Reads a file another service wrote, if its owner and modes say that service wrote it. */
export function readTrusted(file: string, maxBytes: number): TrustedRead {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, missing: code === 'ENOENT', message: `cannot open ${file}: ${code}` };
  }
  try {
    const st = fs.fstatSync(fd);
    const problem = trustProblem(like(st), like(fs.statSync(path.dirname(file))));
    if (problem) return { ok: false, missing: false, message: `${file} is not trusted: ${problem}` };
    if (st.size > maxBytes) return { ok: false, missing: false, message: `${file} is larger than ${maxBytes} bytes` };
    return { ok: true, text: fs.readFileSync(fd, 'utf8'), identity: identityOf(st) };
  } catch (e) {
    return { ok: false, missing: false, message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? e}` };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The fleet revocation file, read like the revocation file but under the trust rule above instead of
 * "owned by root": the fleet service writes it (docs/fleet.md, "The fleet revocation file").
 */
export function readTrustedRevocations(file: string): ReadResult {
  const trusted = (st: fs.Stats) => {
    try {
      return trustProblem(like(st), like(fs.statSync(path.dirname(file))));
    } catch (e) {
      return `cannot stat its directory: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
    }
  };
  return readRevocationFileWith(file, trusted, { maxLines: FLEET_MAX_LINES });
}

/**
 * The fleet's list is written by our own service, not by hand, and a fleet's terminations add lines for a
 * day each: it may hold more than the local file's 2,000 lines (the 1 MiB size cap still holds). A read of
 * 5,000 lines blocked the loop up to 65 ms on this machine under load (bench/RESULTS.md, "Revocation
 * file"): the price of a large fleet list, paid only when it changes.
 */
export const FLEET_MAX_LINES = 20_000;
