"""Releases: one version (pyproject.toml's) everywhere it appears, and a CHANGELOG in the shape the release
process and Grafana's catalog read (docs/releases.md)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import build_dist  # scripts/build_dist.py, on the path through pyproject's pytest `pythonpath`
import package  # scripts/package.py
import pytest

from cloudwatch_datasource import PLUGIN_ID, __version__

ROOT = Path(__file__).resolve().parent.parent
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
SEMVER = r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?"
# Files that show install commands with a concrete zip name or preinstall spec: they must name this version.
VERSIONED_DOCS = ["README.md", "plugin/README.md", "deploy/helm-values.yaml", "deploy/docker-compose.yaml",
                  *(p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "docs").glob("*.md")))]


def test_the_version_is_semver_and_every_copy_is_pyproject_s() -> None:
    assert re.fullmatch(SEMVER, VERSION)
    assert __version__ == VERSION  # src/cloudwatch_datasource/__init__.py (the AWS user agent, host context)
    assert json.loads((ROOT / "frontend" / "package.json").read_text())["version"] == VERSION
    lock = json.loads((ROOT / "frontend" / "package-lock.json").read_text())
    assert lock["version"] == lock["packages"][""]["version"] == VERSION
    assert package.project_version() == VERSION
    assert package.archive_name(VERSION, "amd64") == f"{PLUGIN_ID}-{VERSION}.linux_amd64.zip"


def test_plugin_json_takes_the_version_at_build_time(tmp_path: Path) -> None:
    source = json.loads((ROOT / "plugin" / "plugin.json").read_text())
    assert source["id"] == PLUGIN_ID
    assert source["info"]["version"] == "%VERSION%", "plugin.json's version is filled in by build_dist.py"
    build_dist.plugin_json(tmp_path)
    built = json.loads((tmp_path / "plugin.json").read_text())
    assert built["info"]["version"] == VERSION
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", built["info"]["updated"])


@pytest.mark.parametrize("name", VERSIONED_DOCS)
def test_docs_name_the_current_version_in_zip_names_and_preinstall_specs(name: str) -> None:
    path = ROOT / name
    if not path.exists():
        return
    text = path.read_text()
    for match in re.finditer(rf"{PLUGIN_ID}@({SEMVER})@", text):
        assert match.group(1) == VERSION, f"{name}: {match.group(0)}"
    for match in re.finditer(rf"{PLUGIN_ID}-({SEMVER})\.linux_", text):
        assert match.group(1) == VERSION, f"{name}: {match.group(0)}"


def changelog_sections(text: str) -> list[tuple[str, list[str]]]:
    lines = text.splitlines()
    assert lines[0] == "# Changelog", "the first line is the title"
    sections: list[tuple[str, list[str]]] = []
    for line in lines[1:]:
        if line.startswith("## "):
            sections.append((line[3:].strip(), []))
        elif line.startswith("#"):
            raise AssertionError(f"only `## <version>` headings below the title: {line!r}")
        elif line.strip():
            assert sections, f"text before the first section: {line!r}"
            sections[-1][1].append(line)
    return sections


def check_changelog(text: str, version: str) -> None:
    """`# Changelog`; an optional `## Unreleased` first; then `## <semver>` sections, newest first, no repeats,
    the project's version among them; each section a non-empty list of `- ` entries (continuation lines
    indented)."""
    sections = changelog_sections(text)
    headings = [heading for heading, _ in sections]
    if headings and headings[0] == "Unreleased":
        headings = headings[1:]
    assert "Unreleased" not in headings, "`## Unreleased` only as the first section"
    for heading in headings:
        assert re.fullmatch(SEMVER, heading), f"not a version heading: {heading!r}"
    keys = [tuple(int(part) for part in re.match(SEMVER, h).groups()) for h in headings]  # type: ignore[union-attr]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == len(keys), "newest first, each version once"
    assert version in headings, f"pyproject's version {version} has no `## {version}` section"
    for heading, body in sections:
        assert body, f"`## {heading}` is empty"
        assert body[0].startswith("- "), f"`## {heading}` starts with a `- ` entry"
        for line in body:
            assert line.startswith(("- ", "  ")), f"`## {heading}`: {line!r} is neither an entry nor its continuation"


def test_changelog_structure() -> None:
    check_changelog((ROOT / "CHANGELOG.md").read_text(), VERSION)


@pytest.mark.parametrize("text, problem", [
    ("# Changelog\n\n## 0.2.0\n\n- x\n\n## Unreleased\n\n- y\n", "only as the first"),
    ("# Changelog\n\n## 0.1.0\n\n- x\n\n## 0.2.0\n\n- y\n", "newest first"),
    ("# Changelog\n\n## 0.3.0\n\n- x\n", "has no"),
    ("# Changelog\n\n## 0.1.0\n\n", "is empty"),
    ("# Changelog\n\n## v0.1.0\n\n- x\n", "not a version"),
    ("# Changelog\n\n## 0.1.0\n\nprose\n", "starts with"),
])
def test_the_changelog_check_catches(text: str, problem: str) -> None:
    with pytest.raises(AssertionError, match=problem):
        check_changelog(text, "0.1.0")
