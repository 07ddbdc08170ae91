// The audit file and its rotations on disk, read line by line (streamed: a year of logs is never held
// in memory). Naming is logrotate's (systemd/moshwarden.logrotate): audit.log, audit.log.1 (delaycompress),
// audit.log.2.gz, ...; with `dateext` in the host's logrotate.conf: audit.log-20261124[.gz].
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import zlib from 'node:zlib';

export interface AuditFileList {
  /** Oldest first, the live file last. */
  files: string[];
  /** The directory cannot be listed (missing, or no permission). */
  error: string | null;
}

/** `base` and its rotated files, oldest first. Files that are not rotations of it are ignored. */
export function auditFiles(base: string): AuditFileList {
  const dir = path.dirname(base);
  const name = path.basename(base);
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (e) {
    return { files: [], error: `cannot list ${dir}: ${(e as Error).message}` };
  }
  return { files: orderRotations(name, entries).map((f) => path.join(dir, f)), error: null };
}

/** Pure: which of `entries` are `name` and its rotations, oldest first. */
export function orderRotations(name: string, entries: readonly string[]): string[] {
  const numbered: { n: number; file: string }[] = [];
  const dated: { stamp: string; file: string }[] = [];
  let live = false;
  for (const file of entries) {
    if (file === name) {
      live = true;
      continue;
    }
    if (!file.startsWith(name)) continue;
    const rest = file.slice(name.length);
    const num = /^\.([1-9][0-9]{0,5})(\.gz)?$/.exec(rest);
    if (num) {
      numbered.push({ n: Number(num[1]), file });
      continue;
    }
    const date = /^-([0-9]{8,14})(\.gz)?$/.exec(rest);
    if (date) dated.push({ stamp: date[1]!, file });
  }
  dated.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.file.length - b.file.length));
  numbered.sort((a, b) => b.n - a.n || b.file.length - a.file.length);
  return [...dated.map((d) => d.file), ...numbered.map((x) => x.file), ...(live ? [name] : [])];
}

export interface LinesRead {
  lines: number;
  /** False when the last line has no newline: cut off (a crash or a full disk mid-write), or being written. */
  endsWithNewline: boolean;
}

/**
 * Calls `onLine` for every line of `file` (gunzipped when it ends in .gz), in order. Rejects with a
 * message when the file cannot be opened or is not valid gzip (the lines before the damage have been
 * delivered by then).
 */
export function forEachLine(file: string, onLine: (line: string) => void): Promise<LinesRead> {
  return new Promise((resolve, reject) => {
    const raw = fs.createReadStream(file, { highWaterMark: 1 << 20 });
    const input = file.endsWith('.gz') ? raw.pipe(zlib.createGunzip({ chunkSize: 1 << 18 })) : raw;
    let lines = 0;
    let lastByte = -1;
    let failed = false;
    const rl = readline.createInterface({ input, crlfDelay: Infinity });
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      rl.close();
      raw.destroy();
      reject(new Error(`${file}: ${e.message}`));
    };
    raw.on('error', fail);
    if (input !== raw) input.on('error', fail);
    rl.on('error', fail); // readline re-emits its input's errors
    input.on('data', (chunk: Buffer) => {
      if (chunk.length > 0) lastByte = chunk[chunk.length - 1]!;
    });
    rl.on('line', (line) => {
      lines++;
      onLine(line);
    });
    rl.on('close', () => {
      if (!failed) resolve({ lines, endsWithNewline: lastByte === -1 || lastByte === 0x0a });
    });
  });
}
