"""Signing (docs/releases.md, "Signing"): the manifest is made from the final files, and any change after it makes
the check fail the way Grafana's signature check would. Everything up to the grafana.com call runs here; the
call itself is played by tests/support/fake_signer.py (no network)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import package  # scripts/package.py, on the path through pyproject's pytest `pythonpath`
import pytest
import sign
import verify_manifest
from support.fake_grafana_com import fake_grafana_com

ROOT = Path(__file__).resolve().parent.parent
FAKE_SIGNER = f"{sys.executable} {ROOT / 'tests' / 'support' / 'fake_signer.py'}"
# @grafana/sign-plugin as scripts/setup.sh --system installs it (the version scripts/sign.py pins)
REAL_SIGNER = ROOT / "build" / "sign-plugin" / "node_modules" / "@grafana" / "sign-plugin"


def plugin_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "plugin"
    (folder / "img").mkdir(parents=True)
    (folder / "plugin.json").write_text(json.dumps({"id": "pyaws-cloudwatch-datasource", "executable": "gpx_x",
                                                    "backend": True, "info": {"version": "1.2.3"}}))
    (folder / "module.js").write_text("define([], function () {});\n")
    (folder / "img" / "logo.svg").write_text("<svg/>")
    return folder


def write_manifest(folder: Path, **extra: object) -> dict[str, object]:
    manifest = {**verify_manifest.build_manifest(folder), **extra}
    (folder / "MANIFEST.txt").write_text(json.dumps(manifest))
    return manifest


def test_the_manifest_lists_every_file_with_its_sha256(tmp_path: Path) -> None:
    folder = plugin_folder(tmp_path)
    (folder / "nested" / "MANIFEST.txt").parent.mkdir()
    (folder / "nested" / "MANIFEST.txt").write_text("not the manifest")  # the signer hashes it; Grafana skips it
    (folder / "link.js").symlink_to("module.js")
    manifest = write_manifest(folder)
    assert manifest["plugin"] == "pyaws-cloudwatch-datasource" and manifest["version"] == "1.2.3"
    assert sorted(manifest["files"]) == ["img/logo.svg", "link.js", "module.js", "nested/MANIFEST.txt",  # type: ignore[call-overload]
                                         "plugin.json"]
    assert manifest["files"]["module.js"] == hashlib.sha256(b"define([], function () {});\n").hexdigest()  # type: ignore[index]
    assert verify_manifest.verify(folder) == []


@pytest.mark.parametrize("change, problem", [
    (lambda f: (f / "module.js").write_text("define([], function () { evil(); });\n"), "module.js: changed"),
    (lambda f: (f / "img" / "extra.png").write_bytes(b"\x89PNG"), "img/extra.png: not in the manifest"),
    (lambda f: (f / "img" / "logo.svg").unlink(), "img/logo.svg: listed in the manifest, missing"),
    (lambda f: (f / "plugin.json").write_text(json.dumps({"id": "pyaws-cloudwatch-datasource",
                                                          "info": {"version": "1.2.4"}})), "manifest version"),
    (lambda f: (f / "module.js").chmod(0o755), None),  # modes are not signed: Grafana hashes contents only
])
def test_any_later_change_fails_the_check(tmp_path: Path, change: object, problem: str | None) -> None:
    folder = plugin_folder(tmp_path)
    write_manifest(folder, manifestVersion="2.0.0")
    assert verify_manifest.main([str(folder)]) == 0
    change(folder)  # type: ignore[operator]
    problems = verify_manifest.verify(folder)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems
        assert verify_manifest.main([str(folder)]) == 1


def test_a_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    folder = plugin_folder(tmp_path)
    (tmp_path / "outside.js").write_text("x")
    (folder / "escape.js").symlink_to(tmp_path / "outside.js")
    with pytest.raises(verify_manifest.ManifestError, match="outside the plugin folder"):
        verify_manifest.build_manifest(folder)


def test_a_clear_signed_manifest_is_read_as_grafana_reads_it(tmp_path: Path) -> None:
    folder = plugin_folder(tmp_path)
    manifest = {**verify_manifest.build_manifest(folder), "manifestVersion": "2.0.0", "signatureType": "private",
                "rootUrls": ["https://grafana.example.com/"]}
    signed = ("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n" + json.dumps(manifest, indent=2)
              + "\n-----BEGIN PGP SIGNATURE-----\n\nwsBc\n-----END PGP SIGNATURE-----\n")
    (folder / "MANIFEST.txt").write_text(signed)
    assert verify_manifest.read_manifest(signed) == manifest
    assert verify_manifest.verify(folder) == []
    with pytest.raises(verify_manifest.ManifestError, match="without its body"):
        verify_manifest.read_manifest("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n{}\n")


def test_sign_refuses_without_the_token_or_root_urls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sign.main(["--root-urls", "https://grafana.example.com/", "--dist", str(tmp_path)], env={}) == 1
    assert "GRAFANA_ACCESS_POLICY_TOKEN is not set" in capsys.readouterr().err
    assert sign.main(["--dist", str(tmp_path)], env={sign.TOKEN_VARIABLE: "glc_x"}) == 1
    assert "needs the Grafana root URL" in capsys.readouterr().err


def small_dist(tmp_path: Path) -> Path:
    """A two-architecture plugin folder shaped like `make dist`'s, small enough to sign in a second."""
    version = package.project_version()
    dist = tmp_path / "dist" / package.PLUGIN_ID
    (dist / "runtime" / "linux_amd64" / "lib").mkdir(parents=True)
    (dist / "runtime" / "linux_arm64" / "lib").mkdir(parents=True)
    (dist / "plugin.json").write_text(json.dumps({"id": package.PLUGIN_ID, "executable": "gpx_cloudwatch",
                                                  "backend": True, "info": {"version": version,
                                                                                   "updated": "2026-01-01"}}))
    for arch in package.ARCHES:
        (dist / f"gpx_cloudwatch_linux_{arch}").write_text(f"launcher {arch}")
        (dist / "runtime" / f"linux_{arch}" / "lib" / "data.txt").write_text(arch)
    (dist / "runtime" / "MANIFEST.json").write_text(json.dumps(
        {f"linux_{a}": {"debian": [], "python": [], "debian_files": {}} for a in package.ARCHES}))
    return dist


@pytest.mark.processes  # runs the signer (fake_signer.py) as a process, as make sign runs npx
def test_sign_signs_each_zip_from_its_final_files(tmp_path: Path) -> None:
    version = package.project_version()
    dist = small_dist(tmp_path)
    out = tmp_path / "out"
    env = {**os.environ, sign.TOKEN_VARIABLE: "glc_test", "SIGN_PLUGIN_COMMAND": FAKE_SIGNER}
    written = sign.sign(dist, out, "https://grafana.example.com/", "private", env, work=tmp_path / "work")
    assert {p.name for p in written} >= {package.archive_name(version, a) for a in package.ARCHES}
    for arch in package.ARCHES:
        unpacked = tmp_path / f"unpacked-{arch}"
        shutil.unpack_archive(out / package.archive_name(version, arch), unpacked)
        folder = unpacked / package.PLUGIN_ID
        manifest = verify_manifest.read_manifest((folder / "MANIFEST.txt").read_text())
        assert manifest["rootUrls"] == ["https://grafana.example.com/"]
        assert f"gpx_cloudwatch_linux_{arch}" in manifest["files"]
        assert not any("linux_" in f and arch not in f for f in manifest["files"])  # the other arch is not listed
        assert {"README.md", "CHANGELOG.md", "LICENSE"} <= set(manifest["files"])  # the documents the zip adds
        assert verify_manifest.verify(folder) == []
        (folder / "runtime" / f"linux_{arch}" / "lib" / "data.txt").write_text("patched")
        done = subprocess.run([sys.executable, str(ROOT / "scripts" / "verify_manifest.py"), str(folder)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 1 and f"runtime/linux_{arch}/lib/data.txt: changed" in done.stderr


@pytest.mark.processes
def test_make_sign_refuses_without_the_token() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("GRAFANA_ACCESS_POLICY_TOKEN", "GRAFANA_API_KEY")}
    done = subprocess.run(["make", "--no-print-directory", "sign", "ROOT_URLS=https://grafana.example.com/"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "GRAFANA_ACCESS_POLICY_TOKEN is not set" in done.stderr


@pytest.mark.processes  # node runs @grafana/sign-plugin; the stand-in for grafana.com listens on 127.0.0.1
def test_the_real_signer_sends_the_manifest_we_build_and_its_answer_verifies(tmp_path: Path) -> None:
    """@grafana/sign-plugin itself (scripts/setup.sh --system installs the pinned version) signs through
    scripts/sign.py, with grafana.com played on 127.0.0.1: the manifest it sends is verify_manifest.py's
    build_manifest of the staged folder (file list and hashes), with the token as a bearer header and the root
    URLs; its saved answer passes the check, in the folder and in the zip."""
    run_js = REAL_SIGNER / "dist" / "bin" / "run.js"
    assert run_js.is_file(), "the signer is missing: run scripts/setup.sh --system"
    assert json.loads((REAL_SIGNER / "package.json").read_text())["version"] == sign.SIGN_PLUGIN_VERSION
    version = package.project_version()
    dist = small_dist(tmp_path)
    with fake_grafana_com(tmp_path) as grafana_com:
        env = {key: value for key, value in os.environ.items() if "proxy" not in key.lower()}
        env.update({sign.TOKEN_VARIABLE: "glc_test_token", "GRAFANA_COM_URL": grafana_com.url,
                    "NODE_EXTRA_CA_CERTS": str(grafana_com.cert), "SIGN_PLUGIN_COMMAND": f"node {run_js}"})
        sign.sign(dist, tmp_path / "out", "https://grafana.example.com/", "private", env, work=tmp_path / "work")
    assert len(grafana_com.requests) == len(package.ARCHES)
    for request, arch in zip(grafana_com.requests, package.ARCHES, strict=True):
        assert request["authorization"] == "Bearer glc_test_token"
        body = request["body"]
        staged = tmp_path / "work" / f"linux_{arch}" / package.PLUGIN_ID
        ours = verify_manifest.build_manifest(staged)
        assert body["files"] == ours["files"]  # the signer lists and hashes exactly what build_manifest does
        assert (body["plugin"], body["version"]) == (package.PLUGIN_ID, version)
        assert body["rootUrls"] == ["https://grafana.example.com/"]
        assert verify_manifest.verify(staged) == []
        unpacked = tmp_path / f"unpacked-{arch}"
        shutil.unpack_archive(tmp_path / "out" / package.archive_name(version, arch), unpacked)
        assert verify_manifest.verify(unpacked / package.PLUGIN_ID) == []
