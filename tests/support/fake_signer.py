"""Plays `npx @grafana/sign-plugin --distDir DIR [--rootUrls URLS] [--signatureType T]` up to its grafana.com call,
for tests (no network): it builds the manifest as the signer does (scripts/verify_manifest.py `build_manifest`,
which documents the signer's rules), adds what grafana.com adds (manifestVersion, time, keyId, signedByOrg,
signatureType, rootUrls) and writes it clear-signed with a placeholder signature block, as MANIFEST.txt.

    python tests/support/fake_signer.py --distDir DIR --rootUrls https://grafana.example.com/

Like the real signer it refuses without GRAFANA_ACCESS_POLICY_TOKEN (or the deprecated GRAFANA_API_KEY)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import verify_manifest  # noqa: E402  scripts/verify_manifest.py


def clearsigned(manifest: dict[str, object]) -> str:
    body = json.dumps(manifest, indent=2)
    # RFC 4880 7.1: lines starting with "-" are dash-escaped in a clear-signed message.
    escaped = "\n".join("- " + line if line.startswith("-") else line for line in body.splitlines())
    return (f"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n{escaped}\n-----BEGIN PGP SIGNATURE-----\n"
            "Version: fake-signer (tests only)\n\nwsBcBAEBCgAGBQJmAAAAAAoJEH5NDGpwiGbnAAAAAA==\n=AAAA\n"
            "-----END PGP SIGNATURE-----\n")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--distDir", required=True, type=Path)
    parser.add_argument("--rootUrls", default="")
    parser.add_argument("--signatureType", default="private")
    args = parser.parse_args()
    if not (os.environ.get("GRAFANA_ACCESS_POLICY_TOKEN") or os.environ.get("GRAFANA_API_KEY")):
        print("Missing GRAFANA_ACCESS_POLICY_TOKEN.", file=sys.stderr)
        return 1
    manifest = verify_manifest.build_manifest(args.distDir)
    manifest.update({"manifestVersion": "2.0.0", "signatureType": args.signatureType, "signedByOrg": "pyaws",
                     "signedByOrgName": "pyaws", "time": 1764547200000, "keyId": "7e4d0c6a708866e7",
                     "rootUrls": [u for u in args.rootUrls.split(",") if u]})
    (args.distDir / "MANIFEST.txt").write_text(clearsigned(manifest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
