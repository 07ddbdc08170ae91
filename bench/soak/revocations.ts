// Revocations of every target kind, as ops would make them: `moshwarden revoke` or a line appended by
// hand (config management), sometimes two at once; then lifted with `moshwarden unrevoke`, by a rewrite
// renamed over the file (an editor), or left to lapse (until=). Appends may overlap each other; a
// removal waits for them (a rename-over would drop a line appended meanwhile, which is the writer's
// bug, not the daemon's).
import fs from 'node:fs';
import path from 'node:path';
import { runCli, sleep } from '../../test/e2e/harness.js';
import type { PlannedRevocation } from './plan.js';
import { canonical } from './targets.js';
import type { RevocationRecord, SessionRecord, Timeline } from './timeline.js';
import { sleepUntil } from './sessions.js';

export class Revoker {
  readonly failures: string[] = [];
  private adds = new Set<Promise<unknown>>();
  private removal: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly t: Timeline,
    private readonly file: string,
    private readonly configPath: string,
    private readonly sessionTargets: boolean,
  ) {}

  /** The target for a planned entry; `session:` falls back to `uid:` of that session when not supported. */
  target(p: PlannedRevocation): { kind: string; target: string } {
    if (p.kind === 'group') return { kind: 'group', target: `group:${p.value}` };
    if (p.kind === 'from') return { kind: 'from', target: `from:${p.value}` };
    if (p.kind === 'session') {
      const live = this.t.sessions.filter((s) => s.goneAt === null);
      const s: SessionRecord | undefined = live.find((x) => x.idx === Number(p.value)) ?? live.at(-1);
      if (!s) return { kind: 'user', target: 'user:mw-test-mallory' };
      return this.sessionTargets
        ? { kind: 'session', target: `session:${s.id}` }
        : { kind: 'uid', target: `uid:${s.uid}` };
    }
    if (p.kind === 'uid') {
      const s = this.t.sessions.find((x) => x.user === p.value);
      if (s) return { kind: 'uid', target: `uid:${s.uid}` };
      return { kind: 'user', target: `user:${p.value}` };
    }
    return p.kind === 'bare' ? { kind: 'bare', target: p.value } : { kind: 'user', target: `user:${p.value}` };
  }

  private async add(p: PlannedRevocation, key: string): Promise<RevocationRecord | null> {
    await this.removal;
    const { kind, target } = this.target(p);
    const lapse = p.end === 'until';
    const at0 = Date.now();
    if (p.via === 'cli') {
      const untilArgs = lapse ? ['--until', `${Math.max(1, Math.round(p.holdMs / 1_000))}s`] : [];
      const r = await runCli(['revoke', target, '--reason', key, '--config', this.configPath, ...untilArgs]);
      if (r.code !== 0) {
        this.failures.push(`revoke ${target}: exit ${r.code}: ${r.stderr.trim().slice(0, 200)}`);
        return null;
      }
    } else {
      const until = lapse ? ` until=${new Date(at0 + p.holdMs).toISOString()}` : '';
      fs.appendFileSync(this.file, `${target} reason="${key}"${until}\n`); // one write(2), O_APPEND
    }
    const at1 = Date.now();
    const alone = this.adds.size === 1;
    const writtenAt = p.via === 'append' ? at1 : alone ? fs.statSync(this.file).mtimeMs : null;
    const line =
      fs
        .readFileSync(this.file, 'utf8')
        .split('\n')
        .find((l) => l.includes(`reason="${key}"`)) ?? '';
    const until = /\buntil=(\S+)/.exec(line)?.[1];
    const rec: RevocationRecord = {
      key,
      kind,
      target,
      via: p.via,
      at0,
      at1,
      writtenAt,
      until: until ? Date.parse(until) : null,
      removed: null,
    };
    this.t.revocations.push(rec);
    return rec;
  }

  /** Exclusive: waits for appends under way, and appends wait for it. */
  private exclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.removal.then(async () => {
      await Promise.all([...this.adds]);
      await fn();
    });
    this.removal = run.catch(() => undefined);
    return run;
  }

  private async remove(rec: RevocationRecord, how: 'unrevoke' | 'rename'): Promise<void> {
    await this.exclusive(async () => {
      const at0 = Date.now();
      if (how === 'unrevoke') {
        const r = await runCli(['unrevoke', rec.target, '--config', this.configPath]);
        if (r.code !== 0)
          this.failures.push(`unrevoke ${rec.target}: exit ${r.code}: ${r.stderr.trim().slice(0, 200)}`);
      } else {
        const kept = fs
          .readFileSync(this.file, 'utf8')
          .split('\n')
          .filter((l) => !l.includes(`reason="${rec.key}"`));
        const tmp = path.join(path.dirname(this.file), `.revoked.${rec.key}`);
        fs.writeFileSync(tmp, kept.join('\n'), { mode: 0o600 });
        fs.renameSync(tmp, this.file);
      }
      const removed = { at0, at1: Date.now(), how };
      // unrevoke takes out every line with an equal target (docs/contract.md); a rename only this one.
      for (const r of this.t.revocations) {
        const same = how === 'unrevoke' ? canonical(r.target) === canonical(rec.target) : r === rec;
        if (same && !r.removed && r.at1 <= at0) r.removed = removed;
      }
    });
  }

  async run(p: PlannedRevocation, start: number, stopping: () => boolean): Promise<void> {
    await sleepUntil(start + p.at);
    if (stopping()) return;
    const adding = this.add(p, `soak-${p.idx}`);
    this.adds.add(adding);
    const rec = await adding.finally(() => this.adds.delete(adding));
    if (!rec || p.end === 'until') return;
    await sleep(p.holdMs);
    await this.remove(rec, p.end);
  }
}
