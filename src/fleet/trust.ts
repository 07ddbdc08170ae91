// Which files one service may take from the other (docs/fleet.md, "Files between the services"). The
// daemon and the fleet service run as different users, so "owned by root" (the rule for the revocation
// file) cannot hold for the files they exchange. The rule instead: a regular file, writable by its owner
// only, owned by root or by the owner of its directory, in a directory that only its owner (or root)
// can write to. Whoever owns the directory (systemd's StateDirectory=/RuntimeDirectory=) owns the file;
// nobody else can have put it there or replaced it. Pure: no node: imports.

export interface StatLike {
  uid: number;
  mode: number;
  isFile: boolean;
  isDirectory: boolean;
}

export function trustProblem(file: StatLike, dir: StatLike): string | null {
  const octal = (m: number) => (m & 0o7777).toString(8).padStart(4, '0');
  if (!dir.isDirectory) return 'its directory is not a directory';
  if (dir.mode & 0o022) return `its directory is writable by group or others (mode ${octal(dir.mode)})`;
  if (!file.isFile) return 'not a regular file';
  if (file.mode & 0o022) return `writable by group or others (mode ${octal(file.mode)})`;
  if (file.uid !== 0 && file.uid !== dir.uid)
    return `owned by uid ${file.uid}, neither root nor the owner of its directory (uid ${dir.uid})`;
  return null;
}
