// npm run soak [-- --seconds N] [--seed S]: the churn soak with its oracle (issue 11). Prints the seed
// first, runs under the machine lock (/tmp/mw-e2e.lock), prints one summary line, appends it to
// bench/RELIABILITY.md and exits 1 on any wrong kill, miss, unexpected daemon death or look-alike hit.
// Then runs `npm run soak:props` when package.json has it (outside the lock: it starts no process).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../../test/e2e/harness.js';
import { DEFAULT_TOLERANCES } from './facts.js';
import type { Plant } from './config.js';
import { runSoak } from './run.js';

export const LOCK = '/tmp/mw-e2e.lock';

interface Args {
  seconds: number;
  seed: number;
  plant: Plant;
  lock: boolean;
  record: boolean;
  props: boolean;
  endMs: number;
}

function parse(argv: string[]): Args {
  const args: Args = {
    seconds: 600,
    seed: Math.floor(Math.random() * 2 ** 31),
    plant: 'none',
    lock: true,
    record: true,
    props: true,
    endMs: DEFAULT_TOLERANCES.endMs,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--seconds') args.seconds = Number(value());
    else if (a === '--seed') args.seed = Number(value());
    else if (a === '--plant') args.plant = value() as Plant;
    else if (a === '--end-tolerance-ms') args.endMs = Number(value());
    else if (a === '--no-lock')
      args.lock = false; // the caller holds /tmp/mw-e2e.lock (the e2e test)
    else if (a === '--no-record') args.record = false;
    else if (a === '--no-props') args.props = false;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(args.seconds >= 20)) throw new Error('--seconds: at least 20');
  if (!Number.isInteger(args.seed) || args.seed < 0) throw new Error('--seed: a non-negative integer');
  if (!['none', 'wrong-kill', 'no-revocation'].includes(args.plant))
    throw new Error('--plant: wrong-kill | no-revocation');
  return args;
}

function props(): number {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  if (!pkg.scripts?.['soak:props']) return 0;
  console.log('soak: npm run soak:props');
  return spawnSync('npm', ['run', 'soak:props'], { cwd: repoRoot(), stdio: 'inherit' }).status ?? 1;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const args = parse(argv);
  console.log(
    `soak: seed ${args.seed}, ${args.seconds} s${args.plant !== 'none' ? `, planted fault: ${args.plant}` : ''}`,
  );
  if (args.lock) {
    // Re-run this file under flock, with the seed fixed, so the lock is held for the soak only.
    const self = fileURLToPath(import.meta.url);
    const rest = [...argv.filter((a, i) => a !== '--seed' && argv[i - 1] !== '--seed'), '--seed', String(args.seed)];
    console.log(`soak: waiting for ${LOCK}`);
    const r = spawnSync('flock', [LOCK, process.execPath, self, ...rest, '--no-lock', '--no-props'], {
      stdio: 'inherit',
    });
    const code = r.status ?? 1;
    return args.props ? Math.max(code, props()) : code;
  }
  const command = `npm run soak -- ${argv.filter((a) => a !== '--no-lock' && a !== '--no-props').join(' ')}`.trim();
  const code = await runSoak({ ...args, tolerances: { ...DEFAULT_TOLERANCES, endMs: args.endMs }, command });
  return args.props ? Math.max(code, props()) : code;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`soak: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(2);
  },
);
