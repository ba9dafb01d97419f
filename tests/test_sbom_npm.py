"""scripts/sbom.py's npm part, on small metafiles and lock files: which npm packages module.js carries, from
esbuild's metafile inputs and frontend/package-lock.json (tests/test_package.py checks it on the real build)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sbom  # scripts/sbom.py, on the path through pyproject's pytest `pythonpath`

LOCK = {"packages": {
    "": {"name": "pyaws-cloudwatch-datasource", "version": "0.1.0"},
    "node_modules/a": {"version": "1.0.0", "license": "MIT"},
    "node_modules/@s/b": {"version": "2.0.0", "license": "Apache-2.0"},
    "node_modules/@s/b/node_modules/a": {"version": "0.9.0"},
    "node_modules/alias": {"name": "real-name", "version": "3.0.0", "license": "(MIT OR Apache-2.0)"},
    "node_modules/vitest": {"version": "4.1.12", "dev": True},
}}


def metafile(*inputs: str) -> dict[str, dict[str, object]]:
    return {"inputs": {path: {"bytes": 1, "imports": []} for path in inputs}, "outputs": {}}


def test_each_bundled_file_belongs_to_the_deepest_package_the_lock_lists() -> None:
    found = sbom.bundled_npm_packages(metafile(
        "src/module.ts", "scripts/jsx-runtime-shim.js",  # the repository's own: not npm packages
        "node_modules/a/index.js", "node_modules/a/lib/more.js",
        "node_modules/@s/b/dist/index.js",
        "node_modules/@s/b/node_modules/a/index.js",  # npm's nested second version
        "node_modules/@s/b/dist/esm/node_modules/rxjs/x.js",  # b's own pre-bundled copy: b's files
        "node_modules/alias/index.js"), LOCK)
    assert [(p.name, p.version, p.license, p.lock_key) for p in found] == [
        ("@s/b", "2.0.0", "Apache-2.0", "node_modules/@s/b"),
        ("a", "0.9.0", None, "node_modules/@s/b/node_modules/a"),
        ("a", "1.0.0", "MIT", "node_modules/a"),
        ("real-name", "3.0.0", "(MIT OR Apache-2.0)", "node_modules/alias"),
    ]


def test_a_dev_dependency_or_an_unlisted_folder_in_the_bundle_fails() -> None:
    with pytest.raises(sbom.SbomError, match="devDependency"):
        sbom.bundled_npm_packages(metafile("node_modules/vitest/dist/index.js"), LOCK)
    with pytest.raises(sbom.SbomError, match="does not list"):
        sbom.bundled_npm_packages(metafile("node_modules/ghost/index.js"), LOCK)


def test_the_metafile_must_be_the_one_of_the_dist_s_module_js(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    assert sbom.frontend_bundle(dist) == []  # no frontend in the dist: nothing from npm
    (dist / "module.js").write_text("define([],function(){});\n")
    monkeypatch.setattr(sbom, "FRONTEND", tmp_path)
    (tmp_path / "package-lock.json").write_text(json.dumps(LOCK))
    monkeypatch.setattr(sbom, "METAFILE", tmp_path / "metafile.json")
    monkeypatch.setattr(sbom, "METAFILE_MODULE_SHA256", tmp_path / "module.js.sha256")
    with pytest.raises(sbom.SbomError, match="missing"):
        sbom.frontend_bundle(dist)
    (tmp_path / "metafile.json").write_text(json.dumps(metafile("node_modules/a/index.js")))
    (tmp_path / "module.js.sha256").write_text("0" * 64 + "\n")
    with pytest.raises(sbom.SbomError, match="another build"):
        sbom.frontend_bundle(dist)
    (tmp_path / "module.js.sha256").write_text(sbom.sha256(dist / "module.js") + "\n")
    assert [p.name for p in sbom.frontend_bundle(dist)] == ["a"]
