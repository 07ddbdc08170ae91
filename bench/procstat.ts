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

export interface HostCpu {
  busy: number;
  total: number;
}

/** The `cpu` line of /proc/stat: ticks of all cores, busy (not idle/iowait) and total. */
export function hostCpu(): HostCpu {
  const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!;
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number); // user nice system idle iowait irq softirq steal
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - v[3]! - v[4]!, total };
}

/** Percent of all cores that were busy between two snapshots (everything on the host, this benchmark included). */
export function hostBusyPct(a: HostCpu, b: HostCpu): number {
  return ((b.busy - a.busy) / (b.total - a.total)) * 100;
}
