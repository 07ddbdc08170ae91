// Whether a path is root's alone, in the spirit of sshd's StrictModes: the revocation file decides whose
// sessions end, so whoever can swap it (or a directory or symlink on its way) can lift a revocation.
// Every directory on the resolved path must be owned by root and writable by no one else; a symlink on the
// way must be root's and is followed here, one component at a time, so its own directory is checked too.
// A sticky directory writable by others (/tmp) is allowed only where the entry in it is root's: the
// kernel lets no one but the entry's owner, the directory's owner or root rename or remove it.
// See README.md, "Revoking access".
import fs from 'node:fs';
import path from 'node:path';

export type Resolved = { ok: true; real: string } | { ok: false; missing: boolean; message: string };

/** Symlinks followed at most (the kernel's own limit is 40). */
const MAX_LINKS = 40;

/**
 * The real path of `file` when it and every directory and symlink on its way are root's alone; why not,
 * otherwise. The final file's own owner and mode are the caller's to check, on the file it opens.
 */
export function resolveRootOnly(file: string): Resolved {
  if (!path.isAbsolute(file)) return { ok: false, missing: false, message: `${file} is not an absolute path` };
  let todo = file.split('/').filter((c) => c !== '' && c !== '.');
  let cur = '/';
  let dir: fs.Stats;
  try {
    dir = fs.lstatSync('/');
  } catch (e) {
    return failed(file, e);
  }
  const rootDir = dir;
  const rootWhy = directoryProblem(dir);
  if (rootWhy) return unsafe(file, `/ ${rootWhy}`);
  let links = 0;
  while (todo.length > 0) {
    const name = todo.shift()!;
    if (name === '..') {
      cur = path.dirname(cur); // an ancestor: already checked on the way down
      dir = fs.lstatSync(cur);
      continue;
    }
    const next = path.join(cur, name);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(next);
    } catch (e) {
      return failed(file, e);
    }
    if (dir.mode & 0o022 && st.uid !== 0)
      return unsafe(file, `${next} is owned by uid ${st.uid} in ${cur}, a directory others may write to`);
    if (st.isSymbolicLink()) {
      // Only root may have made it (or may replace it): a user's link is a user's choice of file.
      if (st.uid !== 0) return unsafe(file, `symlink ${next} is owned by uid ${st.uid}, not root`);
      if (++links > MAX_LINKS) return { ok: false, missing: false, message: `cannot open ${file}: ELOOP` };
      const target = fs.readlinkSync(next);
      todo = [...target.split('/').filter((c) => c !== '' && c !== '.'), ...todo];
      if (target.startsWith('/')) {
        cur = '/';
        dir = rootDir;
      }
      continue;
    }
    if (todo.length === 0) return { ok: true, real: next };
    if (!st.isDirectory()) return { ok: false, missing: false, message: `cannot open ${file}: ENOTDIR` };
    const why = directoryProblem(st);
    if (why) return unsafe(file, `${next} ${why}`);
    cur = next;
    dir = st;
  }
  return { ok: true, real: cur };
}

/** Why a directory on the way is not root's alone, or null. Sticky and writable is judged per entry. */
export function directoryProblem(st: fs.Stats): string | null {
  if (st.uid !== 0) return `is owned by uid ${st.uid}, not root`;
  if (st.mode & 0o022 && !(st.mode & 0o1000)) {
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    return `is writable by ${st.mode & 0o020 ? 'group' : 'others'} (mode ${mode})`;
  }
  return null;
}

function unsafe(file: string, why: string): Resolved {
  return { ok: false, missing: false, message: `${file} is unsafe: ${why}` };
}

function failed(file: string, e: unknown): Resolved {
  const code = (e as NodeJS.ErrnoException).code;
  return { ok: false, missing: code === 'ENOENT', message: `cannot open ${file}: ${code ?? String(e)}` };
}
