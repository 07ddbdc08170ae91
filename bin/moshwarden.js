#!/usr/bin/env node
// A thin shim: the program is compiled TypeScript in dist/ (built by `npm install` / `npm run build`).
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
