#!/usr/bin/env node
// A thin shim: the program is compiled TypeScript in dist/ (built by `npm install` / `npm run build`).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('moshwarden: not built yet; run `npm install` (or `npm run build`) in the package directory\n');
  process.exit(1);
}
await import(entry.href);
