// What a command reads and writes besides its arguments: stdout, stderr and the environment. main.ts
// hands in the real ones (host/output.ts); tests hand in buffers.
import type { Writer } from '../host/output.js';

export interface Io {
  out: Writer;
  err: Writer;
  env(name: string): string | undefined;
}
