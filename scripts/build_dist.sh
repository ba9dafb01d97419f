#!/bin/sh
# Build the folder grafana-server loads: dist/pyaws-cloudwatch-datasource/
#   plugin.json, gpx_cloudwatch_linux_<arch> (exec bit) and lib/ (its Python runtime, this package and its
#   dependencies), and the frontend (module.js, img/) when frontend/dist exists.
# The executable is a PyInstaller "onedir" bundle: the CPython that built it, frozen with exactly the modules the
# plugin imports. It needs no Python, PATH, HOME or VIRTUAL_ENV on the Grafana host (Grafana >= 12.4 gives the
# plugin none of them), the folder can be copied anywhere, and it is one process (no launcher in between, so
# go-plugin's kill reaches the plugin itself). It runs on Linux hosts of the same CPU architecture with a glibc at
# least as new as the build machine's (Debian 12: 2.36); not on musl (Alpine) hosts.
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
# A build venv with only the plugin's runtime dependencies and PyInstaller, so the bundle can hold nothing else.
# The bench baselines run this venv's interpreter: the same CPython the bundle carries.
build="$root/build/dist"
venv="$root/build/dist-venv"
rm -rf "$build" "$venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "pyinstaller>=6.10,<7" "$root"
"$venv/bin/pyinstaller" --noconfirm --clean --onedir --log-level ERROR --name "gpx_cloudwatch_linux_$arch" \
  --contents-directory lib --distpath "$build/out" --workpath "$build/work" --specpath "$build" \
  --collect-submodules cloudwatch_datasource --collect-data botocore --collect-data boto3 \
  "$root/scripts/gpx_entry.py"
cp -R "$build/out/gpx_cloudwatch_linux_$arch/." "$out/"
chmod 0755 "$out/gpx_cloudwatch_linux_$arch"

sed -e "s/%VERSION%/$version/" -e "s/%TODAY%/$(date -u +%Y-%m-%d)/" "$root/plugin/plugin.json" > "$out/plugin.json"

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
