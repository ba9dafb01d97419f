#!/bin/sh
# Build the folder grafana-server loads: dist/pyaws-cloudwatch-datasource/
#   plugin.json, gpx_cloudwatch_linux_<arch> (exec bit), venv/ (this package + its dependencies), and the
#   frontend (module.js, img/) when frontend/dist exists.
# The launcher `exec`s the venv's interpreter by absolute path: Grafana >= 12.4 gives the plugin no PATH, HOME
# or VIRTUAL_ENV, and go-plugin kills only its direct child, so the shell must not stay in between.
# The venv is tied to this machine's Python (venvs are not relocatable across interpreters): build the dist on
# the Grafana host, or on a machine with the same Python at the same path, and the same CPU architecture.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
id=pyaws-cloudwatch-datasource
out="$root/dist/$id"
version=$("$python" -c "import re,sys; print(re.search(r'^version = \"(.+)\"', open(sys.argv[1]).read(), re.M).group(1))" "$root/pyproject.toml")
case "$(uname -m)" in
  x86_64|amd64) arch=amd64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac

rm -rf "$out"
mkdir -p "$out"
# The interpreter the venv links to must be a real path, not a pyenv shim.
base_python=$("$python" -c "import sys; print(sys.executable)")
"$base_python" -m venv "$out/venv"
"$out/venv/bin/pip" install --quiet --disable-pip-version-check --no-compile "$root"
# Byte-compile once now: the first start under Grafana should not pay for it (and the folder may be read-only).
"$out/venv/bin/python" -m compileall -q "$out/venv/lib" >/dev/null 2>&1 || true

sed -e "s/%VERSION%/$version/" -e "s/%TODAY%/$(date -u +%Y-%m-%d)/" "$root/plugin/plugin.json" > "$out/plugin.json"
launcher="$out/gpx_cloudwatch_linux_$arch"
cat > "$launcher" <<'LAUNCH'
#!/bin/sh
# Started by grafana-server (go-plugin) with an absolute path and possibly an empty environment.
# ${0%/*} needs no external command (there may be no PATH); `exec` keeps go-plugin's kill aimed at Python.
here=${0%/*}
exec "$here/venv/bin/python" -I -m cloudwatch_datasource "$@"
LAUNCH
chmod 0755 "$launcher"

if [ -f "$root/frontend/dist/module.js" ]; then
  cp -R "$root/frontend/dist/." "$out/"
  # The frontend build may write its own plugin.json; ours (backend, executable) is the one Grafana must read.
  sed -e "s/%VERSION%/$version/" -e "s/%TODAY%/$(date -u +%Y-%m-%d)/" "$root/plugin/plugin.json" > "$out/plugin.json"
else
  echo "note: frontend/dist/module.js not built; the dist has no UI editors (run 'make frontend')" >&2
fi
mkdir -p "$out/img"
[ -f "$out/img/logo.svg" ] || cp "$root/plugin/logo.svg" "$out/img/logo.svg"
echo "built $out ($arch)"
