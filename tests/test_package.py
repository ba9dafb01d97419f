"""`make package`: the per-architecture zips, unpacked the way Grafana's installer unpacks them, then started.

`grafana_install` below re-implements, from the facts in docs/design.md ("Packaging"), what Grafana's plugin
installer does with an archive (pkg/plugins/storage/fs.go Extract, used by `grafana cli plugins install
--pluginUrl` and by GF_PLUGINS_PREINSTALL): the zip's one top-level folder is renamed to the plugin id, members
that would land outside the plugins folder are refused, directories get the parent's mode, files get the zip
entry's mode (0755 forced on names ending in `_linux_amd64`, `_linux_arm64`, ...), symlinks leaving the plugin
folder are skipped, and plugin.json is looked for at the root or in dist/. The plugin is then started from the
unpacked folder and answers a real go-plugin handshake and gRPC health ping.

Grafana's plugin validator cannot run here (docs/design.md, "Packaging": the Go module proxy refuses it).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import package  # scripts/package.py, on the path through pyproject's pytest `pythonpath`
import pytest
from packageurl import PackageURL
from support.grafana_host import StartGrafana

ROOT = Path(__file__).resolve().parent.parent

PLUGIN_ID = package.PLUGIN_ID
DIST_ROOT = ROOT / "dist"
DIST = DIST_ROOT / PLUGIN_ID
HOST_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
# The launcher name suffixes Grafana's installer forces to 0755 (pkg/plugins/storage/fs.go, extractFile).
FORCED_EXECUTABLE_SUFFIXES = ("_linux_amd64", "_linux_arm", "_linux_arm64", "_darwin_amd64", "_darwin_arm64",
                              "_windows_amd64.exe")
GIT_BUILD_PREFIX = re.compile(r"^[a-zA-Z0-9_.-]*/")  # fs.go's reGitBuild: the first path element is replaced
# The first test to need them builds the dist (`make dist package`, minutes); pytest-timeout counts fixture set-up.
pytestmark = [pytest.mark.timeout(3600), pytest.mark.processes]  # processes: tests/support/tiers.py


def _newest_mtime(paths: list[Path]) -> float:
    return max((p.stat().st_mtime for p in paths if p.exists()), default=0.0)


def _dist_sources() -> list[Path]:
    # What `make dist` builds from: a change to any of them means the dist folder is stale.
    return [ROOT / "pyproject.toml", ROOT / "plugin" / "plugin.json", *(ROOT / "scripts").glob("build_dist*"),
            *(ROOT / "launcher").rglob("*.go"), *(ROOT / "src").rglob("*.py")]


@pytest.fixture(scope="session")
def zips() -> dict[str, Path]:
    """The zips of the current tree: `make dist package` when the dist is missing or stale, scripts/package.py
    when only the zips are."""
    version = package.project_version()
    launchers = list(DIST.glob("gpx_*_linux_*"))
    if not launchers or _newest_mtime(_dist_sources()) > min(p.stat().st_mtime for p in launchers):
        subprocess.run(["make", "--no-print-directory", "dist", "package"], cwd=ROOT, check=True, timeout=3000)
    targets = {arch: DIST_ROOT / package.archive_name(version, arch) for arch in package.ARCHES}
    inputs = [p for p in DIST.rglob("*")] + [ROOT / "scripts" / "package.py", ROOT / "scripts" / "sbom.py",
                                             ROOT / "frontend" / "build" / "metafile.json",
                                             *package.DOCUMENTS.values()]
    newest = _newest_mtime(inputs)
    if any(not t.exists() or t.stat().st_mtime < newest for t in targets.values()):
        subprocess.run([sys.executable, str(ROOT / "scripts" / "package.py")], check=True, timeout=1200)
    for arch, target in targets.items():
        assert target.is_file(), f"make package wrote no {target.name}: the dist has no linux_{arch} launcher"
    return targets


def expected_members(arch: str) -> dict[str, Path]:
    """Zip member name → the file it must hold: the dist folder less the other architecture, plus the documents."""
    executable = json.loads((DIST / "plugin.json").read_text())["executable"]
    others = [a for a in package.ARCHES if a != arch]
    members: dict[str, Path] = {}
    for path in sorted(DIST.rglob("*")):
        relative = path.relative_to(DIST).as_posix()
        if path.is_dir() or any(relative == f"{executable}_linux_{o}" or relative.startswith(f"runtime/linux_{o}/")
                                for o in others):
            continue
        members[f"{PLUGIN_ID}/{relative}"] = path
    for name, source in package.DOCUMENTS.items():
        members[f"{PLUGIN_ID}/{name}"] = source
    return members


# --- Grafana's installer, re-implemented from its facts (see the module docstring) ------------------------------

class InstallError(Exception):
    pass


def _zip_mode(info: zipfile.ZipInfo) -> int:
    """The mode Go's archive/zip FileHeader.Mode() gives: Unix creators' external attributes; for MS-DOS
    creators 0666 (0444 read-only), directories 0777."""
    if info.create_system == 3:
        return info.external_attr >> 16
    mode = 0o444 if info.external_attr & 0x01 else 0o666
    if info.external_attr & 0x10 or info.filename.endswith("/"):
        return stat.S_IFDIR | 0o777
    return stat.S_IFREG | mode


def grafana_install(archive: Path, plugins_dir: Path, plugin_id: str) -> Path:
    install_dir = plugins_dir / plugin_id  # SimpleDirNameGeneratorFunc: the id given on the command line
    if install_dir.exists():
        shutil.rmtree(install_dir)
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            name = info.filename
            full = os.path.normpath(os.path.join(plugins_dir, name))
            if os.path.isabs(name) or not full.startswith(str(plugins_dir) + os.sep) or name.startswith("../"):
                raise InstallError(f"archive member {name!r} tries to write outside of plugin directory")
            destination = Path(os.path.normpath(plugins_dir / GIT_BUILD_PREFIX.sub(plugin_id + "/", name)))
            parent = destination.parent
            parent_mode = (0o755 if parent in (plugins_dir, install_dir) or not parent.exists()
                           else parent.stat().st_mode & 0o777)
            mode = _zip_mode(info)
            if info.is_dir() or stat.S_ISDIR(mode):
                destination.mkdir(mode=parent_mode, parents=True, exist_ok=True)
                continue
            parent.mkdir(mode=parent_mode, parents=True, exist_ok=True)
            if stat.S_ISLNK(mode):
                target = zf.read(info).decode().strip()
                resolved = os.path.normpath(os.path.join(destination.parent, target))
                if os.path.isabs(target) or os.path.relpath(resolved, install_dir).startswith(".."):
                    continue  # "symlink pointing outside plugin directory is not allowed": logged and skipped
                destination.symlink_to(target)
                continue
            file_mode = mode & 0o777
            if name.endswith(FORCED_EXECUTABLE_SUFFIXES):
                file_mode = 0o755
            fd = os.open(destination, os.O_RDWR | os.O_CREAT | os.O_TRUNC, file_mode)
            with os.fdopen(fd, "wb") as out, zf.open(info) as src:
                shutil.copyfileobj(src, out, 1 << 20)
    for candidate in (install_dir / "plugin.json", install_dir / "dist" / "plugin.json"):
        if candidate.is_file():
            return install_dir
    raise InstallError(f"could not find plugin.json or dist/plugin.json in {install_dir}")


def test_the_installer_model_refuses_what_grafana_refuses(tmp_path: Path) -> None:
    """The re-implementation is not vacuous: a zip-slip member is refused, an escaping symlink is skipped, a
    git-build root folder is renamed to the id, and a launcher stored without its exec bit gets 0755."""
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../outside.txt", "x")
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    with pytest.raises(InstallError, match="outside of plugin directory"):
        grafana_install(evil, plugins, "some-plugin")
    assert not (tmp_path / "outside.txt").exists()

    odd = tmp_path / "odd.zip"
    with zipfile.ZipFile(odd, "w") as zf:
        zf.writestr(package.entry("repo-main-abc123/plugin.json", stat.S_IFREG | 0o644), '{"id": "some-plugin"}')
        zf.writestr(package.entry("repo-main-abc123/gpx_x_linux_amd64", stat.S_IFREG | 0o644), "binary")
        zf.writestr(package.entry("repo-main-abc123/link", stat.S_IFLNK | 0o777), "/etc/passwd")
    installed = grafana_install(odd, plugins, "some-plugin")
    assert installed == plugins / "some-plugin"
    assert (installed / "plugin.json").is_file()
    assert (installed / "gpx_x_linux_amd64").stat().st_mode & 0o777 == 0o755 & ~_umask()
    assert not (installed / "link").exists() and not (installed / "link").is_symlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- the zips ------------------------------------------------------------------------------------------------

def test_one_zip_per_architecture_with_its_sha1(zips: dict[str, Path]) -> None:
    version = package.project_version()
    for arch, path in zips.items():
        assert path.name == f"{PLUGIN_ID}-{version}.linux_{arch}.zip"
        sha1_file = path.with_name(path.name + ".sha1")
        # grafana/plugin-actions package-plugin: `sha1sum <zip> | cut -f1 -d' '`
        assert sha1_file.read_text() == hashlib.sha1(path.read_bytes()).hexdigest() + "\n"


@pytest.mark.parametrize("arch", package.ARCHES)
def test_zip_holds_the_dist_folder_for_its_architecture_only(zips: dict[str, Path], arch: str) -> None:
    expected = expected_members(arch)
    executable = json.loads((DIST / "plugin.json").read_text())["executable"]
    with zipfile.ZipFile(zips[arch]) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names), "entries are sorted (deterministic)"
        assert {n.split("/")[0] for n in names} == {PLUGIN_ID}, "one top-level folder, named after the plugin id"
        files = {i.filename: i for i in infos if not i.is_dir()}
        assert set(files) == set(expected)
        for name, info in files.items():
            mode = _zip_mode(info)
            assert info.create_system == 3 and stat.S_ISREG(mode), f"{name}: a regular file with Unix mode"
            assert info.date_time == package.FIXED_TIME
            source_executable = bool(expected[name].stat().st_mode & 0o111)
            assert mode & 0o777 == (0o755 if source_executable else 0o644), name
            assert info.CRC == _crc32(expected[name]), f"{name}: content differs from the dist folder"
        for info in infos:
            if info.is_dir():
                assert _zip_mode(info) == stat.S_IFDIR | 0o755
    other = [a for a in package.ARCHES if a != arch]
    assert f"{PLUGIN_ID}/{executable}_linux_{arch}" in files
    assert not any(n == f"{PLUGIN_ID}/{executable}_linux_{o}" or n.startswith(f"{PLUGIN_ID}/runtime/linux_{o}/")
                   for o in other for n in names)
    assert any(n.startswith(f"{PLUGIN_ID}/runtime/linux_{arch}/") for n in names) or not (
        DIST / "runtime" / f"linux_{arch}").exists()
    assert _zip_mode(files[f"{PLUGIN_ID}/{executable}_linux_{arch}"]) & 0o111


@pytest.mark.parametrize("arch", package.ARCHES)
def test_sbom_names_every_native_file_of_the_zip_with_its_origin(zips: dict[str, Path], arch: str) -> None:
    """`make package` writes <zip>.cdx.json (scripts/sbom.py): every ELF file in the zip (shared libraries,
    extension modules, interpreter, loader, launcher) is a `file` component with the zip's bytes' sha256, owned
    by a Debian package (the version build_dist downloaded), a wheel (the dist-info bundled) or this repository."""
    version = package.project_version()
    sbom = json.loads((DIST_ROOT / f"{PLUGIN_ID}-{version}.linux_{arch}.cdx.json").read_text())
    assert sbom["bomFormat"] == "CycloneDX" and sbom["specVersion"] == "1.6"
    assert sbom["metadata"]["component"]["name"] == PLUGIN_ID
    assert sbom["metadata"]["component"]["version"] == version
    components = {c["bom-ref"]: c for c in sbom["components"]}
    files = {c["name"]: c for c in components.values() if c["type"] == "file"}
    owner = {ref: d["ref"] for d in sbom["dependencies"] for ref in d.get("dependsOn", [])}
    native = {}
    with zipfile.ZipFile(zips[arch]) as zf:
        for info in zf.infolist():
            if not info.is_dir():
                with zf.open(info) as member:
                    if member.read(4) == b"\x7fELF":
                        native[info.filename.removeprefix(PLUGIN_ID + "/")] = hashlib.sha256(
                            zf.read(info)).hexdigest()
    assert any(".so" in name for name in native) and len(native) > 40
    assert set(files) - {"module.js"} == set(native)  # module.js: the npm packages' file (the test below)
    manifest = json.loads((DIST / "runtime" / "MANIFEST.json").read_text())[f"linux_{arch}"]
    debs = {name.split("_")[0]: name.split("_")[1].replace("%3a", ":") for name in manifest["debian"]}
    wheels = {name.rsplit("-", 1)[0].lower().replace("_", "-") for name in manifest["python"]}
    for name, digest in native.items():
        component = files[name]
        assert component["hashes"] == [{"alg": "SHA-256", "content": digest}], name
        purl = PackageURL.from_string(components[owner[component["bom-ref"]]]["purl"])
        if purl.type == "deb":
            assert (purl.namespace, purl.qualifiers["arch"]) == ("debian", arch)
            assert debs[purl.name] == purl.version, name
        elif purl.type == "pypi":
            assert purl.name in wheels, name
            assert name.startswith(("runtime/python/site/", f"runtime/linux_{arch}/site/")), name
        else:
            assert name == f"{json.loads((DIST / 'plugin.json').read_text())['executable']}_linux_{arch}"
    for needed in ("libssl3", "libc6", "pyarrow", "grpcio"):
        assert any(c["name"] == needed for c in components.values()), needed


def _installed_package(frontend: Path, path: str) -> tuple[str, str]:
    """(name, version) of the installed npm package a bundled file belongs to, read from node_modules' own
    package.json files (not the lock sbom.py reads): the deepest `node_modules/<name>/package.json` on its path.
    A package's pre-bundled copy of another (no package.json of its own) belongs to the enclosing package."""
    parts = path.split("/")
    found = None
    for index, part in enumerate(parts):
        if part == "node_modules" and index + 1 < len(parts):
            end = index + 3 if parts[index + 1].startswith("@") else index + 2
            manifest = frontend.joinpath(*parts[:end], "package.json")
            if manifest.is_file():
                found = json.loads(manifest.read_text())
    assert found is not None, path
    return found["name"], found["version"]


@pytest.mark.parametrize("arch", package.ARCHES)
def test_sbom_names_the_npm_packages_bundled_into_module_js(zips: dict[str, Path], arch: str) -> None:
    """esbuild's metafile (frontend/build/metafile.json, written by frontend/scripts/build.mjs) lists every file
    that went into module.js: each npm package with a file there is in the SBOM with its purl and version,
    owned by the module.js file component (the zip's bytes' sha256), and nothing else from npm is, so no
    devDependency (vitest, esbuild, typescript) and none of the externals Grafana provides (react, @grafana/ui)."""
    frontend = ROOT / "frontend"
    version = package.project_version()
    sbom = json.loads((DIST_ROOT / f"{PLUGIN_ID}-{version}.linux_{arch}.cdx.json").read_text())
    components = {c["bom-ref"]: c for c in sbom["components"]}
    npm = {PackageURL.from_string(c["purl"]): c for c in components.values()
           if c.get("purl", "").startswith("pkg:npm/")}
    named = {(f"{p.namespace}/{p.name}" if p.namespace else p.name, p.version) for p in npm}
    inputs = json.loads((frontend / "build" / "metafile.json").read_text())["inputs"]
    bundled = {_installed_package(frontend, path) for path in inputs if path.startswith("node_modules/")}
    assert len(bundled) > 20 and ("@grafana/aws-sdk", "0.12.4") in bundled
    assert named == bundled
    manifest = json.loads((frontend / "package.json").read_text())
    lock = json.loads((frontend / "package-lock.json").read_text())["packages"]
    dev_only = {lock[key].get("name", key.rsplit("node_modules/", 1)[1]) for key in lock if lock[key].get("dev")}
    assert {"vitest", "esbuild", "typescript", "jsdom"} <= dev_only | set(manifest["devDependencies"])
    assert not {name for name, _ in named} & (dev_only | set(manifest["devDependencies"]))
    assert not {name for name, _ in named} & {"react", "react-dom", "@grafana/ui", "@grafana/data"}
    with zipfile.ZipFile(zips[arch]) as zf:
        module_sha256 = hashlib.sha256(zf.read(f"{PLUGIN_ID}/module.js")).hexdigest()
    module = components["file:module.js"]
    assert module["type"] == "file" and module["hashes"] == [{"alg": "SHA-256", "content": module_sha256}]
    depends = {d["ref"]: set(d.get("dependsOn", [])) for d in sbom["dependencies"]}
    for purl, component in npm.items():
        assert depends[component["bom-ref"]] == {"file:module.js"}, purl
        assert component["bom-ref"] in depends[PLUGIN_ID]
    licensed = [c for c in npm.values() if c.get("licenses")]
    assert len(licensed) > len(npm) // 2  # package-lock.json's `license` where the package declares one


def test_the_sbom_is_the_same_bytes_every_run(zips: dict[str, Path], tmp_path: Path) -> None:
    """No per-run timestamp or random serial number: the timestamp is plugin.json's build date, the serial
    number is derived from the content, so packaging the same dist again gives the same SBOM."""
    import sbom

    written = sbom.write_sboms(DIST, tmp_path, [HOST_ARCH])
    first = (DIST_ROOT / written[0].name).read_text()
    assert written[0].read_text() == first
    document = json.loads(first)
    assert document["metadata"]["timestamp"].startswith(
        json.loads((DIST / "plugin.json").read_text())["info"]["updated"] + "T00:00:00")
    assert document["serialNumber"] != "urn:uuid:00000000-0000-0000-0000-000000000000"


def test_signed_zip_installs_with_a_manifest_that_matches_its_files(zips: dict[str, Path], tmp_path: Path) -> None:
    """scripts/sign.py on the real dist with the real @grafana/sign-plugin (scripts/setup.sh --system installs
    it), grafana.com played on 127.0.0.1 (tests/support/fake_grafana_com.py): the manifest is made from the
    folder each zip holds, so after Grafana's installer unpacks the zip every file matches it
    (verify_manifest.py, Grafana's rules), and a file changed after signing fails the check."""
    import sign
    import verify_manifest
    from support.fake_grafana_com import fake_grafana_com

    run_js = ROOT / "build" / "sign-plugin" / "node_modules" / "@grafana" / "sign-plugin" / "dist" / "bin" / "run.js"
    assert run_js.is_file(), "the signer is missing: run scripts/setup.sh --system"
    with fake_grafana_com(tmp_path) as grafana_com:
        env = {key: value for key, value in os.environ.items() if "proxy" not in key.lower()}
        env.update({sign.TOKEN_VARIABLE: "glc_test", "GRAFANA_COM_URL": grafana_com.url,
                    "NODE_EXTRA_CA_CERTS": str(grafana_com.cert), "SIGN_PLUGIN_COMMAND": f"node {run_js}"})
        sign.sign(DIST, tmp_path / "out", "https://grafana.example.com/", "private", env, work=tmp_path / "work")
    signed = tmp_path / "out" / zips[HOST_ARCH].name
    installed = grafana_install(signed, tmp_path / "plugins", PLUGIN_ID)
    manifest = verify_manifest.read_manifest((installed / "MANIFEST.txt").read_text())
    assert len(manifest["files"]) == sum(1 for p in installed.rglob("*") if p.is_file()) - 1
    assert verify_manifest.verify(installed) == []
    library = next(p for p in (installed / "runtime" / f"linux_{HOST_ARCH}" / "lib").iterdir() if ".so" in p.name)
    library.write_bytes(library.read_bytes() + b"\0")
    assert [p for p in verify_manifest.verify(installed) if library.name in p]


def _crc32(path: Path) -> int:
    import zlib

    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
    return crc


def test_packaging_twice_gives_the_same_bytes(zips: dict[str, Path], tmp_path: Path) -> None:
    executable = json.loads((DIST / "plugin.json").read_text())["executable"]
    again = tmp_path / zips[HOST_ARCH].name
    package.write_zip(DIST, again, HOST_ARCH, executable)
    assert again.read_bytes() == zips[HOST_ARCH].read_bytes()


def test_grafana_installs_the_zip_and_the_plugin_starts_from_there(zips: dict[str, Path], tmp_path: Path,
                                                                   grafana: StartGrafana) -> None:
    plugins_dir = tmp_path / "plugins"
    plugins_dir.mkdir()
    installed = grafana_install(zips[HOST_ARCH], plugins_dir, PLUGIN_ID)

    meta = json.loads((installed / "plugin.json").read_text())
    assert meta["id"] == PLUGIN_ID and meta["backend"] is True
    assert meta["info"]["version"] == package.project_version()
    exe = installed / f"{meta['executable']}_linux_{HOST_ARCH}"
    # What Grafana checks before it starts a backend plugin: the executable for its own OS/arch, executable.
    assert exe.is_file() and os.access(exe, os.X_OK)
    for path in installed.rglob("*"):
        assert not path.is_symlink()
        source = DIST / path.relative_to(installed)
        if path.is_file() and source.is_file() and source.stat().st_mode & 0o111:
            assert os.access(path, os.X_OK), f"{path}: lost its exec bit in the zip"

    host = grafana([str(exe)])  # Grafana's own plugin client (go-plugin 1.8 + the SDK)
    assert host.started["negotiatedVersion"] == 2 and host.started["protocol"] == "grpc"
    assert host.ping()  # grpc.health.v1 SERVING
    stopped = host.kill()
    assert stopped["graceful"] is True and stopped["exitCode"] == 0, stopped
