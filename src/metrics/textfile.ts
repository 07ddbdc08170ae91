// The Prometheus textfile, rewritten after each pass. Passes come in bursts, so a write in progress
// only marks that another is wanted. A failure is logged once per distinct error, not after every pass.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log/events.js';
import type { Metrics } from './metrics.js';

/**
 * Replaces `file` atomically: the collector reads either the old file or the new one, never half of one
 * (a temp file in the same directory, then rename). World-readable: node-exporter runs as its own user.
 */
export function writeTextfile(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, text);
    fs.chmodSync(tmp, 0o644); // explicitly: the service's UMask=0077 would leave node-exporter unable to read it
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export function textfileWriter(metrics: Metrics, file: () => string | null, log: Logger): { write(): void } {
  let busy = false;
  let again = false;
  let lastError: string | null = null;
  const write = async (): Promise<void> => {
    const target = file();
    if (target === null) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        const text = await metrics.render();
        try {
          writeTextfile(target, text);
          lastError = null;
        } catch (e) {
          const message = `cannot write the metrics file ${target}: ${(e as Error).message}`;
          if (message !== lastError) log.error({ event: 'metrics.error', path: target }, message);
          lastError = message;
        }
      } while (again);
    } finally {
      busy = false;
    }
  };
  return { write: () => void write() };
}
