"""Check a plugin folder against its MANIFEST.txt the way Grafana does when it loads a signed plugin, except for
the PGP signature itself (Grafana checks that with its own public key):

    python scripts/verify_manifest.py dist/sign/linux_amd64/pyaws-cloudwatch-datasource

Grafana's rules (pkg/plugins/manager/signature/manifest.go in grafana/grafana, `Calculate`):
- the manifest's `plugin` and `version` are plugin.json's `id` and `info.version`, or the plugin is "modified";
- every file the manifest lists exists and its SHA-256 (hex) is the listed one, or "modified";
- manifest version 2.x (what grafana.com signs today): every file in the folder, except files named MANIFEST.txt,
  is listed ("unsigned files" make it "modified"); symlinks must stay inside the folder;
- a private signature (`signatureType: private`) is valid only under the listed `rootUrls` (checked by Grafana
  against its own `root_url`; printed here, not checked).

`build_manifest` makes the unsigned manifest the way @grafana/sign-plugin does before it sends it to grafana.com
(its src/utils/manifest.ts `buildManifest`, npm package @grafana/sign-plugin 3.x): `plugin` and `version` from
plugin.json, `files` = every regular file under the folder (and symlinks to files inside it), recursively, by
POSIX path relative to the folder, except the top-level MANIFEST.txt, each with the hex SHA-256 of its bytes.
grafana.com adds `manifestVersion`, `time`, `keyId`, `signedByOrg`... and returns the JSON clear-signed
(`-----BEGIN PGP SIGNED MESSAGE-----`), which the signer saves as MANIFEST.txt.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

MANIFEST = "MANIFEST.txt"
CLEARSIGN_BEGIN = "-----BEGIN PGP SIGNED MESSAGE-----"
SIGNATURE_BEGIN = "-----BEGIN PGP SIGNATURE-----"


class ManifestError(Exception):
    pass


def sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def plugin_files(folder: Path, skip_every_manifest: bool) -> list[str]:
    """Files under `folder` (POSIX relative paths): regular files and symlinks to files inside the folder.
    `skip_every_manifest`: Grafana's walk skips any file named MANIFEST.txt; the signer only the top-level one."""
    base = folder.resolve()
    found = []
    for directory, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(directory) / name
            relative = path.relative_to(base).as_posix()
            if relative == MANIFEST or (skip_every_manifest and name == MANIFEST):
                continue
            if path.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(base):
                    raise ManifestError(f"{relative}: a symlink to {target}, outside the plugin folder")
                if not target.is_file():
                    continue
            found.append(relative)
    return found


def build_manifest(folder: Path) -> dict[str, Any]:
    plugin_json = json.loads((folder / "plugin.json").read_text(encoding="utf-8"))
    return {"plugin": plugin_json["id"], "version": plugin_json["info"]["version"],
            "files": {relative: sha256(folder / relative) for relative in plugin_files(folder, False)}}


def read_manifest(text: str) -> dict[str, Any]:
    """The manifest JSON from MANIFEST.txt: clear-signed as grafana.com returns it (RFC 4880 section 7: armor
    header lines, an empty line, the dash-escaped text, then the signature block), or the bare JSON."""
    if text.lstrip().startswith(CLEARSIGN_BEGIN):
        lines = text.lstrip().splitlines()
        try:
            body_start = lines.index("", 1) + 1  # after the "Hash: ..." armor headers
            body_end = lines.index(SIGNATURE_BEGIN, body_start)
        except ValueError as exc:
            raise ManifestError("MANIFEST.txt: a clear-signed message without its body or signature") from exc
        text = "\n".join(line[2:] if line.startswith("- ") else line for line in lines[body_start:body_end])
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"MANIFEST.txt: not JSON: {exc}") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise ManifestError("MANIFEST.txt: no `files` object")
    return manifest


def verify(folder: Path) -> list[str]:
    """The problems Grafana would find (empty when the folder matches its manifest)."""
    manifest = read_manifest((folder / MANIFEST).read_text(encoding="utf-8"))
    plugin_json = json.loads((folder / "plugin.json").read_text(encoding="utf-8"))
    problems = []
    if manifest.get("plugin") != plugin_json.get("id"):
        problems.append(f"manifest plugin {manifest.get('plugin')!r} is not plugin.json's id {plugin_json.get('id')!r}")
    if manifest.get("version") != plugin_json.get("info", {}).get("version"):
        problems.append(f"manifest version {manifest.get('version')!r} is not plugin.json's "
                        f"{plugin_json.get('info', {}).get('version')!r}")
    for relative, digest in sorted(manifest["files"].items()):
        path = folder / relative
        if not path.is_file():
            problems.append(f"{relative}: listed in the manifest, missing from the folder")
        elif sha256(path) != digest:
            problems.append(f"{relative}: changed since the manifest was made (sha256 differs)")
    if str(manifest.get("manifestVersion", "2.")).startswith("2."):
        for relative in plugin_files(folder, True):
            if relative not in manifest["files"]:
                problems.append(f"{relative}: not in the manifest (an unsigned file)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="the plugin folder holding MANIFEST.txt and plugin.json")
    args = parser.parse_args(argv)
    try:
        problems = verify(args.folder)
    except (ManifestError, OSError, KeyError) as exc:
        print(f"verify_manifest: {exc}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"verify_manifest: {problem}", file=sys.stderr)
    if problems:
        print("Grafana would report this plugin's signature as modified and refuse to load it", file=sys.stderr)
        return 1
    manifest = read_manifest((args.folder / MANIFEST).read_text(encoding="utf-8"))
    urls = ", ".join(manifest.get("rootUrls") or []) or "none"
    print(f"{args.folder}: {len(manifest['files'])} files match MANIFEST.txt "
          f"(signature type {manifest.get('signatureType', 'unknown')}, root URLs {urls})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
