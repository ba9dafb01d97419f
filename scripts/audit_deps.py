"""Known-vulnerability check of the plugin's runtime dependencies, from PyPI's project JSON API.

Why not only pip-audit: pip-audit's PyPI service asks the per-version endpoint (/pypi/<name>/<version>/json),
which some networks (this project's build machines among them) do not serve, and then it skips every package and
reports nothing. The project endpoint (/pypi/<name>/json) lists the known vulnerabilities of the project's latest
release; for a dependency installed at its latest release that is exactly its own list. A dependency behind its
latest release is reported as not checkable here, and makes the run fail unless --allow-unchecked is given.

Usage: python scripts/audit_deps.py [--allow-unchecked]   (exit 1 on a known vulnerability or, by default, on a
dependency it could not check). Needs pypi.org; not part of the loopback-only test suite (`make audit`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--allow-unchecked", action="store_true")
    args = parser.parse_args()
    deps = runtime_closure(ROOT_DISTRIBUTION)
    deps.pop(ROOT_DISTRIBUTION, None)
    vulnerable, unchecked = 0, 0
    for name, version in sorted(deps.items()):
        with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=30) as response:  # noqa: S310
            project = json.load(response)
        latest = project["info"]["version"]
        vulns = project.get("vulnerabilities") or []
        if version != latest:
            unchecked += 1
            print(f"?  {name} {version}: not checkable here (latest is {latest}, "
                  f"which has {len(vulns)} known vulnerabilities)")
            continue
        if vulns:
            vulnerable += 1
            ids = ", ".join(v.get("id", "?") for v in vulns)
            print(f"✘  {name} {version}: {ids}")
        else:
            print(f"✔  {name} {version}: no known vulnerabilities")
    print(f"{len(deps)} runtime dependencies: {vulnerable} vulnerable, {unchecked} not checkable")
    return 1 if vulnerable or (unchecked and not args.allow_unchecked) else 0


if __name__ == "__main__":
    sys.exit(main())
