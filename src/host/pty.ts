// The session's pty slave: its timestamps tell idleness, and writing to it reaches the user's screen.
import fs from 'node:fs';
import type { PtyTimes } from '../core/types.js';

/**
 * The pty's inode times. The kernel's own updates are whole seconds; a time set with utimes usually is
 * not (core/pty-trust.ts). `atimeMs` is a double: nanoseconds below ~250 ns are lost, which only makes a
 * hand-set time look whole — and utimes always changes ctime, which the rules check anyway. Not the
 * bigint stat: at 2,000 sessions per pass its 20 BigInts a call were most of a pass's garbage.
 */
export function statPty(tty: string): PtyTimes | null {
  try {
    const st = fs.statSync(ptyPath(tty));
    return {
      atimeMs: st.atimeMs,
      mtimeMs: st.mtimeMs,
      ctimeMs: st.ctimeMs,
      atimeWhole: st.atimeMs % 1000 === 0,
      mtimeWhole: st.mtimeMs % 1000 === 0,
    };
  } catch {
    return null;
  }
}

export function ptyPath(tty: string): string {
  return `/dev/${tty}`;
}

export type WriteResult =
  { ok: true; mtimeBefore: number | null; mtimeAfter: number | null } | { ok: false; code: string };

/**
 * Writes a message to the pty. O_NONBLOCK: a pty whose buffer is full (a stopped session) must not hang
 * the daemon; O_NOCTTY: opening a tty must never make it our controlling terminal.
 * Returns the mtime before and after, so the caller can discount its own write as output activity; a
 * closing line (`times` false) skips those two stats, as it goes out in the same loop as 200 SIGTERMs.
 */
export function writeToPty(tty: string, text: string, times = true): WriteResult {
  const path = ptyPath(tty);
  let fd: number | undefined;
  try {
    const before = times ? fs.statSync(path).mtimeMs : null;
    fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK);
    const data = Buffer.from(text, 'utf8');
    const written = fs.writeSync(fd, data);
    if (written < data.length) return { ok: false, code: 'EAGAIN' };
    return { ok: true, mtimeBefore: before, mtimeAfter: times ? fs.fstatSync(fd).mtimeMs : null };
  } catch (e) {
    return { ok: false, code: (e as NodeJS.ErrnoException).code ?? 'EIO' };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
