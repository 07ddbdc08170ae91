// How long one read of a hostile revocation file blocks the daemon's event loop. The daemon reads the file
// synchronously on every change (revocation/store.ts), so the read + parse + its log lines is exactly the
// time the loop is blocked; the target is under 50 ms (issue 11). Measured on the worst files the reader
// accepts (at its size and line caps, with tiny lines, long lines, bad lines, one huge line) and on the ones
// it refuses (100 MB, a 10 MB line, one line too many). `npm run bench -- --only revocation-file`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fdWriter } from '../src/host/output.js';
import { MAX_FILE_BYTES, MAX_FILE_LINES } from '../src/host/revocation-file.js';
import { createLogger } from '../src/log/logger.js';
import { MAX_LINE_BYTES } from '../src/revocation/parse.js';
import { RevocationStore } from '../src/revocation/store.js';
import { percentile } from './measure.js';
import { marked } from './sections.js';
import type { Logger } from '../src/log/events.js';

const TARGET_MS = 50;

interface Case {
  name: string;
  bytes: number;
  lines: number;
  entries: number;
  errors: number;
  refused: string | null;
  ms: number[];
}

export interface RevocationFileBench {
  cases: Case[];
  reps: number;
}

/** Lines of `count` made by `make(i)`, padded so the whole file is just under the size cap. */
function filling(count: number, make: (i: number, pad: string) => string): Buffer {
  const bare = make(0, '').length + 1;
  const padLen = Math.max(0, Math.floor((MAX_FILE_BYTES - count * 8) / count) - bare);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(make(i, 'p'.repeat(padLen)));
  return Buffer.from(lines.join('\n') + '\n');
}

function files(): [string, Buffer | number][] {
  const long = 'user:mw-alice reason="' + 'r'.repeat(MAX_LINE_BYTES - 23) + '"';
  return [
    [
      `${MAX_FILE_LINES} entries with reason and until, at the size cap`,
      filling(MAX_FILE_LINES, (i, pad) => `user:mw-u${i} reason="${pad}" until=2030-01-01T00:00:00Z`),
    ],
    [
      `${MAX_FILE_LINES} tiny entries (uid:N)`,
      Buffer.from(Array.from({ length: MAX_FILE_LINES }, (_, i) => `uid:${i}\n`).join('')),
    ],
    [
      `${MAX_FILE_LINES} bad lines (host bits set), at the size cap`,
      filling(MAX_FILE_LINES, (i, pad) => `from:10.0.${i % 250}.5/8 reason="${pad}"`),
    ],
    [
      `${Math.floor(MAX_FILE_BYTES / (MAX_LINE_BYTES + 1))} lines of ${MAX_LINE_BYTES} bytes`,
      Buffer.from(`${long}\n`.repeat(Math.floor(MAX_FILE_BYTES / (MAX_LINE_BYTES + 1)))),
    ],
    ['one line of the whole size cap', Buffer.concat([Buffer.alloc(MAX_FILE_BYTES - 1, 0x61), Buffer.from('\n')])],
    [`${MAX_FILE_LINES + 1} blank lines (refused: lines)`, Buffer.from('\n'.repeat(MAX_FILE_LINES + 1))],
    ['a 10 MB line (refused: size)', Buffer.concat([Buffer.alloc(10 * 2 ** 20, 0x61), Buffer.from('\nmw-bob\n')])],
    ['100 MB, sparse (refused: size, not read)', 100 * 2 ** 20],
  ];
}

export async function benchRevocationFile(log: (line: string) => void, quick: boolean): Promise<RevocationFileBench> {
  const reps = quick ? 5 : 40;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-bench-revfile-'));
  // The daemon's own logger, writing synchronously as it does, to /dev/null.
  const devnull = fs.openSync('/dev/null', 'w');
  const logger = createLogger({ level: 'info', out: fdWriter(devnull) });
  const cases: Case[] = [];
  try {
    for (const [name, content] of files()) {
      const file = path.join(dir, `f${cases.length}`);
      if (typeof content === 'number') {
        fs.writeFileSync(file, '');
        fs.truncateSync(file, content);
      } else fs.writeFileSync(file, content);
      fs.chmodSync(file, 0o600);
      let refused: string | null = null;
      const store = new RevocationStore(file, {
        log: {
          info: (...a: Parameters<Logger['info']>) => logger.info(...a),
          warn: (...a: Parameters<Logger['warn']>) => logger.warn(...a),
          error: (obj: { message?: string }, msg: string) => {
            refused = obj.message ?? msg;
            logger.error(obj as Parameters<Logger['error']>[0], msg);
          },
        } as unknown as Logger,
        onChange: () => {},
      });
      const size = fs.statSync(file).size;
      const ms: number[] = [];
      for (let r = -3; r < reps; r++) {
        const t0 = performance.now();
        store.refresh(true); // read + checks + parse + log lines: what one file event costs the loop
        const dt = performance.now() - t0;
        if (r >= 0) ms.push(dt);
        await new Promise((res) => setImmediate(res));
      }
      const parsed = store.current();
      const text = typeof content === 'number' ? null : content;
      const errors = refused === null && text !== null ? countErrors(text) : 0;
      cases.push({
        name,
        bytes: size,
        lines: text === null ? 0 : text.filter((b) => b === 0x0a).length,
        entries: parsed.length,
        errors,
        refused,
        ms,
      });
      log(
        `${name}: p50 ${percentile(ms, 50).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms${refused ? ` (${refused})` : ''}`,
      );
      fs.rmSync(file);
    }
  } finally {
    fs.closeSync(devnull);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { cases, reps };
}

function countErrors(b: Buffer): number {
  return b
    .toString('utf8')
    .split('\n')
    .filter((l) => l.startsWith('from:') || l.length > MAX_LINE_BYTES).length;
}

export function renderRevocationFile(b: RevocationFileBench, command: string): string {
  const worst = Math.max(...b.cases.flatMap((c) => c.ms));
  const body = [
    '## Revocation file: how long one read blocks the loop',
    '',
    `- Command: \`${command}\`; ${new Date().toISOString()}; Node ${process.version}, ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (a shared machine).`,
    `- Each row: \`RevocationStore.refresh(true)\` on a root-owned file (path checks, fstat, read, line count, parse, and its log lines to /dev/null through the daemon's synchronous logger), ${b.reps} times after 3 warm-ups. It runs on the event loop, so its duration is how long the loop is blocked. Caps: ${MAX_FILE_BYTES} bytes (refused before reading), ${MAX_FILE_LINES} lines (refused before parsing), ${MAX_LINE_BYTES} bytes a line (that line refused).`,
    `- Target: under ${TARGET_MS} ms. Worst single read here: ${worst.toFixed(1)} ms${worst < TARGET_MS ? '' : ' — OVER the target'}.`,
    '',
    '| File | bytes | lines | entries in force | refused | p50 ms | p99 ms | max ms |',
    '|---|---:|---:|---:|---|---:|---:|---:|',
    ...b.cases.map(
      (c) =>
        `| ${c.name} | ${c.bytes.toLocaleString('en')} | ${c.lines.toLocaleString('en')} | ${c.entries.toLocaleString('en')} | ${c.refused ? 'yes' : 'no'} | ${percentile(c.ms, 50).toFixed(1)} | ${percentile(c.ms, 99).toFixed(1)} | ${Math.max(...c.ms).toFixed(1)} |`,
    ),
  ].join('\n');
  return marked('revocation-file', body);
}
