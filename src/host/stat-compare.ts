// Whether a freshly read /proc/PID/stat line says the same as the entry kept for that pid, looked at in
// the read buffer itself: no string, no object. Each pass re-reads every candidate (sessions/snapshot.ts);
// under a flood of 2,000 look-alikes that was ~4,000 stat lines a pass turned into strings and objects,
// most of the daemon's garbage and of its memory peak (docs/architecture.md, "Speed").
import type { ProcStat } from './proc.js';

const OPEN = 0x28; // (
const CLOSE = 0x29; // )
const SPACE = 0x20;

/**
 * True if bytes [0, n) of `buf` are a stat line with the same pid, comm, state, ppid, session, tty_nr
 * and start time as `known`. False whenever unsure (the caller then parses the line as usual). comm may
 * hold spaces and parentheses, so it ends at the LAST ')' (as parseStat reads it).
 */
export function statUnchanged(buf: Uint8Array, n: number, known: ProcStat): boolean {
  let close = n - 1;
  while (close >= 0 && buf[close] !== CLOSE) close--;
  let open = 0;
  while (open < n && buf[open] !== OPEN) open++;
  if (open < 2 || close < open || close + 2 >= n) return false;
  if (numberAt(buf, 0, open - 1) !== known.pid) return false;
  const comm = known.comm;
  if (close - open - 1 !== comm.length) return false;
  for (let i = 0; i < comm.length; i++) if (buf[open + 1 + i] !== comm.charCodeAt(i)) return false;
  if (buf[close + 2] !== known.state.charCodeAt(0)) return false;
  // Fields from 3 (state) on, each after one space; the numbers wanted are 4, 6, 7 and 22.
  let at = close + 2;
  for (let field = 3; field <= 22; field++) {
    let end = at;
    while (end < n && buf[end] !== SPACE && buf[end] !== 0x0a) end++;
    const want =
      field === 4
        ? known.ppid
        : field === 6
          ? known.session
          : field === 7
            ? known.ttyNr
            : field === 22
              ? known.startTicks
              : null;
    if (want !== null && numberAt(buf, at, end) !== want) return false;
    if (end >= n && field < 22) return false;
    at = end + 1;
  }
  return true;
}

/** The decimal number in bytes [from, to), or NaN (a sign, no digits, anything else). */
function numberAt(buf: Uint8Array, from: number, to: number): number {
  if (to <= from) return NaN;
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return v;
}
