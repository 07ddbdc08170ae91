// Host boundary: how /dev/pts is mounted, and whether this process can write to the ptys on it.
import fs from 'node:fs';

export interface DevptsMount {
  /** The `gid=` option: the group new ptys get (Debian: 5, tty); null when absent (the creator's group). */
  gid: number | null;
  /** The `mode=` option (Debian: 0620); 0600 when absent, as the kernel defaults. */
  mode: number;
}

/** The mount options of the devpts instance at /dev/pts (the last, topmost mount), or null. */
export function devptsMount(): DevptsMount | null {
  let text: string;
  try {
    text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return null;
  }
  let found: DevptsMount | null = null;
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (left?.split(' ')[4] !== '/dev/pts' || !right?.startsWith('devpts ')) continue;
    const options = right.split(' ')[2] ?? '';
    const gid = /(?:^|,)gid=(\d+)/.exec(options);
    const mode = /(?:^|,)mode=([0-7]+)/.exec(options);
    found = { gid: gid ? Number(gid[1]) : null, mode: mode ? parseInt(mode[1]!, 8) : 0o600 };
  }
  return found;
}

/** This process's identity as far as writing to a pty goes. */
export function writerIdentity(): { uid: number; groups: number[] } {
  return { uid: process.geteuid?.() ?? -1, groups: [process.getegid?.() ?? -1, ...(process.getgroups?.() ?? [])] };
}
