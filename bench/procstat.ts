// CPU time and memory of one process, as the kernel accounts them in /proc.
import { readFileSync } from 'node:fs';
import { CLOCK_TICKS_PER_SECOND } from '../src/host/proc.js';

export interface CpuTicks {
  /** utime + stime of the process itself (all its threads). */
  own: number;
  /** cutime + cstime: children it has waited for (ps-list's `ps`, getent). */
  children: number;
}

/** Fields 14-17 of /proc/PID/stat, in clock ticks (CLOCK_TICKS_PER_SECOND); null if the process is gone. */
export function cpuTicks(pid: number | 'self'): CpuTicks | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // comm may contain spaces: split after the last ')'; field N is rest[N - 3].
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { own: Number(rest[11]) + Number(rest[12]), children: Number(rest[13]) + Number(rest[14]) };
}

export const ticksToMs = (ticks: number): number => (ticks * 1000) / CLOCK_TICKS_PER_SECOND;

export interface Memory {
  /** Resident set now, kB. */
  rssKb: number;
  /** Peak resident set since the process started (VmHWM), kB. */
  hwmKb: number;
}

export function memory(pid: number): Memory | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return null;
  }
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s*(\\d+) kB$`, 'm').exec(text)?.[1] ?? NaN);
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}
