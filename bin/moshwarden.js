#!/usr/bin/env -S node --max-semi-space-size=1
// A thin shim: the program is compiled TypeScript in dist/ (built by `npm install` / `npm run build`).
// --max-semi-space-size=1: a young generation of 1 MiB (V8's default grows to 16). Measured with 2,000
// sessions on the host (test/e2e/flood.test.ts): steady RSS 66-70 MiB instead of ~130, peak 106-117
// instead of 135-210 (docs/architecture.md, "Memory"). Run the daemon through this file, not `node FILE`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('moshwarden: not built yet; run `npm install` (or `npm run build`) in the package directory\n');
  process.exit(1);
}
// A SIGHUP (systemd's reload) that arrives while the program is still loading must not kill the daemon
// (SIGHUP's default action): ignore it until `run` installs its own handler. Nothing is lost: the config
// has not been read yet at that point, so the daemon reads the new one anyway.
const ignoreEarlyHup = () => {};
process.on('SIGHUP', ignoreEarlyHup);
await import(entry.href);
