// Where revocations come from. Each source keeps its own last good list and fails closed on its own (a
// source that cannot be read keeps what it last knew); the daemon sees the entries of every source,
// merged: the watched revocation file (file-source.ts), the fleet revocation file (fleet-source.ts) and
// strict mode (strict-source.ts), in that order (docs/fleet.md, "The daemon in a fleet").
import type { Revocation } from '../core/types.js';

export interface RevocationSource {
  /** For log lines: `file` (revocation_file), `fleet` or `strict`. */
  readonly name: string;
  /** The entries in force from this source: its last good list (never emptied by a read failure). */
  current(): readonly Revocation[];
  /** Re-checks the source; cheap when nothing changed. The daemon calls it on every pass. */
  refresh(): void;
  close(): void;
}

/** Every source's entries, in the order the sources were given (the first covering entry is reported). */
export class RevocationSet {
  private merged: readonly Revocation[] = [];
  private lists: (readonly Revocation[])[] = [];

  constructor(private readonly sources: readonly RevocationSource[]) {}

  current(): readonly Revocation[] {
    const lists = this.sources.map((s) => s.current());
    if (lists.length !== this.lists.length || lists.some((l, i) => l !== this.lists[i])) {
      this.lists = lists;
      this.merged = Object.freeze(lists.flat());
    }
    return this.merged;
  }

  refresh(): void {
    for (const s of this.sources) s.refresh();
  }

  close(): void {
    for (const s of this.sources) s.close();
  }
}
