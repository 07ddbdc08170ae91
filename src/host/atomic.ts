// Files the fleet service and the daemon hand each other: written atomically (temp file in the same
// directory, fsync, rename over, fsync the directory), so a reader sees the old file or the new one,
// never a part, also across a crash; read only when the writer is the one it should be (fleet/trust.ts).
import fs from 'node:fs';
import path from 'node:path';
import { trustProblem, type StatLike } from '../fleet/trust.js';
import { identityOf, type FileIdentity } from '../revocation/file.js';

let counter = 0;

export async function writeFileAtomic(file: string, data: string, mode: number): Promise<void> {
  const dir = path.dirname(file);
  await fs.promises.mkdir(dir, { recursive: true, mode: 0o755 });
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${++counter}`);
  const fh = await fs.promises.open(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, mode);
  try {
    await fh.chmod(mode); // the umask must not decide what the reader is allowed to trust
    await fh.writeFile(data, 'utf8');
    await fh.sync();
  } catch (e) {
    await fh.close();
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
  const dh = await fs.promises.open(dir, 'r');
  try {
    await dh.sync(); // the rename itself must survive a crash
  } finally {
    await dh.close();
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
