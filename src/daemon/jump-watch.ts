// The daemon's reading of the wall clock, with a look for a jump at every reading (core/clock-jump.ts).
import { wallJump, type ClockReading, type Jump } from '../core/clock-jump.js';

export interface ClockHost {
  now(): number;
  /** A clock that never jumps and counts suspend (/proc/uptime): see daemon/deps.ts. */
  sinceBoot(): number;
}

export class JumpWatch {
  private last: ClockReading | null = null;
  /** How many jumps were seen: a pass that saw one while it read the host reads it again. */
  count = 0;

  constructor(
    private readonly host: ClockHost,
    private readonly onJump: (jump: Jump) => void,
  ) {}

  /** The wall clock now; a jump since the last reading is handed to `onJump` first. */
  now(): number {
    const r = { wall: this.host.now(), mono: this.host.sinceBoot() };
    const delta = this.last === null ? 0 : wallJump(this.last, r);
    this.last = r;
    if (delta !== 0) {
      this.count++;
      this.onJump({ deltaMs: delta, now: r.wall });
    }
    return r.wall;
  }
}
