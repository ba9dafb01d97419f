"""Zip the built plugin folder the way Grafana distributes plugins: one archive per architecture.

    python scripts/package.py [--dist dist/pyaws-cloudwatch-datasource] [--out dist]

writes, for each architecture the folder has a launcher for (amd64, arm64):

    dist/pyaws-cloudwatch-datasource-<version>.linux_<arch>.zip        the plugin folder at the zip's root
    dist/pyaws-cloudwatch-datasource-<version>.linux_<arch>.zip.sha1   its SHA1, hex, one line
    dist/pyaws-cloudwatch-datasource-<version>.linux_<arch>.cdx.json   its SBOM (CycloneDX; scripts/sbom.py)

What the conventions are and where they come from (docs/design.md, "Packaging", has the sources):
- one top-level folder named after the plugin id (Grafana's docs, "Package a plugin"; the validator's archive and
  archivename analyzers); `<id>-<version>.zip` as grafana/plugin-actions' package-plugin names it, with the
  `.linux_<arch>` suffix grafana.com uses for per-platform archives;
- the other architecture's `gpx_*_linux_<arch>` launcher and `runtime/linux_<arch>/` are left out, so each zip
  holds only what runs on its platform;
- Unix permissions in each entry's external attributes (Grafana's installer creates files with the zip's mode,
  and forces 0755 only on names ending in `_linux_amd64` / `_linux_arm64`...: the bundled CPython and loader
  need their exec bit from the zip); directories 0755;
- no symlinks (Grafana's installer skips a symlink that leaves the plugin folder, and the layout has none);
- `<zip>.sha1`: grafana/plugin-actions' package-plugin writes `sha1sum <zip> | cut -f1 -d' '`, which is what the
  grafana.com submission form and the validator's `-checksum` take.
- deterministic: entries sorted, fixed timestamps, normalised modes; the same tree gives the same bytes.

README.md, CHANGELOG.md, LICENSE and the screenshots plugin.json names, which Grafana's catalog shows and its
validator asks for, come from the repository (plugin/README.md, the user's page; CHANGELOG.md; LICENSE;
docs/img/*.png), replacing any the build left in the dist folder (the frontend build copies its developer README
there).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import stat
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLUGIN_ID = "pyaws-cloudwatch-datasource"
ARCHES = ("amd64", "arm64")
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold
# Files Grafana's catalog shows and its validator asks for, and their source in the repository.
DOCUMENTS = {"README.md": ROOT / "plugin" / "README.md", "CHANGELOG.md": ROOT / "CHANGELOG.md",
             "LICENSE": ROOT / "LICENSE",
             "img/screenshot-config-editor.png": ROOT / "docs" / "img" / "config-editor.png",
             "img/screenshot-query-editor.png": ROOT / "docs" / "img" / "query-editor.png",
             "img/screenshot-logs-editor.png": ROOT / "docs" / "img" / "logs-editor.png",
             "img/screenshot-annotation-editor.png": ROOT / "docs" / "img" / "annotation-editor.png"}


class PackageError(Exception):
    pass


def project_version() -> str:
    with open(ROOT / "pyproject.toml", "rb") as f:
        version = tomllib.load(f)["project"]["version"]
    assert isinstance(version, str)
    return version


def archive_name(version: str, arch: str) -> str:
    return f"{PLUGIN_ID}-{version}.linux_{arch}.zip"


def arches_in(dist: Path, executable: str) -> list[str]:
    return [a for a in ARCHES if (dist / f"{executable}_linux_{a}").is_file()]


def excluded(relative: str, executable: str, other_arches: list[str]) -> bool:
    for other in other_arches:
        if relative == f"{executable}_linux_{other}" or relative.startswith(f"runtime/linux_{other}/"):
            return True
    return False


def walk(dist: Path) -> Iterator[tuple[str, Path]]:
    """(path relative to the plugin folder, with '/' separators; absolute path) for every file and folder."""
    for directory, dirnames, filenames in os.walk(dist):
        dirnames.sort()
        base = Path(directory)
        for name in [*dirnames, *sorted(filenames)]:
            path = base / name
            if path.is_symlink():
                raise PackageError(f"{path}: a symlink; Grafana's installer drops symlinks that leave the plugin "
                                   "folder, and this plugin's layout has none (copy the file instead)")
            yield path.relative_to(dist).as_posix(), path


def entry(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.create_system = 3  # Unix: readers (Go's archive/zip in Grafana) take the mode from external_attr
    info.external_attr = mode << 16
    if stat.S_ISDIR(mode):
        info.external_attr |= 0x10  # the MS-DOS directory flag, as zip(1) sets it
    return info


def zip_members(dist: Path, arch: str, executable: str) -> dict[str, tuple[int, Path | None]]:
    """Zip member name → (mode, source file, None for a directory): what the linux_<arch> zip holds."""
    others = [a for a in ARCHES if a != arch]
    members: dict[str, tuple[int, Path | None]] = {PLUGIN_ID + "/": (stat.S_IFDIR | 0o755, None)}
    for relative, path in walk(dist):
        if excluded(relative + ("/" if path.is_dir() else ""), executable, others):
            continue
        if path.is_dir():
            members[f"{PLUGIN_ID}/{relative}/"] = (stat.S_IFDIR | 0o755, None)
        else:
            # Normalised: the build machine's umask must not change the bytes; exec bit kept (launcher, CPython,
            # the glibc loader, shared libraries).
            executable_bit = path.stat().st_mode & 0o111
            members[f"{PLUGIN_ID}/{relative}"] = (stat.S_IFREG | (0o755 if executable_bit else 0o644), path)
    for name, document in DOCUMENTS.items():
        members[f"{PLUGIN_ID}/{name}"] = (stat.S_IFREG | 0o644, document)
    return members


def stage(dist: Path, arch: str, executable: str, target: Path) -> Path:
    """Copy exactly what the linux_<arch> zip holds into target/<plugin id>/ (modes as in the zip): the folder
    scripts/sign.py signs, so the manifest is made from the final files."""
    root = target / PLUGIN_ID
    if root.exists():
        shutil.rmtree(root)
    for name, (mode, source) in zip_members(dist, arch, executable).items():
        path = target / name
        if source is None:
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, path)
            path.chmod(stat.S_IMODE(mode))
    return root


def write_zip(dist: Path, target: Path, arch: str, executable: str) -> None:
    members = zip_members(dist, arch, executable)
    partial = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in sorted(members):
            mode, source = members[name]
            info = entry(name, mode)
            if source is None:
                zf.writestr(info, b"")
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(source, "rb") as src, zf.open(info, "w") as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
    partial.replace(target)


def sha1_file(path: Path) -> str:
    digest = hashlib.sha1()  # noqa: S324 - the checksum Grafana's publishing flow asks for, not a security control
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def package(dist: Path, out: Path) -> list[Path]:
    plugin_json = json.loads((dist / "plugin.json").read_text())
    if plugin_json.get("id") != PLUGIN_ID or dist.name != PLUGIN_ID:
        raise PackageError(f"{dist}: expected the folder and plugin.json id to be {PLUGIN_ID}")
    version = project_version()
    if plugin_json.get("info", {}).get("version") != version:
        raise PackageError(f"{dist}/plugin.json: info.version {plugin_json.get('info', {}).get('version')!r} is not "
                           f"pyproject.toml's {version!r}: rebuild the dist")
    executable = plugin_json.get("executable")
    if not plugin_json.get("backend") or not isinstance(executable, str):
        raise PackageError(f"{dist}/plugin.json: not a backend plugin with an executable")
    arches = arches_in(dist, executable)
    if not arches:
        raise PackageError(f"{dist}: no {executable}_linux_<arch> launcher for any of {ARCHES}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for arch in arches:
        target = out / archive_name(version, arch)
        write_zip(dist, target, arch, executable)
        (out / (target.name + ".sha1")).write_text(sha1_file(target) + "\n")
        written.append(target)
    import sbom  # scripts/sbom.py, beside this file: the CycloneDX SBOM of each zip

    try:
        written += sbom.write_sboms(dist, out, arches)
    except sbom.SbomError as e:
        raise PackageError(str(e)) from e
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dist", type=Path, default=ROOT / "dist" / PLUGIN_ID, help="the plugin folder")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where the zips go")
    args = parser.parse_args(argv)
    try:
        for path in package(args.dist, args.out):
            if path.suffix == ".zip":
                print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, sha1 {sha1_file(path)})")
            else:
                print(f"wrote {path}")
    except PackageError as e:
        print(f"package: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
