#!/bin/sh
# One-time set-up on a fresh machine; safe to run again (each step is skipped when already done).
#  scripts/setup.sh           .venv with this package (editable) and the dev tools, re-installed when
#                             pyproject.toml changes (enough for `make run`);
#  scripts/setup.sh --system  also what the full test suite needs from the system: the packages (as root, via
#                             apt-get, only those missing) Node.js/npm for the frontend, Chromium for its check,
#                             tinyproxy for the HTTP proxy tests, redis-server for the shared result cache's
#                             tests (tests/support/redis_server.py starts its own on 127.0.0.1), patchelf and an arm64 strip for `make dist`,
#                             qemu-user-static and busybox-static for the libc-free runtime tests, docker-compose
#                             (a client only: `docker-compose config` checks deploy/docker-compose.yaml); and the Go
#                             host's modules (`go mod download` in tests/goplugin_host, pinned by its go.sum, from the
#                             Go module proxy), and @grafana/sign-plugin into build/sign-plugin (the signing
#                             tests). Go itself comes from the machine (/usr/local/go/bin/go, or go on
#                             PATH): the go.mod files need Go >= 1.26, newer than Debian's golang-go.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
system=false
[ "${1:-}" = "--system" ] && system=true

want="chromium tinyproxy redis-server patchelf binutils-aarch64-linux-gnu qemu-user-static busybox-static docker-compose"
command -v node >/dev/null 2>&1 || want="$want nodejs npm"
missing=""
$system || want=""
for pkg in $want; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: apt-get install$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "setup: missing system packages (install them as root):$missing" >&2
  fi
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing the package and dev tools into .venv"
  log=$(mktemp)
  # pip's output is kept quiet unless it fails (machine-wide pip configs can be chatty about find-links).
  if ! { .venv/bin/pip install --quiet --disable-pip-version-check --upgrade pip &&
         .venv/bin/pip install --quiet --disable-pip-version-check -e ".[dev]"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
  touch "$stamp"
fi

if $system; then
  # The Go host (tests/goplugin_host): grafana-server's own plugin client, which the end-to-end tests drive the
  # plugin with. GOTOOLCHAIN=local: never fetch another toolchain; GOFLAGS=-mod=readonly: go.sum must be complete.
  PATH="/usr/local/go/bin:$PATH"
  if ! command -v go >/dev/null 2>&1; then
    echo "setup: Go missing (expected /usr/local/go/bin/go): the end-to-end tests need it" >&2
    exit 1
  fi
  (cd tests/goplugin_host && GOTOOLCHAIN=local GOFLAGS=-mod=readonly go mod download)
  # Grafana's plugin signer, the version scripts/sign.py pins, for tests/test_signing.py: it runs the real signer
  # against a local stand-in for grafana.com (no network in the tests themselves).
  signer_version=$(sed -n 's/^SIGN_PLUGIN_VERSION = "\(.*\)".*/\1/p' scripts/sign.py)
  if [ ! -f "build/sign-plugin/node_modules/@grafana/sign-plugin/package.json" ] ||
     ! grep -q "\"version\": \"$signer_version\"" build/sign-plugin/node_modules/@grafana/sign-plugin/package.json; then
    echo "setup: npm install @grafana/sign-plugin@$signer_version into build/sign-plugin"
    npm install --prefix build/sign-plugin --no-audit --no-fund --silent "@grafana/sign-plugin@$signer_version"
  fi
fi
