// utmp: where mosh (through libutempter) records each session's attach state and client address.
// glibc's struct utmp on x86-64 and aarch64 is 384 bytes; the offsets below are that layout.
import fs from 'node:fs';

export const UTMP_PATH = '/var/run/utmp';
const RECORD_SIZE = 384;
const USER_PROCESS = 7;

export interface UtmpRecord {
  pid: number;
  line: string;
  user: string;
  host: string;
  /** ut_tv as epoch ms: for mosh records, when the record last changed (attach or detach). */
  time: number;
}

function cString(buf: Buffer, start: number, length: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end === -1 || end > start + length ? start + length : end);
}

/** Parses the live USER_PROCESS records; trailing partial records are ignored. */
export function parseUtmp(buf: Buffer): UtmpRecord[] {
  const out: UtmpRecord[] = [];
  for (let off = 0; off + RECORD_SIZE <= buf.length; off += RECORD_SIZE) {
    if (buf.readInt16LE(off) !== USER_PROCESS) continue;
    out.push({
      pid: buf.readInt32LE(off + 4),
      line: cString(buf, off + 8, 32),
      user: cString(buf, off + 44, 32),
      host: cString(buf, off + 76, 256),
      time: buf.readInt32LE(off + 340) * 1000 + Math.floor(buf.readInt32LE(off + 344) / 1000),
    });
  }
  return out;
}

export type MoshHost = { attached: true; client: string } | { attached: false };

/**
 * mosh writes `mosh [PID]` while nobody is connected and `<ip> via mosh [PID]` while a client is.
 * Anything else is not a mosh record.
 */
export function parseMoshHost(host: string): MoshHost | null {
  const m = /^(?:(\S+) via )?mosh \[\d+\]$/.exec(host);
  if (!m) return null;
  return m[1] === undefined ? { attached: false } : { attached: true, client: m[1] };
}

/** The records keyed by pid, or null when utmp does not exist or cannot be read (state then unknown). */
export function readUtmp(path = UTMP_PATH): Map<number, UtmpRecord> | null {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path);
  } catch {
    return null;
  }
  const byPid = new Map<number, UtmpRecord>();
  for (const r of parseUtmp(buf)) byPid.set(r.pid, r);
  return byPid;
}
