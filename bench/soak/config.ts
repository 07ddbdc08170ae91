// The daemon's config during the soak: a policy simple enough to judge (docs/contract.md, "Config"):
// only the test users have limits (a rule), idle_timeout 20-40 s, warn_before 3 s, grace 2 s, no
// max_age, detached_timeout or schedules. A planted fault makes the daemon's config differ from what the
// oracle is told, to show that the oracle notices.
import fs from 'node:fs';
import path from 'node:path';
import { USERS } from './plan.js';
import type { ConfigRecord, Timeline } from './timeline.js';

export const WARN_BEFORE_S = 3;
export const GRACE_S = 2;

export type Plant = 'none' | 'wrong-kill' | 'no-revocation';

export class SoakConfig {
  constructor(
    readonly path: string,
    readonly revocationFile: string,
    private readonly auditFile: string,
    private readonly plant: Plant,
  ) {}

  /** The config `revoke`/`unrevoke` are given: always the truth (the real revocation file). */
  get cliPath(): string {
    return path.join(path.dirname(this.path), 'cli.yaml');
  }

  render(idleTimeoutS: number, plant = this.plant): string {
    // wrong-kill: the daemon ends sessions 12 s sooner than the oracle was told.
    const idle = plant === 'wrong-kill' ? idleTimeoutS - 12 : idleTimeoutS;
    // no-revocation: the daemon watches another (empty) file: every revocation is missed.
    const revoked = plant === 'no-revocation' ? `${this.revocationFile}.elsewhere` : this.revocationFile;
    return [
      'scan_interval: 5s',
      `revocation_file: ${revoked}`,
      'defaults:',
      '  idle_timeout: off',
      `  warn_before: ${WARN_BEFORE_S}s`,
      `  grace: ${GRACE_S}s`,
      'rules:',
      `  - users: [${USERS.join(', ')}]`,
      `    idle_timeout: ${idle}s`,
      'log:',
      '  level: info',
      `  audit_file: ${this.auditFile}`,
      '',
    ].join('\n');
  }

  /** Writes it (in place, or a temp file renamed over: both are how editors save) and records it. */
  write(t: Timeline, idleTimeoutS: number, how: ConfigRecord['how']): void {
    const at0 = Date.now();
    const text = this.render(idleTimeoutS);
    if (how === 'rename') {
      const tmp = path.join(path.dirname(this.path), '.config.yaml.tmp');
      fs.writeFileSync(tmp, text, { mode: 0o600 });
      fs.renameSync(tmp, this.path);
    } else fs.writeFileSync(this.path, text, { mode: 0o600 });
    t.configs.push({ at0, at1: Date.now(), idleTimeoutS, how });
    if (how === 'start') fs.writeFileSync(this.cliPath, this.render(idleTimeoutS, 'none'), { mode: 0o600 });
  }
}
