// Strict mode as a revocation source (docs/fleet.md, "Strict mode"): while the host is out of contact
// with etcd for longer than `fleet.strict`, one entry, target `fleet:strict`, is in force; decide() ends
// every session that is not exempt with it. The status file is read on every pass (refresh).
import type { Revocation } from '../core/types.js';
import { contactBasis, newestContact, outOfContact, strictEntry } from '../fleet/strict.js';
import type { FleetStatus } from '../fleet/status.js';
import type { Logger } from '../log/events.js';
import type { RevocationSource } from './sources.js';

/** The status file as read: a trusted, well-formed status, or why not (missing included). */
export type StatusRead = { ok: true; status: FleetStatus } | { ok: false; message: string };

export interface StrictSourceDeps {
  log: Logger;
  /** Told when strict mode turns on or off. */
  onChange(): void;
  now(): number;
  readStatus(path: string): StatusRead;
}

export interface StrictConfig {
  strictMs: number;
  statusFile: string;
}

const NONE: readonly Revocation[] = Object.freeze([]);

export class StrictSource implements RevocationSource {
  readonly name = 'strict';
  private config: StrictConfig | null = null;
  private lastContact: number | null = null;
  private list: readonly Revocation[] = NONE;
  private lastProblem: string | null = null;

  /** `startedAt`: the daemon's start, the contact basis until a status file reports one. */
  constructor(
    private readonly startedAt: number,
    private readonly deps: StrictSourceDeps,
  ) {}

  /** From the config (start and reload); null turns strict mode off. */
  configure(config: StrictConfig | null): void {
    this.config = config;
    this.refresh();
  }

  current(): readonly Revocation[] {
    return this.list;
  }

  refresh(): void {
    const cfg = this.config;
    if (cfg === null) return this.set(NONE, null);
    const res = this.deps.readStatus(cfg.statusFile);
    if (res.ok) {
      this.lastProblem = null;
      this.lastContact = newestContact(this.lastContact, res.status);
    } else if (res.message !== this.lastProblem) {
      this.lastProblem = res.message;
      this.deps.log.warn(
        { event: 'daemon.problem', what: 'fleet_status', path: cfg.statusFile },
        `${res.message}; strict mode counts no contact since ${this.basisText()}`,
      );
    }
    const input = { strictMs: cfg.strictMs, startedAt: this.startedAt, lastContact: this.lastContact };
    if (!outOfContact({ ...input, now: this.deps.now() })) return this.set(NONE, cfg);
    if (this.list !== NONE) return; // already on: the entry (and its reason) stays the same
    this.set([strictEntry(contactBasis(input), cfg.strictMs, this.lastContact === null)], cfg);
  }

  close(): void {}

  private set(list: readonly Revocation[], cfg: StrictConfig | null): void {
    const was = this.list !== NONE;
    const is = list !== NONE;
    this.list = list;
    if (was === is) return;
    const fields = {
      event: 'fleet.strict' as const,
      state: is ? 'on' : 'off',
      last_contact: this.lastContact === null ? null : new Date(this.lastContact).toISOString(),
      strict_seconds: cfg === null ? null : cfg.strictMs / 1000,
    };
    if (is) this.deps.log.warn(fields, `strict mode: ${list[0]!.reason}; ending every session that is not exempt`);
    else
      this.deps.log.info(
        fields,
        cfg === null ? 'strict mode turned off by the config' : 'strict mode: contact with etcd is back',
      );
    this.deps.onChange();
  }

  private basisText(): string {
    return new Date(this.lastContact ?? this.startedAt).toISOString();
  }
}
