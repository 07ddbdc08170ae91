// Events that ask the daemon for a pass (a pty appeared, utmp or the revocations changed). The parts
// that notice them are built before the daemon they wake, so they fire into this queue, which the
// daemon drains once it is connected.
import type { Trigger } from '../daemon/runner.js';

export class Triggers {
  private target: ((t: Trigger) => void) | null = null;
  private readonly early: Trigger[] = [];

  fire(trigger: Trigger): void {
    if (this.target) this.target(trigger);
    else this.early.push(trigger);
  }

  connect(target: (t: Trigger) => void): void {
    this.target = target;
    for (const t of this.early.splice(0)) target(t);
  }
}
