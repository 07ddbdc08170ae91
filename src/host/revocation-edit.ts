// Changing the revocation file from the CLI: append one line atomically, or rewrite without some lines.
import fs from 'node:fs';
import path from 'node:path';
import type { RevocationTarget } from '../core/types.js';
import {
  capProblem,
  countLines,
  identityOf,
  MAX_FILE_LINES,
  readAll,
  sameIdentity,
  unsafeReason,
} from './revocation-file.js';
import { resolveRootOnly } from './safe-path.js';
import { completeLines, parseRevocations, targetText } from '../revocation/parse.js';

export class EditError extends Error {}

/**
 * Appends `line` (which must end in a newline) with one O_APPEND write and an fsync, so concurrent
 * appenders never interleave and the line is on disk when we return. Creates the file (root, 0600) and
 * its directory if missing. Refuses a file the daemon would not trust.
 * Returns true when a newline had to be added first because the file ended in an unfinished line.
 */
export function appendLine(file: string, line: string): { fixedUnterminated: boolean; created: boolean } {
  if (!line.endsWith('\n') || line.indexOf('\n') !== line.length - 1)
    throw new EditError('internal: one line expected');
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const existed = fs.existsSync(file);
  let fixedUnterminated = false;
  for (let attempt = 0; attempt < 10; attempt++) {
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
    try {
      const st = fs.fstatSync(fd);
      if (!existed && st.uid !== 0 && process.getuid?.() === 0) fs.fchownSync(fd, 0, 0);
      const unsafe = unsafeReason(fs.fstatSync(fd));
      if (unsafe)
        throw new EditError(
          `${file} is unsafe (${unsafe}); the daemon ignores it. Fix it first: chown root:root ${file} && chmod 600 ${file}`,
        );
      // The daemon's rules, all of them (host/revocation-file.ts): a line it would not read is not written.
      const where = resolveRootOnly(file);
      if (!where.ok) throw new EditError(`${where.message}; the daemon ignores it. Fix the path first`);
      // An editor may have left the last line without its newline; ours must not be glued onto it.
      const prefix = endsUnfinished(fd) ? '\n' : '';
      const data = Buffer.from(prefix + line, 'utf8');
      const size = fs.fstatSync(fd).size;
      const lines = countLines(readAll(fd, size)) + countLines(data);
      const big =
        capProblem(file, size + data.length) ??
        (lines > MAX_FILE_LINES ? `${file} would have more than ${MAX_FILE_LINES} lines` : null);
      if (big) throw new EditError(`${big}; the daemon would refuse the whole file. Remove lapsed entries first`);
      const n = fs.writeSync(fd, data);
      if (n !== data.length) throw new EditError(`short write to ${file} (${n} of ${data.length} bytes)`);
      fs.fsyncSync(fd);
      fixedUnterminated ||= prefix !== '';
      // `unrevoke` may have renamed a rewritten file over the one we wrote to. It carries over what it saw
      // appended to the old file, but a write that landed after it looked went away with the old inode:
      // if the file at the path is not ours any more and lacks our line, append it there too.
      if (isAt(file, fd) || hasLine(file, line)) return { fixedUnterminated, created: !existed };
    } finally {
      fs.closeSync(fd);
    }
  }
  throw new EditError(`${file} kept being replaced while appending to it; check it and try again`);
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * Whether the file ends in an unfinished line. Reads do not wait for a write in progress, so another
 * appender's line can be seen half-written (the size grows page by page): a last byte that is not a
 * newline counts only if the size then holds still for a moment.
 */
function endsUnfinished(fd: number): boolean {
  const last = Buffer.alloc(1);
  for (let i = 0; i < 20; i++) {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return false;
    if (fs.readSync(fd, last, 0, 1, size - 1) === 1 && last[0] === 0x0a) return false;
    Atomics.wait(PAUSE, 0, 0, 5);
    if (fs.fstatSync(fd).size === size) return true;
  }
  return true;
}

/** Whether `file` (following symlinks) is still the file open as `fd`. */
function isAt(file: string, fd: number): boolean {
  const a = fs.fstatSync(fd);
  try {
    const b = fs.statSync(file);
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

/** Whether `file` has `line` (ending in a newline) as one of its complete lines. */
function hasLine(file: string, line: string): boolean {
  try {
    return ('\n' + fs.readFileSync(file, 'utf8')).includes('\n' + line);
  } catch {
    return false;
  }
}

/**
 * Removes every complete line whose entry names `target`, keeping all other bytes as they were. The new
 * content is written to a temp file in the same directory (same owner and mode), fsync'ed and renamed
 * over, so no reader ever sees a partial file. If the file changed while we worked (a concurrent append),
 * we start again from the new content, so no appended line is lost.
 */
export function removeTarget(linkOrFile: string, target: RevocationTarget): number {
  // Rewrite the file a symlink points at, not the link itself, and only where the daemon would read it.
  const where = resolveRootOnly(linkOrFile);
  if (!where.ok) {
    if (where.missing) throw Object.assign(new Error(where.message), { code: 'ENOENT' });
    throw new EditError(`${where.message}; the daemon ignores it. Fix the path first`);
  }
  const file = where.real;
  const wanted = targetKey(target);
  for (let attempt = 0; attempt < 10; attempt++) {
    // Held open across the rename: an append that still lands on the old file is carried over below.
    const oldFd = fs.openSync(file, 'r');
    try {
      const removed = rewriteOnce(file, oldFd, wanted);
      if (removed !== null) return removed;
    } finally {
      fs.closeSync(oldFd);
    }
  }
  throw new EditError(`${file} kept changing while being rewritten; try again`);
}

/** One attempt; null when the file changed under us and the caller should try again. */
function rewriteOnce(file: string, oldFd: number, wanted: string): number | null {
  const st = fs.fstatSync(oldFd);
  const unsafe = unsafeReason(st);
  if (unsafe) throw new EditError(`${file} is unsafe (${unsafe}); the daemon ignores it. Fix it first`);
  const before = identityOf(st);
  const data = readAll(oldFd, st.size);
  const kept: Uint8Array[] = [];
  let removed = 0;
  const { lines, rest } = completeLines(data);
  for (const raw of lines) {
    const { entries } = parseRevocations(raw);
    if (entries.length === 1 && targetKey(entries[0]!.target) === wanted) removed++;
    else kept.push(raw);
  }
  kept.push(data.subarray(rest)); // an unfinished last line is not ours to judge: keep it
  if (removed === 0) return 0;

  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.moshwarden-${process.pid}`);
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, st.mode & 0o7777);
  try {
    fs.fchownSync(fd, st.uid, st.gid);
    fs.fchmodSync(fd, st.mode & 0o7777);
    fs.writeSync(fd, Buffer.concat(kept));
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  if (!sameIdentity(identityOf(fs.statSync(file)), before)) {
    fs.rmSync(tmp, { force: true }); // someone appended meanwhile: redo with their line in
    return null;
  }
  fs.renameSync(tmp, file);
  // An appender that opened the old file just before the rename wrote there: carry its bytes over.
  const late = fs.fstatSync(oldFd).size;
  if (late > data.length) {
    const extra = readAll(oldFd, late).subarray(data.length);
    const afd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND);
    try {
      fs.writeSync(afd, extra);
      fs.fsyncSync(afd);
    } finally {
      fs.closeSync(afd);
    }
  }
  const dfd = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dfd); // the rename itself must survive a crash
  } finally {
    fs.closeSync(dfd);
  }
  return removed;
}

/** Like targetText, but a `from:` range by its value, so 2001:0DB8::/32 is 2001:db8::/32 and 1.2.3.4 is 1.2.3.4/32. */
export function targetKey(t: RevocationTarget): string {
  return t.kind === 'from' ? `from:${Array.from(t.cidr.bytes).join('.')}/${t.cidr.prefix}` : targetText(t);
}
