"""Sign the per-architecture zips with a Grafana signature (private by default), from the final files:

    GRAFANA_ACCESS_POLICY_TOKEN=... python scripts/sign.py --root-urls https://grafana.example.com/
    (`make sign ROOT_URLS=https://grafana.example.com/` runs `make package` first, then this)

For each architecture:
1. stage exactly what its zip holds (scripts/package.py `stage`: the dist folder less the other architecture,
   plus the catalog documents) into build/sign/linux_<arch>/pyaws-cloudwatch-datasource/;
2. run @grafana/sign-plugin on that folder (`npx @grafana/sign-plugin@<SIGN_PLUGIN_VERSION> --distDir <folder>
   --rootUrls <urls>`; the token reaches it through the environment only, never the command line). It hashes
   every file, sends the manifest to grafana.com (`GRAFANA_COM_URL`, default https://grafana.com/api, route
   /plugins/ci/sign) and saves the signed answer as MANIFEST.txt in the folder;
3. check the folder against MANIFEST.txt as Grafana will (scripts/verify_manifest.py): any file changed after
   signing, added or missing makes Grafana call the plugin "modified" and refuse it, so this must pass;
4. zip the signed folder (same names, modes and order as `make package`) and write its .sha1 and SBOM.

Why per architecture: Grafana checks that every file the manifest lists exists and that no file is missing
from it, and each zip leaves out the other architecture's runtime, so one manifest for the two-architecture
dist folder would be "modified" in both zips. Docs: docs/releases.md, "Signing".
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import package  # scripts/package.py, beside this file
import sbom
import verify_manifest

ROOT = Path(__file__).resolve().parent.parent
# The variable @grafana/sign-plugin reads the token from (GRAFANA_API_KEY is its deprecated one); a name, not a secret.
TOKEN_VARIABLE = "GRAFANA_ACCESS_POLICY_TOKEN"  # noqa: S105
SIGN_PLUGIN_VERSION = "3.3.3"  # pinned: the manifest rules verify_manifest.py mirrors are this version's
# The signer command; SIGN_PLUGIN_COMMAND replaces it (e.g. a signer installed locally).
DEFAULT_SIGNER = f"npx --yes @grafana/sign-plugin@{SIGN_PLUGIN_VERSION}"


class SignError(Exception):
    pass


def sign_folder(folder: Path, root_urls: str, signature_type: str, env: dict[str, str]) -> None:
    command = [*shlex.split(env.get("SIGN_PLUGIN_COMMAND") or DEFAULT_SIGNER), "--distDir", str(folder)]
    if root_urls:
        command += ["--rootUrls", root_urls]
    if signature_type != "private":
        command += ["--signatureType", signature_type]
    done = subprocess.run(command, env=env, cwd=folder.parent, check=False)
    if done.returncode != 0 or not (folder / verify_manifest.MANIFEST).is_file():
        raise SignError(f"the signer failed (exit status {done.returncode}); see its output above")
    problems = verify_manifest.verify(folder)
    if problems:
        raise SignError("the signed manifest does not match the files: " + "; ".join(problems))


def sign(dist: Path, out: Path, root_urls: str, signature_type: str, env: dict[str, str],
         work: Path = ROOT / "build" / "sign") -> list[Path]:
    if not env.get(TOKEN_VARIABLE):
        raise SignError(f"{TOKEN_VARIABLE} is not set: create an access policy token with the plugins:write scope on "
                        "grafana.com and export it (docs/releases.md, \"Signing\")")
    if signature_type == "private" and not root_urls:
        raise SignError("a private signature needs the Grafana root URL(s) it will run under: --root-urls "
                        "https://grafana.example.com/ (ROOT_URLS=... for make sign)")
    plugin_json = json.loads((dist / "plugin.json").read_text())
    executable = plugin_json["executable"]
    version = package.project_version()
    if plugin_json["info"]["version"] != version:
        raise SignError(f"{dist}/plugin.json is version {plugin_json['info']['version']}, pyproject.toml "
                        f"{version}: rebuild (make package)")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for arch in package.arches_in(dist, executable):
        folder = package.stage(dist, arch, executable, work / f"linux_{arch}")
        sign_folder(folder, root_urls, signature_type, env)
        target = out / package.archive_name(version, arch)
        package.write_zip(folder, target, arch, executable)
        (out / (target.name + ".sha1")).write_text(package.sha1_file(target) + "\n")
        written.append(target)
    written += sbom.write_sboms(dist, out, package.arches_in(dist, executable))
    return written


def main(argv: list[str] | None = None, env: dict[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root-urls", default="", help="comma-separated Grafana root URLs (private signature)")
    parser.add_argument("--signature-type", default="private", choices=["private", "community", "commercial"])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist" / package.PLUGIN_ID, help="the plugin folder")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where the signed zips go")
    args = parser.parse_args(argv)
    try:
        for path in sign(args.dist, args.out, args.root_urls, args.signature_type, dict(env or os.environ)):
            print(f"wrote {path}")
    except (SignError, package.PackageError, sbom.SbomError) as e:
        print(f"sign: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
