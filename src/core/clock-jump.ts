// Jumps of the wall clock, and carrying times over them. Pure: the daemon hands in its readings.
//
// Idle time is the wall clock's now minus a time the kernel wrote with the wall clock (the pty's atime),
// so a wall clock stepped a day forward would make every session a day idle, and one stepped an hour
// back would put every time ahead of now. A step shows as a difference between how far the wall clock
// and the monotonic clock moved between two readings (docs/architecture.md, "Clocks"). The daemon then
// moves every time it remembers by the step, so that each duration it counts (idle, attached, since a
// warning) is what it was. Times the host wrote are re-read on every pass; one that has not changed since
// the last reading keeps its carried-over value, and one that changed is placed by `placeNew`.

/** A smaller difference is not a jump: readings are not simultaneous, and times are whole seconds anyway. */
export const JUMP_TOLERANCE_MS = 1_000;

export interface ClockReading {
  /** Wall clock, epoch ms. */
  wall: number;
  /** A clock that never jumps (ms since boot, counting suspend: a suspend is not a jump). */
  mono: number;
}

/** A jump seen: how far the wall clock was stepped (ms; negative: back), and its reading right after. */
export interface Jump {
  deltaMs: number;
  now: number;
}

/** How far the wall clock moved beyond the monotonic clock between two readings; 0 within tolerance. */
export function wallJump(prev: ClockReading, next: ClockReading, toleranceMs = JUMP_TOLERANCE_MS): number {
  const delta = next.wall - prev.wall - (next.mono - prev.mono);
  return Math.abs(delta) >= toleranceMs ? Math.round(delta) : 0;
}

/**
 * A time the host wrote that changed since it was last read, first read after `jump` was seen: written
 * before the step it is on the old clock and is carried over; written after, it stands. It was written
 * after the previous reading, so it lies near now on its own clock: nearer the old clock's now
 * (`now - deltaMs`) than the new one means the old clock. Right whenever the step is larger than twice
 * the time between two readings of it; a smaller step misplaces it by at most the step.
 */
export function placeNew(raw: number, jump: Jump | null): number {
  if (jump === null) return raw;
  const oldNow = jump.now - jump.deltaMs;
  return Math.abs(raw - oldNow) < Math.abs(raw - jump.now) ? raw + jump.deltaMs : raw;
}

/** A time the host writes, as last read (`raw`) and where it stands on the daemon's clock now (`at`). */
export interface Stamp {
  raw: number;
  at: number;
}

/** A new reading of a host time: unchanged keeps its carried-over value; changed is placed (placeNew). */
export function restamp(prev: Stamp | null, raw: number, jump: Jump | null): Stamp {
  if (prev !== null && prev.raw === raw) return prev;
  return { raw, at: placeNew(raw, jump) };
}

/** A remembered time moved by a jump (null stays null). */
export function shifted<T extends number | null>(t: T, deltaMs: number): T {
  return (t === null ? null : t + deltaMs) as T;
}
