#!/usr/bin/env bash
# Installs moshwarden as a systemd service, from a checkout (after `npm ci`) or from the installed npm
# package. Safe to re-run: it never overwrites an edited config or the revocation file.
#
#   sudo scripts/install.sh                 install (or upgrade), enable and start
#   sudo scripts/install.sh --uninstall     remove the program and the unit; keep config and audit logs
#   scripts/install.sh --destdir DIR        stage everything under DIR (packaging, tests): no user is
#                                           created and nothing is enabled
#   --layout debian                         with --destdir: the Debian package's paths (npm run deb):
#                                           /usr/bin, /lib/systemd/system, /usr/share/man, and no revoked
#                                           file (its postinst creates one: dpkg never owns revocations)
set -euo pipefail

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
}

DESTDIR=""
UNINSTALL=0
ENABLE=1
LAYOUT=local
while [ $# -gt 0 ]; do
  case "$1" in
    --layout) LAYOUT="${2:?--layout needs local or debian}"; shift 2 ;;
    --layout=*) LAYOUT="${1#--layout=}"; shift ;;
    --destdir) DESTDIR="${2:?--destdir needs a directory}"; shift 2 ;;
    --destdir=*) DESTDIR="${1#--destdir=}"; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    --no-enable) ENABLE=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$LAYOUT" in
  local) ;;
  debian) [ -n "$DESTDIR" ] || { echo "install.sh: --layout debian stages a package tree: it needs --destdir" >&2; exit 2; } ;;
  *) echo "install.sh: unknown layout: $LAYOUT (local or debian)" >&2; exit 2 ;;
esac
if [ -n "$DESTDIR" ]; then
  DESTDIR="$(mkdir -p "$DESTDIR" && cd "$DESTDIR" && pwd)"
  ENABLE=0
elif [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (or use --destdir DIR to stage the files)" >&2
  exit 2
fi

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APP=/opt/moshwarden
BIN=/usr/local/bin/moshwarden
UNIT=/etc/systemd/system/moshwarden.service
FLEET_UNIT=/etc/systemd/system/moshwarden-fleet.service
MANDIR=/usr/local/share/man
if [ "$LAYOUT" = debian ]; then
  # Debian policy: a package's commands go to /usr/bin, its units to /lib/systemd/system (bookworm) and its
  # man pages to /usr/share/man; /usr/local and /etc/systemd/system belong to the administrator.
  BIN=/usr/bin/moshwarden
  UNIT=/lib/systemd/system/moshwarden.service
  FLEET_UNIT=/lib/systemd/system/moshwarden-fleet.service
  MANDIR=/usr/share/man
fi
MANPAGES="moshwarden.8 moshwarden.yaml.5"
LOGROTATE=/etc/logrotate.d/moshwarden
ETC=/etc/moshwarden
USER_NAME=moshwarden

systemd_running() { [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; }
say() { echo "moshwarden: $*"; }

if [ "$UNINSTALL" -eq 1 ]; then
  if systemd_running; then
    systemctl disable --now moshwarden.service moshwarden-fleet.service 2>/dev/null || true
  fi
  rm -f "$DESTDIR$UNIT" "$DESTDIR$FLEET_UNIT" "$DESTDIR$LOGROTATE" "$DESTDIR$BIN"
  for page in $MANPAGES; do rm -f "$DESTDIR$MANDIR/man${page##*.}/$page.gz"; done
  rm -rf "$DESTDIR$APP"
  if systemd_running; then systemctl daemon-reload; fi
  say "removed $APP, $BIN, $UNIT, $LOGROTATE and the man pages"
  say "kept $ETC (config, revocations), /var/log/moshwarden (audit) and the user $USER_NAME; remove them by hand if wanted"
  exit 0
fi

for built in dist/src/main.js man/moshwarden.8 man/moshwarden.yaml.5; do
  if [ ! -f "$SRC/$built" ]; then
    echo "install.sh: $SRC/$built is missing: run 'npm ci' (it builds) in $SRC first" >&2
    exit 1
  fi
done
NODE="$(command -v node || true)"
if [ -z "$NODE" ]; then
  echo "install.sh: node is not on PATH; moshwarden needs Node.js >= 20.19" >&2
  exit 1
fi

# The program: a copy of the package with production dependencies only, replaced as a whole.
stage="$(mktemp -d "${TMPDIR:-/tmp}/moshwarden-install.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/app/dist"
cp -R "$SRC/bin" "$SRC/package.json" "$SRC/config.example.yaml" "$SRC/README.md" "$SRC/systemd" "$SRC/man" "$stage/app/"
cp -R "$SRC/dist/src" "$stage/app/dist/src"
[ -f "$SRC/package-lock.json" ] && cp "$SRC/package-lock.json" "$stage/app/"
cp -R "$SRC/node_modules" "$stage/app/node_modules"
# From a checkout node_modules holds the dev tools too; prune removes them, offline.
(cd "$stage/app" && npm prune --omit=dev --no-audit --no-fund --loglevel=error >/dev/null)
mkdir -p "$DESTDIR$(dirname "$APP")"
rm -rf "$DESTDIR$APP.new"
mv "$stage/app" "$DESTDIR$APP.new"
rm -rf "$DESTDIR$APP"
mv "$DESTDIR$APP.new" "$DESTDIR$APP"
chmod -R go-w "$DESTDIR$APP"

# The command: a relative link, so a staged tree is self-consistent; in the package an absolute one (Debian
# policy 10.5: a link from one top-level directory into another is absolute).
mkdir -p "$DESTDIR$(dirname "$BIN")"
if [ "$LAYOUT" = debian ]; then
  ln -sfn "$APP/bin/moshwarden.js" "$DESTDIR$BIN"
else
  ln -sfn "../../../opt/moshwarden/bin/moshwarden.js" "$DESTDIR$BIN"
fi

# The man pages, compressed as Debian does (-n: no name or time stamp, so builds are reproducible).
for page in $MANPAGES; do
  install -d -m 0755 "$DESTDIR$MANDIR/man${page##*.}"
  gzip -9n -c "$SRC/man/$page" >"$DESTDIR$MANDIR/man${page##*.}/$page.gz"
  chmod 0644 "$DESTDIR$MANDIR/man${page##*.}/$page.gz"
done

# Config and revocations: created once, never overwritten.
install -d -m 0755 "$DESTDIR$ETC"
if [ ! -e "$DESTDIR$ETC/config.yaml" ]; then
  # As a service the audit trail is on: its directory is the unit's LogsDirectory=.
  sed 's|^  # audit_file: /var/log/moshwarden/audit.log$|  audit_file: /var/log/moshwarden/audit.log|' \
    "$SRC/config.example.yaml" >"$DESTDIR$ETC/config.yaml"
  chmod 0644 "$DESTDIR$ETC/config.yaml"
  say "created $ETC/config.yaml from the example, audit log on: review it (moshwarden check-config)"
else
  say "kept the existing $ETC/config.yaml"
fi
if [ "$LAYOUT" = local ] && [ ! -e "$DESTDIR$ETC/revoked" ]; then
  install -m 0600 /dev/null "$DESTDIR$ETC/revoked"
  say "created an empty $ETC/revoked (root, 0600)"
fi
if [ -z "$DESTDIR" ]; then chown root:root "$ETC/revoked"; fi

# The units and the logrotate snippet are ours: always the shipped version. The fleet unit is installed,
# not enabled: the fleet is optional (README, "Fleet").
install -D -m 0644 "$SRC/systemd/moshwarden.service" "$DESTDIR$UNIT"
install -D -m 0644 "$SRC/systemd/moshwarden-fleet.service" "$DESTDIR$FLEET_UNIT"
if [ "$LAYOUT" = debian ]; then
  # Run the node the package depends on (/usr/bin/node), not whichever `env node` comes first in PATH.
  # With the V8 flag of bin/moshwarden.js's shebang (a young generation of 1 MiB: docs/architecture.md, "Memory").
  for unit in "$DESTDIR$UNIT" "$DESTDIR$FLEET_UNIT"; do
    sed -i "s|^ExecStart=/usr/local/bin/moshwarden |ExecStart=/usr/bin/node --max-semi-space-size=1 $APP/bin/moshwarden.js |" "$unit"
    grep -q "^ExecStart=/usr/bin/node --max-semi-space-size=1 $APP/bin/moshwarden.js " "$unit" ||
      { echo "install.sh: could not point ExecStart at /usr/bin/node in $unit" >&2; exit 1; }
  done
fi
install -D -m 0644 "$SRC/systemd/moshwarden.logrotate" "$DESTDIR$LOGROTATE"

if [ -z "$DESTDIR" ]; then
  if ! getent passwd "$USER_NAME" >/dev/null; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$USER_NAME"
    say "created the system user $USER_NAME"
  fi
  if ! getent passwd moshwarden-fleet >/dev/null; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin moshwarden-fleet
    say "created the system user moshwarden-fleet (for moshwarden-fleet.service, not enabled)"
  fi
  install -d -m 0750 -o "$USER_NAME" -g "$USER_NAME" /var/log/moshwarden
fi

if [ "$ENABLE" -eq 1 ] && systemd_running; then
  systemctl daemon-reload
  systemctl enable moshwarden.service
  systemctl restart moshwarden.service
  say "enabled and (re)started moshwarden.service; logs: journalctl -u moshwarden"
elif [ -z "$DESTDIR" ]; then
  say "installed; systemd is not running here, so nothing was enabled (start it with: systemctl enable --now moshwarden)"
else
  say "staged under $DESTDIR"
fi
