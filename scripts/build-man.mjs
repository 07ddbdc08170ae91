#!/usr/bin/env node
// Builds the man pages: docs/man/NAME.SECTION.md (ronn-style markdown, the one source) -> man/NAME.SECTION
// (roff), with marked-man. Run by `npm run man` and by `prepare`, so a checkout after `npm ci` and the npm
// tarball have them; the Debian package installs them gzipped.
//
// Touch-ups keep `mandoc -T lint` as quiet as `groff -ww -z`: the header date in ISO form (marked-man
// writes "December 2026", which mandoc cannot parse), no paragraph macro right after a heading, definition lists
// as .TP, and text
// lines folded to 80 bytes (in fill mode a newline is a space, so the page renders the same).
// The date is the last commit of docs/man (reproducible), else SOURCE_DATE_EPOCH, else today.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'docs', 'man');
const out = path.join(root, 'man');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const markedMan = createRequire(import.meta.url)
  .resolve('marked-man/package.json')
  .replace(/package\.json$/, 'bin/marked-man.js');

function pageDate() {
  if (process.env.SOURCE_DATE_EPOCH) return new Date(Number(process.env.SOURCE_DATE_EPOCH) * 1000);
  try {
    const t = execFileSync('git', ['-C', root, 'log', '-1', '--format=%ct', '--', 'docs/man'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    if (t) return new Date(Number(t) * 1000);
  } catch {
    // not a git checkout (an unpacked tarball): today
  }
  return new Date();
}

/** Folds long text lines at spaces; never inside no-fill blocks, macros or tables, never before a dot. */
function fold(roff, width = 80) {
  let fill = true;
  const out = [];
  for (const line of roff.split('\n')) {
    const tag = out.at(-1) === '.TP'; // the tag line of .TP must stay one line
    if (/^\.(nf|TS)\b/.test(line)) fill = false;
    if (/^\.(fi|TE)\b/.test(line)) fill = true;
    if (!fill || tag || line.startsWith('.') || line.startsWith("'")) {
      out.push(line);
      continue;
    }
    let rest = line;
    while (rest.length > width) {
      let cut = -1;
      for (let i = Math.min(width, rest.length - 1); i > 0; i--) {
        // A space that is not escaped, with a next word that a roff reader would not take for a macro.
        if (rest[i] === ' ' && rest[i - 1] !== '\\' && !/[.']/.test(rest[i + 1] ?? '')) {
          cut = i;
          break;
        }
      }
      if (cut === -1) break;
      out.push(rest.slice(0, cut));
      rest = rest.slice(cut + 1);
    }
    out.push(rest);
  }
  return out.join('\n');
}

const MANUALS = { 5: 'File Formats', 8: 'System Administration' };
const date = pageDate().toISOString().slice(0, 10);
fs.mkdirSync(out, { recursive: true });
for (const file of fs
  .readdirSync(src)
  .filter((f) => /\.[1-9]\.md$/.test(f))
  .sort()) {
  const page = file.replace(/\.md$/, '');
  const section = page.slice(page.lastIndexOf('.') + 1);
  const roff = execFileSync(
    process.execPath,
    [
      markedMan,
      '--no-breaks',
      '--version',
      `moshwarden ${pkg.version}`,
      '--manual',
      MANUALS[section] ?? '',
      path.join(src, file),
    ],
    { encoding: 'utf8' },
  )
    .replace(/^(\.TH "[^"]*" "[^"]*" )"[^"]*"/m, `$1"${date}"`)
    .replace(/^(\.S[HS] .*)\n\.P\n/gm, '$1\n')
    .replace(/\n{2,}/g, '\n')
    // ronn-style definition lists (`* term:` then the text) as tagged paragraphs, the man(7) way.
    .replace(/^\.IP \\\(bu 2\n(.*):\n/gm, '.TP\n$1\n')
    // marked leaves HTML entities in code spans; roff wants the characters.
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
  fs.writeFileSync(path.join(out, page), fold(roff));
}
