#!/usr/bin/env bash
# npm run deb: builds moshwarden_<version>_all.deb from the tree `scripts/install.sh --destdir DIR --layout
# debian` stages (one source of truth for what goes where), plus packaging/deb/ (control, conffiles,
# maintainer scripts, copyright, lintian overrides), with dpkg-deb.
#
#   scripts/build-deb.sh [--out DIR] [--version VERSION]
#
# --version overrides package.json's (the CI upgrade test builds a second, newer package).
# SOURCE_DATE_EPOCH is honoured (default: the last commit's time), so the build is reproducible.
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$SRC"
VERSION=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="${2:?--out needs a directory}"; shift 2 ;;
    --version) VERSION="${2:?--version needs a version}"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-deb.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
for tool in dpkg-deb gzip md5sum node; do
  command -v "$tool" >/dev/null || { echo "build-deb.sh: $tool is needed (apt-get install dpkg-dev)" >&2; exit 1; }
done
[ -n "$VERSION" ] || VERSION="$(node -p "require('$SRC/package.json').version")"
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH="$(git -C "$SRC" log -1 --format=%ct 2>/dev/null || date +%s)"
fi
export SOURCE_DATE_EPOCH
PKG=packaging/deb
MAINTAINER="moshwarden maintainers <moshwarden@example.org>"

work="$(mktemp -d "${TMPDIR:-/tmp}/moshwarden-deb.XXXXXX")"
trap 'rm -rf "$work"' EXIT
root="$work/root"
umask 022
bash "$SRC/scripts/install.sh" --destdir "$root" --layout debian >/dev/null

# What a package carries beyond the staged tree's runtime files is noise at best (lintian: npm's and git's
# control files, docs loading scripts from CDNs in pino's index.html): each dependency's top-level tests,
# docs, examples and dot-files go. Only at the top of each package: deeper down such names can be code
# (yaml's dist/doc/ is). Their LICENSE files stay: MIT and ISC require each author's notice with the copy.
app="$root/opt/moshwarden"
find "$app/node_modules" -regextype posix-extended -regex '.*/node_modules/(@[^/]+/)?[^/]+/package\.json' -printf '%h\n' |
  while read -r dep; do
    find "$dep" -mindepth 1 -maxdepth 1 \( \( -type d \( -name test -o -name tests -o -name __tests__ -o -name docs \
      -o -name benchmarks -o -name bench -o -name example -o -name examples -o -name coverage -o -name '.*' \) \) \
      -o \( -type f \( -iname '*.md' -o -iname '*.markdown' -o -name '*.html' -o -name '.*' \) ! -iname 'license*' \) \) \
      -exec rm -rf {} +
  done
# Documents deeper down are documents too (protobufjs/google/README.md, bignumber.js/doc/API.html); files
# only: a directory of that name can be code.
find "$app/node_modules" -type f \( -iname '*.md' -o -iname '*.markdown' -o -name '*.html' \) ! -iname 'license*' -delete
find "$app/node_modules" -depth -type d -empty -delete
# A dependency file shipped executable without being a script (wrap-ansi's index.js) is not a program.
find "$app/node_modules" -type f -perm /111 -print0 |
  while IFS= read -r -d '' f; do [ "$(head -c 2 "$f")" = '#!' ] || chmod a-x "$f"; done
# The program's own docs: the README in /usr/share/doc, the man pages in /usr/share/man (already there).
rm -rf "$app/man" "$app/systemd/README.md"

# Documentation Debian expects of every package: copyright (the dependencies' licenses appended) and a
# changelog (native package: changelog.gz).
doc="$root/usr/share/doc/moshwarden"
install -d -m 0755 "$doc"
{
  cat "$SRC/$PKG/copyright"
  node - "$root/opt/moshwarden/node_modules" <<'JS'
const fs = require('fs');
const path = require('path');
const dir = process.argv[2];
const seen = new Map();
const walk = (d) => {
  for (const name of fs.readdirSync(d)) {
    const p = path.join(d, name);
    if (name.startsWith('@')) { walk(p); continue; }
    const pj = path.join(p, 'package.json');
    if (!fs.existsSync(pj)) continue;
    const pkg = JSON.parse(fs.readFileSync(pj, 'utf8'));
    seen.set(path.relative(path.dirname(dir), p), pkg);
    if (fs.existsSync(path.join(p, 'node_modules'))) walk(path.join(p, 'node_modules'));
  }
};
walk(dir);
const licenses = new Set();
for (const [rel, pkg] of [...seen].sort()) {
  const author = typeof pkg.author === 'string' ? pkg.author : pkg.author?.name;
  const license = pkg.license || 'UNKNOWN';
  licenses.add(license);
  process.stdout.write(`\nFiles: opt/moshwarden/${rel}/*\nCopyright: ${author || `the ${pkg.name} authors`}\nLicense: ${license}\nComment: ${pkg.name} ${pkg.version}; the full notice is in its own license file.\n`);
}
const known = { MIT: null, ISC: 'ISC', 'Apache-2.0': 'Apache-2.0', 'BSD-3-Clause': 'BSD-3-Clause' };
for (const l of licenses) if (!(l in known)) { console.error(`build-deb.sh: dependency license ${l} needs a paragraph in ${process.argv[1]}`); process.exit(1); }
if (licenses.has('ISC')) process.stdout.write(`\nLicense: ISC\n Permission to use, copy, modify, and/or distribute this software for any\n purpose with or without fee is hereby granted, provided that the above\n copyright notice and this permission notice appear in all copies.\n .\n THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES\n WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF\n MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR\n ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES\n WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN\n ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF\n OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.\n`);
if (licenses.has('BSD-3-Clause')) process.stdout.write(`\nLicense: BSD-3-Clause\n Redistribution and use in source and binary forms, with or without\n modification, are permitted provided that the following conditions are met:\n .\n 1. Redistributions of source code must retain the above copyright notice,\n this list of conditions and the following disclaimer.\n .\n 2. Redistributions in binary form must reproduce the above copyright notice,\n this list of conditions and the following disclaimer in the documentation\n and/or other materials provided with the distribution.\n .\n 3. Neither the name of the copyright holder nor the names of its\n contributors may be used to endorse or promote products derived from this\n software without specific prior written permission.\n .\n THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"\n AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE\n IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE\n ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE\n LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR\n CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF\n SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS\n INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN\n CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE)\n ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE\n POSSIBILITY OF SUCH DAMAGE.\n`);
if (licenses.has('Apache-2.0')) process.stdout.write(`\nLicense: Apache-2.0\n On Debian systems, the full text of the Apache License, Version 2.0 is in\n /usr/share/common-licenses/Apache-2.0.\n`);
JS
} >"$doc/copyright"
chmod 0644 "$doc/copyright"
{
  printf 'moshwarden (%s) unstable; urgency=medium\n\n' "$VERSION"
  printf '  * Release %s; what changed is in the project history, the manual in\n' "$VERSION"
  printf '    moshwarden(8) and /usr/share/doc/moshwarden/README.md.gz.\n\n'
  printf ' -- %s  %s\n' "$MAINTAINER" "$(LC_ALL=C date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"
gzip -9n -c "$app/README.md" >"$doc/README.md.gz" && rm "$app/README.md"
chmod 0644 "$doc/README.md.gz"
install -D -m 0644 "$SRC/$PKG/lintian-overrides" "$root/usr/share/lintian/overrides/moshwarden"

# Control area.
install -d -m 0755 "$root/DEBIAN"
for script in postinst prerm postrm; do install -m 0755 "$SRC/$PKG/$script" "$root/DEBIAN/$script"; done
install -m 0644 "$SRC/$PKG/conffiles" "$root/DEBIAN/conffiles"
while read -r conffile; do
  [ -f "$root$conffile" ] || { echo "build-deb.sh: conffile $conffile is not in the staged tree" >&2; exit 1; }
done <"$root/DEBIAN/conffiles"
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"
size="$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)"
sed -e "s|@VERSION@|$VERSION|" -e "s|@MAINTAINER@|$MAINTAINER|" -e "s|@INSTALLED_SIZE@|$size|" \
  "$SRC/$PKG/control.in" >"$root/DEBIAN/control"
chmod 0644 "$root/DEBIAN/control"

# Reproducible: every file dated SOURCE_DATE_EPOCH; root:root owners whoever builds.
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p "$OUT"
deb="$OUT/moshwarden_${VERSION}_all.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
