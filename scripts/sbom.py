"""Software bill of materials for each per-architecture zip: what the plugin folder carries, in CycloneDX JSON.

`make package` (scripts/package.py `package`, through `write_sboms`) writes
`dist/pyaws-cloudwatch-datasource-<version>.linux_<arch>.cdx.json` beside each zip. Built with cyclonedx-python-lib
(the CycloneDX project's own model and serializer; the output is validated against the 1.6 JSON schema before it
is written), listing:

- the plugin itself (metadata.component);
- every Python distribution bundled (a `*.dist-info` under runtime/python/site or runtime/linux_<arch>/site):
  name and version from its METADATA, `pkg:pypi/...` purl;
- every Debian package a bundled file came from (runtime/MANIFEST.json `debian_files`, which build_dist.py
  records from the .deb files it unpacked): `pkg:deb/debian/<package>@<version>?arch=<arch>&distro=debian-12`;
- the Debian release as an operating-system component, the Debian packages under it;
- every npm package esbuild bundled into module.js (frontend/build/metafile.json, which frontend/scripts/build.mjs
  writes: the files that went into the bundle), name, version and license from frontend/package-lock.json,
  `pkg:npm/...` purl, each with a dependency to the module.js `file` component; only those packages, not every
  dependency in package.json (Grafana provides react, @grafana/* and the other externals at runtime);
- every ELF file (shared libraries, CPython's extension modules, the interpreter, the glibc loader, the Go
  launcher) as a `file` component with its sha256 and path, and a dependency from the package it came from to it:
  a Debian package, the wheel whose RECORD lists it (libraries a wheel vendors included), or, for the launcher,
  this repository (`launcher/`, built with Go).

A native file whose origin cannot be named fails the build: the SBOM must be complete for a CVE scan to mean
anything (docs/releases.md says how to scan it and when to rebuild).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import HeaderParser
from pathlib import Path

PLUGIN_ID = "pyaws-cloudwatch-datasource"
FRONTEND = Path(__file__).resolve().parent.parent / "frontend"
# What frontend/scripts/build.mjs writes beside its build (not shipped): esbuild's metafile, and the sha256 of the
# module.js it describes.
METAFILE = FRONTEND / "build" / "metafile.json"
METAFILE_MODULE_SHA256 = FRONTEND / "build" / "module.js.sha256"
# One `node_modules/<name>` step of a path, <name> possibly scoped (`@grafana/ui`).
NODE_MODULES_STEP = re.compile(r"node_modules/(?:@[^/]+/)?[^/]+")
DEBIAN_RELEASE = "debian-12"  # build_dist.py takes CPython and glibc from Debian 12 (bookworm)


class SbomError(Exception):
    pass


@dataclass
class Origin:
    """A package some bundled files came from."""

    kind: str  # "pypi", "deb" or "source"
    name: str
    version: str
    files: list[str] = field(default_factory=list)  # paths relative to the plugin folder


def is_elf(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == b"\x7fELF"


def sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def arch_files(dist: Path, arch: str, executable: str) -> Iterator[Path]:
    """The files of the plugin folder that the linux_<arch> zip carries (scripts/package.py's selection)."""
    for path in sorted(dist.rglob("*")):
        relative = path.relative_to(dist).as_posix()
        if not path.is_file() or path.is_symlink():
            continue
        if relative.startswith("runtime/linux_") and not relative.startswith(f"runtime/linux_{arch}/"):
            continue
        if relative.startswith(f"{executable}_linux_") and relative != f"{executable}_linux_{arch}":
            continue
        yield path


def python_distributions(dist: Path, arch: str) -> dict[str, Origin]:
    """dist-info directory → Origin with the files its RECORD lists (relative to the plugin folder)."""
    found: dict[str, Origin] = {}
    for site in (dist / "runtime" / "python" / "site", dist / "runtime" / f"linux_{arch}" / "site"):
        for info in sorted(site.glob("*.dist-info")):
            metadata = HeaderParser().parsestr((info / "METADATA").read_text(encoding="utf-8"))
            origin = Origin("pypi", metadata["Name"], metadata["Version"])
            record = info / "RECORD"
            if record.exists():
                for row in csv.reader(record.read_text(encoding="utf-8").splitlines()):
                    if row:
                        origin.files.append((site / row[0]).resolve().relative_to(dist.resolve()).as_posix())
            found[info.relative_to(dist).as_posix()] = origin
    return found


def origins(dist: Path, arch: str, executable: str) -> tuple[list[Origin], dict[str, Origin]]:
    """(every origin, ELF file path → its origin) for the linux_<arch> zip."""
    manifest = json.loads((dist / "runtime" / "MANIFEST.json").read_text())[f"linux_{arch}"]
    pythons = python_distributions(dist, arch)
    by_file: dict[str, Origin] = {}
    for origin in pythons.values():
        for path in origin.files:
            by_file[path] = origin
    debs: dict[tuple[str, str], Origin] = {}
    for path, deb in manifest.get("debian_files", {}).items():
        origin = debs.setdefault((deb["package"], deb["version"]), Origin("deb", deb["package"], deb["version"]))
        origin.files.append(path)
        by_file[path] = origin
    launcher = Origin("source", PLUGIN_ID + "-launcher", project_version(),
                      [f"{executable}_linux_{arch}"])
    by_file[launcher.files[0]] = launcher
    elves: dict[str, Origin] = {}
    unknown = []
    for path in arch_files(dist, arch, executable):
        relative = path.relative_to(dist).as_posix()
        if not is_elf(path):
            continue
        if relative not in by_file:
            unknown.append(relative)
        else:
            elves[relative] = by_file[relative]
    if unknown:
        raise SbomError(f"native files with no known origin (not in a wheel's RECORD nor in MANIFEST.json's "
                        f"debian_files): {', '.join(unknown)}; rebuild with `make dist`")
    return [*pythons.values(), *debs.values(), launcher], elves


@dataclass(frozen=True)
class NpmPackage:
    """An npm package with files in module.js, as frontend/package-lock.json records it."""

    name: str
    version: str
    license: str | None
    lock_key: str  # its key in the lock's `packages` (its folder under frontend/)


def lock_key(path: str, packages: dict[str, dict[str, object]]) -> str | None:
    """The lock `packages` key of the installed package a bundled input file belongs to: the deepest
    `node_modules/<name>` folder on its path that the lock lists (npm nests a second version under its dependant's
    node_modules/). None for the repository's own sources. A folder the lock does not list (a package's own
    pre-bundled copy of another, e.g. @grafana/plugin-ui's dist/esm/node_modules/rxjs) belongs to the enclosing
    package: it came from that package's tarball."""
    if not path.startswith("node_modules/"):
        return None
    found = None
    for step in NODE_MODULES_STEP.finditer(path):
        if path[:step.end()] in packages:
            found = path[:step.end()]
    if found is None:
        raise SbomError(f"{path}: bundled into module.js from a folder frontend/package-lock.json does not list; "
                        "run `npm ci` in frontend/ and rebuild")
    return found


def bundled_npm_packages(metafile: dict[str, dict[str, object]], lock: dict[str, dict[str, dict[str, object]]]
                         ) -> list[NpmPackage]:
    """The npm packages whose files esbuild's metafile lists as inputs of the bundle, one per name and version.
    A devDependency (lock `dev: true`: reachable only from devDependencies) in the bundle fails: it would ship
    outside what `npm audit --omit=dev` checks."""
    packages = lock["packages"]
    found: dict[tuple[str, str], NpmPackage] = {}
    for path in sorted(metafile["inputs"]):
        key = lock_key(path, packages)
        if key is None:
            continue
        entry = packages[key]
        if entry.get("dev"):
            raise SbomError(f"{path}: module.js bundles {key}, a devDependency; make it a dependency in "
                            "frontend/package.json")
        name = str(entry.get("name") or key.rsplit("node_modules/", 1)[1])
        license_ = entry.get("license")
        package = NpmPackage(name, str(entry["version"]), license_ if isinstance(license_, str) else None, key)
        found.setdefault((package.name, package.version), package)
    return list(found.values())


def frontend_bundle(dist: Path) -> list[NpmPackage]:
    """The npm packages in the dist's module.js ([] when the dist has no frontend): from the metafile of the
    build that made that module.js (its sha256 must match), so the SBOM cannot describe another build."""
    module = dist / "module.js"
    if not module.is_file():
        return []
    if not METAFILE.is_file() or not METAFILE_MODULE_SHA256.is_file():
        raise SbomError(f"{METAFILE} is missing: module.js's bundled npm packages are unknown; rebuild with "
                        "`make dist`")
    if METAFILE_MODULE_SHA256.read_text().strip() != sha256(module):
        raise SbomError(f"{METAFILE} describes another build of module.js than {module}; rebuild with `make dist`")
    lock = json.loads((FRONTEND / "package-lock.json").read_text())
    return bundled_npm_packages(json.loads(METAFILE.read_text()), lock)


def project_version() -> str:
    import package  # scripts/package.py, beside this file

    return package.project_version()


def build_bom(dist: Path, arch: str) -> str:
    """The CycloneDX 1.6 JSON document for the linux_<arch> zip."""
    from cyclonedx.contrib.license.factories import LicenseFactory
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from packageurl import PackageURL

    plugin_json = json.loads((dist / "plugin.json").read_text())
    executable = plugin_json["executable"]
    version = plugin_json["info"]["version"]
    all_origins, elves = origins(dist, arch, executable)
    root = Component(name=PLUGIN_ID, version=version, type=ComponentType.APPLICATION, bom_ref=PLUGIN_ID,
                     purl=PackageURL("generic", name=PLUGIN_ID, version=version, qualifiers={"arch": arch}),
                     description=plugin_json["info"].get("description"))
    # Deterministic (scripts/package.py's rule: the same dist gives the same bytes): the timestamp is the build
    # date plugin.json carries (build_dist.py fills `updated`), not the time of this run; the serial number is
    # derived from the document's content below.
    updated = datetime.strptime(plugin_json["info"]["updated"], "%Y-%m-%d").replace(tzinfo=UTC)
    bom = Bom(metadata=BomMetaData(component=root, timestamp=updated), serial_number=uuid.UUID(int=0))
    package_components = []
    for origin in all_origins:
        if origin.kind == "pypi":
            purl = PackageURL("pypi", name=origin.name.lower().replace("_", "-"), version=origin.version)
            properties = [Property(name="origin", value="wheel (PyPI)")]
        elif origin.kind == "deb":
            purl = PackageURL("deb", namespace="debian", name=origin.name, version=origin.version,
                              qualifiers={"arch": arch, "distro": DEBIAN_RELEASE})
            properties = [Property(name="origin", value=f"Debian package ({DEBIAN_RELEASE})")]
        else:
            purl = PackageURL("generic", name=origin.name, version=origin.version)
            properties = [Property(name="origin", value="built from this repository's launcher/ (go build)")]
        component = Component(name=origin.name, version=origin.version, type=ComponentType.LIBRARY
                              if origin.kind != "source" else ComponentType.APPLICATION,
                              bom_ref=purl.to_string(), purl=purl, properties=properties)
        bom.components.add(component)
        package_components.append((origin, component))
    file_components: dict[str, Component] = {}
    for relative in sorted(elves):
        file_components[relative] = Component(
            name=relative, type=ComponentType.FILE, bom_ref=f"file:{relative}",
            version=elves[relative].version,
            hashes=[HashType(alg=HashAlgorithm.SHA_256, content=sha256(dist / relative))],
            properties=[Property(name="origin", value=f"{elves[relative].kind}:{elves[relative].name}")])
        bom.components.add(file_components[relative])
    module = dist / "module.js"
    npm_components = []
    for npm in frontend_bundle(dist):
        scope, _, bare = npm.name.rpartition("/")
        purl = PackageURL("npm", namespace=scope or None, name=bare, version=npm.version)
        npm_components.append(Component(  # a scope is the CycloneDX `group`, as cyclonedx-npm writes it
            group=scope or None, name=bare, version=npm.version, type=ComponentType.LIBRARY,
            bom_ref=purl.to_string(), purl=purl,
            licenses=[LicenseFactory().make_from_string(npm.license)] if npm.license else [],
            properties=[Property(name="origin", value=f"npm package bundled into module.js ({npm.lock_key})")]))
    if module.is_file():
        file_components["module.js"] = Component(
            name="module.js", type=ComponentType.FILE, bom_ref="file:module.js", version=version,
            hashes=[HashType(alg=HashAlgorithm.SHA_256, content=sha256(module))],
            properties=[Property(name="origin", value="built from this repository's frontend/ (esbuild)")])
        bom.components.add(file_components["module.js"])
    for component in npm_components:
        bom.components.add(component)
        bom.register_dependency(component, [file_components["module.js"]])
    # Debian's packages also hang under an operating-system component: scanners that match OS packages by
    # distribution (Trivy) look for it; others (Grype) read the purl's `distro` qualifier.
    debian = Component(name="debian", version=DEBIAN_RELEASE.removeprefix("debian-"),
                       type=ComponentType.OPERATING_SYSTEM, bom_ref=f"os:{DEBIAN_RELEASE}",
                       description="the Debian release the bundled CPython, glibc and OpenSSL come from")
    bom.components.add(debian)
    bom.register_dependency(debian, [c for o, c in package_components if o.kind == "deb"])
    bom.register_dependency(root, [debian, *(c for o, c in package_components if o.kind != "deb"),
                                   *npm_components])
    for origin, component in package_components:
        files = [file_components[f] for f in sorted(set(origin.files)) if f in file_components]
        bom.register_dependency(component, files)
    # The serial number (urn:uuid, one per document) from the content: the document with a zero serial, hashed.
    draft = JsonV1Dot6(bom).output_as_string(indent=1)
    bom.serial_number = uuid.uuid5(uuid.NAMESPACE_URL, f"{PLUGIN_ID}/linux_{arch}/"
                                   + hashlib.sha256(draft.encode()).hexdigest())
    text: str = JsonV1Dot6(bom).output_as_string(indent=1)
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is not None:
        raise SbomError(f"the SBOM does not validate against CycloneDX 1.6: {error}")
    return text + "\n"


def sbom_name(version: str, arch: str) -> str:
    return f"{PLUGIN_ID}-{version}.linux_{arch}.cdx.json"


def write_sboms(dist: Path, out: Path, arches: list[str]) -> list[Path]:
    version = json.loads((dist / "plugin.json").read_text())["info"]["version"]
    written = []
    for arch in arches:
        target = out / sbom_name(version, arch)
        target.write_text(build_bom(dist, arch))
        written.append(target)
    return written
