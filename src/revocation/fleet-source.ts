// The fleet revocation file as a revocation source (docs/fleet.md, "The fleet revocation file"): a
// FileSource with source `fleet` and the fleet's trust rule, present while the config has a `fleet:`
// section. A reload can add the section (the file is read at once; missing = none), move the file (the
// old list stays until the new file reads well, as for revocation_file) or remove the section (its
// entries are lifted: the operator said this host is no longer in the fleet).
import type { Revocation } from '../core/types.js';
import { FileSource, type FileSourceDeps } from './file-source.js';
import type { RevocationSource } from './sources.js';

const NONE: readonly Revocation[] = Object.freeze([]);

export class FleetSource implements RevocationSource {
  readonly name = 'fleet';
  private inner: FileSource | null = null;

  constructor(private readonly deps: FileSourceDeps) {}

  /** The fleet revocation file's path (start and reload); null: no fleet: section. */
  configure(path: string | null): void {
    if (path !== null && this.inner === null) {
      this.inner = new FileSource(path, { ...this.deps, source: 'fleet' }); // tells onChange if it has entries
    } else if (path !== null) {
      this.inner!.setPath(path);
    } else if (this.inner !== null) {
      const had = this.inner.current().length;
      const old = this.inner.path();
      this.inner.close();
      this.inner = null;
      this.deps.log.info(
        { event: 'revocation.load', source: 'fleet', path: old, entries: 0, errors: 0, pending_bytes: 0 },
        'no fleet: section any more; the fleet revocations are no longer in force',
      );
      if (had > 0) this.deps.onChange();
    }
  }

  current(): readonly Revocation[] {
    return this.inner?.current() ?? NONE;
  }

  refresh(): void {
    this.inner?.refresh();
  }

  close(): void {
    this.inner?.close();
  }
}
