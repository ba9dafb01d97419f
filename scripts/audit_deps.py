"""Known-vulnerability check of the plugin's runtime dependencies, from PyPI's JSON API (the data pip-audit's
PyPI service reads).

Each installed release is looked up on the per-version endpoint (/pypi/<name>/<version>/json), which lists that
release's own known vulnerabilities. Some networks (this project's build machines among them) do not serve that
endpoint, and pip-audit then skips every package and reports nothing; this script falls back to the project
endpoint (/pypi/<name>/json), which lists the vulnerabilities of the project's latest release: for a dependency
installed at its latest release that is exactly its own list. A dependency behind its latest release is then
reported as not checkable, with the requirement that holds it back, and makes the run fail unless
--allow-unchecked is given.

Usage: python scripts/audit_deps.py [--allow-unchecked]   (exit 1 on a known vulnerability or, by default, on a
dependency it could not check). Needs pypi.org; not part of the loopback-only test suite (`make audit`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.request
from importlib.metadata import PackageNotFoundError, distribution

from packaging.requirements import Requirement

ROOT_DISTRIBUTION = "cloudwatch-datasource"


def runtime_closure(name: str, seen: dict[str, str] | None = None) -> dict[str, str]:
    """Installed versions of `name`'s runtime dependencies, recursively (extras and other platforms left out)."""
    seen = {} if seen is None else seen
    try:
        dist = distribution(name)
    except PackageNotFoundError:
        return seen
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in seen:
        return seen
    seen[key] = dist.version
    for raw in dist.requires or []:
        requirement = Requirement(raw)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            runtime_closure(requirement.name, seen)
    return seen


PYPI = "https://pypi.org/pypi"


def release_vulnerabilities(name: str, version: str) -> list[dict[str, object]] | None:
    """The release's own vulnerability list, or None where the per-version endpoint is not served (404)."""
    try:
        with urllib.request.urlopen(f"{PYPI}/{name}/{version}/json", timeout=30) as response:  # noqa: S310
            return list(json.load(response).get("vulnerabilities") or [])
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def report(name: str, version: str, vulns: list[dict[str, object]]) -> int:
    if vulns:
        print(f"✘  {name} {version}: " + ", ".join(str(v.get("id", "?")) for v in vulns))
        return 1
    print(f"✔  {name} {version}: no known vulnerabilities")
    return 0


def holders(name: str, version: str, deps: dict[str, str]) -> list[str]:
    """Which installed dependencies' requirements exclude `version` of `name` (why the newest can't be used)."""
    out = []
    for owner in sorted({ROOT_DISTRIBUTION, *deps}):  # the plugin's own upper bounds hold packages back too
        for raw in distribution(owner).requires or []:
            requirement = Requirement(raw)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            same = re.sub(r"[-_.]+", "-", requirement.name).lower() == name
            if same and requirement.specifier and version not in requirement.specifier:
                out.append(f"{owner} requires {requirement.name}{requirement.specifier}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--allow-unchecked", action="store_true")
    args = parser.parse_args()
    deps = runtime_closure(ROOT_DISTRIBUTION)
    deps.pop(ROOT_DISTRIBUTION, None)
    vulnerable, unchecked = 0, 0
    for name, version in sorted(deps.items()):
        own = release_vulnerabilities(name, version)
        if own is not None:  # the per-version endpoint answered: this exact release's own list
            vulnerable += report(name, version, own)
            continue
        with urllib.request.urlopen(f"{PYPI}/{name}/json", timeout=30) as response:  # noqa: S310
            project = json.load(response)
        latest = project["info"]["version"]
        vulns = project.get("vulnerabilities") or []
        if version != latest:
            unchecked += 1
            held = "; ".join(holders(name, latest, deps)) or "no installed requirement excludes it"
            print(f"?  {name} {version}: not checkable here (latest is {latest}, "
                  f"which has {len(vulns)} known vulnerabilities; {held})")
            continue
        vulnerable += report(name, version, vulns)
    print(f"{len(deps)} runtime dependencies: {vulnerable} vulnerable, {unchecked} not checkable")
    return 1 if vulnerable or (unchecked and not args.allow_unchecked) else 0


if __name__ == "__main__":
    sys.exit(main())
