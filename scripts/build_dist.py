"""Build the folder grafana-server loads, for linux/amd64 and linux/arm64 at once, on an amd64 (or any) machine:

    dist/pyaws-cloudwatch-datasource/
      plugin.json, module.js, img/ ...           the frontend and the plugin's metadata
      gpx_cloudwatch_linux_amd64, ..._arm64      static Go launchers (launcher/main.go): no libc needed
      runtime/python/stdlib, runtime/python/site  arch-independent: CPython's standard library, pure-Python packages
      runtime/linux_<arch>/lib                    that architecture's glibc loader and every shared library needed
      runtime/linux_<arch>/bin/python3.11         CPython, with python3.11._pth (the module search path)
      runtime/linux_<arch>/lib-dynload, site      CPython's extension modules, native packages (grpc, pyarrow, ...)

Why it is assembled, not frozen (docs/design.md, "Packaging"): PyInstaller cannot cross-build, and building under
qemu on 2 cores would take most of CI's time. Everything here is a file taken from a registry for the target
architecture: CPython and glibc from Debian 12's packages (`apt-get download`, a private apt state under build/,
no root and no dpkg architecture changes needed), the dependencies from PyPI's manylinux wheels (`pip install
--platform`), the launcher from `go build` with GOARCH set. Nothing runs under emulation at build time.

The runtime is hermetic: the launcher execs the bundled loader with --library-path and --inhibit-cache, and
`needed_closure` checks at build time that every DT_NEEDED of every ELF file in the bundle resolves to a bundled
file (a missing one fails the build; the tests then start it in a root with no libc at all).

Usage: python scripts/build_dist.py [--arch amd64,arm64] [--no-frontend-check]
"""

from __future__ import annotations

import argparse
import compileall
import filecmp
import json
import os
import py_compile
import re
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLUGIN_ID = "pyaws-cloudwatch-datasource"
BUILD = ROOT / "build" / "dist"
FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # zip entries' time: the same bytes from the same inputs
OUT = ROOT / "dist" / PLUGIN_ID


@dataclass(frozen=True)
class Arch:
    go: str            # GOARCH, and Grafana's executable suffix linux_<go>
    debian: str        # dpkg architecture
    wheel: str         # manylinux platform suffix
    triplet: str       # Debian's multiarch directory
    loader: str        # glibc's program interpreter
    strip: str         # a strip that understands this architecture's ELF files


ARCHES = {
    "amd64": Arch("amd64", "amd64", "x86_64", "x86_64-linux-gnu", "ld-linux-x86-64.so.2", "strip"),
    "arm64": Arch("arm64", "arm64", "aarch64", "aarch64-linux-gnu", "ld-linux-aarch64.so.1",
                  "aarch64-linux-gnu-strip"),
}

# Debian 12 packages: CPython 3.11 (interpreter, standard library, extension modules) and the shared libraries
# they and the wheels link against. glibc 2.36 is newer than any manylinux wheel needs (manylinux_2_28 at most).
DEBIAN_PACKAGES = [
    "python3.11-minimal", "libpython3.11-minimal", "libpython3.11-stdlib", "libc6", "zlib1g", "libssl3",
    "libffi8", "libexpat1", "libbz2-1.0", "liblzma5", "libuuid1", "libgcc-s1", "libstdc++6",
]
# Any manylinux wheel up to glibc 2.36 (Debian 12's) can run on the bundled glibc.
MANYLINUX_TAGS = ["manylinux2014", *(f"manylinux_2_{minor}" for minor in (17, 24, 27, 28, 31, 34, 35, 36))]

# Standard-library parts the plugin never imports, and extension modules whose libraries we do not ship
# (readline, curses, sqlite, dbm, nis, crypt) or that only CPython's own test suite uses.
STDLIB_DROP = {
    "test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3", "pydoc_data", "distutils", "venv",
    "sqlite3", "curses", "dbm", "unittest", "__phello__", "turtle.py", "sitecustomize.py", "EXTERNALLY-MANAGED",
    "_distutils_system_mod.py", "LICENSE.txt",
}
DYNLOAD_DROP = re.compile(r"^(_test|_xx|xx|_ctypes_test|_curses|readline|_dbm|_gdbm|_sqlite3|nis|_crypt|ossaudiodev)")
# Packages installed as dependencies that the plugin process never imports: boto3 and s3transfer serve only the
# package's own tools (tools/emulator.py); botocore is what the plugin uses.
SITE_DROP = {"boto3", "s3transfer", "bin"}
# botocore's service models the plugin and botocore's own credential providers load (aws/, cloudwatch/): the
# rest of botocore/data is ~25 MB of models for other services.
BOTOCORE_SERVICES = {"cloudwatch", "logs", "ec2", "oam", "resourcegroupstaggingapi", "sts", "sso", "sso-oidc",
                     "signin"}
# pyarrow: only pyarrow.lib and pyarrow.ipc are imported (protocol/arrow.py). The extension modules for Flight,
# datasets, Parquet, Substrait, Acero, ORC and the S3/GCS/Azure/HDFS filesystems are never loaded, nor are the C++
# headers, Cython sources and tests. The libraries only those modules use go with them (`drop_unused_libraries`).
PYARROW_DROP = re.compile(
    r"^(tests|include|src|.*\.(pyx|pxd|pxi|h|cc|cpp)$|_flight|_dataset|_parquet|_substrait|_acero|_orc|_s3fs|"
    r"_gcsfs|_azurefs|_hdfs|_cuda|_pyarrow_cpp_tests|benchmark|interchange)"
)


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, text=True, **kwargs)  # type: ignore[call-overload, no-any-return]


def quiet(cmd: list[str], **kwargs: object) -> None:
    """Run a chatty tool (pip, apt-get); show its output only when it fails."""
    done = subprocess.run(cmd, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)  # type: ignore[call-overload]
    if done.returncode != 0:
        print(done.stdout, file=sys.stderr)
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed with exit status {done.returncode}")


# ---------------------------------------------------------------------------------------------------- sources
def apt_options() -> list[str]:
    """A private apt state: the machine's own sources, lists for both architectures, no dpkg status (nothing is
    installed), so any user can download any architecture's packages without touching the system."""
    state = BUILD / "apt"
    for sub in ("lists/partial", "cache/archives/partial"):
        (state / sub).mkdir(parents=True, exist_ok=True)
    options = [f"Dir::State::Lists={state / 'lists'}", f"Dir::Cache={state / 'cache'}", "Dir::State::status=/dev/null"]
    if os.geteuid() == 0:
        options.append("APT::Sandbox::User=root")  # apt's _apt user cannot write into build/
    options += [f"APT::Architectures::={a.debian}" for a in ARCHES.values()]
    return [arg for option in options for arg in ("-o", option)]


def debian_root(arch: Arch) -> Path:
    """Debian's packages for `arch`, downloaded (cached by name and version) and unpacked into one directory."""
    options = apt_options()
    lists = BUILD / "apt" / "lists"
    if not any(lists.glob("*Packages*")) or time.time() - max(p.stat().st_mtime for p in lists.glob("*")) > 86400:
        quiet(["apt-get", "-q", *options, "update"])
    debs = BUILD / "debs" / arch.debian
    debs.mkdir(parents=True, exist_ok=True)
    wanted = [f"{name}:{arch.debian}" for name in DEBIAN_PACKAGES]
    versions = run(["apt-cache", *options, "show", "--no-all-versions", *wanted], capture_output=True).stdout
    files = re.findall(r"^Filename: .*/([^/\n]+\.deb)$", versions, re.M)
    if sorted(files) != sorted(p.name for p in debs.glob("*.deb")):
        for old in debs.glob("*.deb"):
            old.unlink()
        quiet(["apt-get", "-q", *options, "download", *wanted], cwd=debs)
    root = BUILD / "rootfs" / arch.debian
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for deb in sorted(debs.glob("*.deb")):
        run(["dpkg-deb", "-x", str(deb), str(root)])
    return root


def project_wheel() -> Path:
    wheels = BUILD / "wheel"
    shutil.rmtree(wheels, ignore_errors=True)
    # SOURCE_DATE_EPOCH (reproducible-builds.org; setuptools' bdist_wheel reads it for the zip entries' times):
    # the same sources give the same wheel, so its hash in the installed RECORD, and the
    # plugin zips, do not change from one `make dist` to the next. 1980-01-01, as scripts/package.py's entries.
    quiet([sys.executable, "-m", "pip", "wheel", "--disable-pip-version-check", "--no-deps",
           "--wheel-dir", str(wheels), str(ROOT)], env={**os.environ, "SOURCE_DATE_EPOCH": "315532800"})
    return next(wheels.glob("*.whl"))


# Dependencies whose environment marker pip evaluates against the interpreter running the build, not the bundled
# one (`--python-version` does not change `python_full_version` in markers): redis-py needs async-timeout on CPython
# below 3.11.3 (`async-timeout>=4.0.3; python_full_version<"3.11.3"` in its metadata), and Debian 12's CPython is
# 3.11.2, so a build on a newer 3.11 would leave it out and `import redis` would fail in the bundle.
BUNDLED_PYTHON_MARKER_DEPENDENCIES = ["async-timeout>=4.0.3"]


def site_packages(arch: Arch, wheel: Path) -> Path:
    """The plugin and its dependencies from PyPI's wheels for CPython 3.11 on `arch` (binary wheels only)."""
    target = BUILD / "site" / arch.go
    shutil.rmtree(target, ignore_errors=True)
    platforms = [arg for tag in MANYLINUX_TAGS for arg in ("--platform", f"{tag}_{arch.wheel}")]
    quiet([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-compile",
           "--target", str(target), *platforms, "--only-binary=:all:", "--python-version", "3.11",
           "--implementation", "cp", "--abi", "cp311", "--abi", "abi3", "--abi", "none", str(wheel),
           *BUNDLED_PYTHON_MARKER_DEPENDENCIES])
    # PEP 610's direct_url.json names where pip installed the project's wheel from: an absolute build path
    # (file:///<checkout>/build/wheel/...), which would put the build machine's folders into the zip and make zips
    # built in different folders differ. Nothing in the bundle reads it (no pip runs there); RECORD loses its line.
    for info in target.glob("cloudwatch_datasource-*.dist-info"):
        (info / "direct_url.json").unlink(missing_ok=True)
        record = info / "RECORD"
        lines = record.read_text().splitlines(keepends=True)
        record.write_text("".join(line for line in lines if not line.startswith(f"{info.name}/direct_url.json,")))
    return target


# ---------------------------------------------------------------------------------------------------- pruning
def prune_site(site: Path) -> None:
    for name in SITE_DROP:
        remove(site / name)
    for info in site.glob("*.dist-info"):
        if info.name.split("-")[0].lower() in SITE_DROP:
            remove(info)
    for cache in site.rglob("__pycache__"):
        remove(cache)
    data = site / "botocore" / "data"
    for service in data.iterdir():
        if service.is_dir() and service.name not in BOTOCORE_SERVICES:
            remove(service)
        elif service.is_dir():
            versions = sorted(p for p in service.iterdir() if p.is_dir())
            for old in versions[:-1]:  # botocore loads the newest API version unless told otherwise
                remove(old)
    for examples in data.rglob("examples-1.json"):
        examples.unlink()
    pyarrow = site / "pyarrow"
    for entry in pyarrow.iterdir():
        if PYARROW_DROP.match(entry.name):
            remove(entry)
    # Wheels cannot hold symlinks, so libarrow_python arrives three times (.so, .so.N, .so.N.M.P); only the file
    # named by its SONAME is ever loaded.
    for duplicate in pyarrow.glob("libarrow_python.so*"):
        if not re.fullmatch(r"libarrow_python\.so\.\d+", duplicate.name):
            duplicate.unlink()
    drop_unused_libraries(pyarrow)


def check_package_data(site: Path) -> None:
    """Every data file of the package (src/cloudwatch_datasource/**/data/*, e.g. cloudwatch/data/namespaces.json)
    reaches the dist through the wheel's package-data (pyproject.toml); one the wheel forgot fails the build here
    rather than the plugin at run time."""
    package = ROOT / "src" / "cloudwatch_datasource"
    missing = [str(f.relative_to(package)) for f in package.rglob("data/*") if f.is_file()
               and not (site / "cloudwatch_datasource" / f.relative_to(package)).is_file()]
    if missing:
        raise SystemExit(f"package data missing from the wheel (add it to pyproject's package-data): {missing}")


def stdlib(roots: list[Path], dest: Path) -> None:
    """Debian's standard library as one zip on sys.path (zipimport, as CPython's own embeddable distribution
    does): 19 MB of sources and bytecode in files become about 6 MB. Each module is stored as source and
    as unchecked-hash bytecode beside it (`os.py`, `os.pyc`: zipimport's layout), so nothing is compiled at start
    and tracebacks still show stdlib source lines. The tree is the same for every architecture but for its
    _sysconfigdata_* files, named after the architecture, so each one is taken."""
    tree = BUILD / "stdlib"
    shutil.rmtree(tree, ignore_errors=True)
    source = roots[0] / "usr" / "lib" / "python3.11"
    shutil.copytree(source, tree, symlinks=False, ignore=lambda d, names: [
        n for n in names
        if (Path(d) == source and (n in STDLIB_DROP or n == "lib-dynload" or n.startswith("config-")))
        or n == "__pycache__" or (Path(d) / n).is_symlink()])
    for root in roots[1:]:
        for data in (root / "usr" / "lib" / "python3.11").glob("_sysconfigdata_*.py"):
            if not data.is_symlink():
                shutil.copyfile(data, tree / data.name)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(tree.rglob("*")):
            if not path.is_file():
                continue
            name = path.relative_to(tree).as_posix()
            archive.writestr(zipfile.ZipInfo(name, FIXED_TIME), path.read_bytes(), zipfile.ZIP_DEFLATED)
            if path.suffix == ".py":
                compiled = BUILD / "stdlib.pyc"
                py_compile.compile(str(path), cfile=str(compiled), dfile=name, doraise=True,
                                   invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
                archive.writestr(zipfile.ZipInfo(name + "c", FIXED_TIME), compiled.read_bytes(),
                                 zipfile.ZIP_DEFLATED)


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


# ---------------------------------------------------------------------------------------------------- ELF
def is_elf(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == b"\x7fELF"


def dynamic(path: Path) -> tuple[list[str], list[str]]:
    """(DT_NEEDED names, DT_RUNPATH/RPATH entries) of an ELF file; readelf reads every architecture."""
    out = run(["readelf", "-d", "-W", str(path)], capture_output=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)
    paths = [p for m in re.findall(r"\((?:RUNPATH|RPATH)\)\s+Library (?:runpath|rpath): \[([^\]]+)\]", out)
             for p in m.split(":")]
    return needed, paths


def needed_closure(arch_dir: Path, system_root: Path, arch: Arch) -> None:
    """Copy into arch_dir/lib every shared library that any ELF file in the bundle needs and the bundle does not
    already hold (found in Debian's unpacked packages), until nothing is missing. Fails on a library that is
    neither bundled nor in those packages: the result must need nothing from the host."""
    lib = arch_dir / "lib"
    search = [system_root / "lib" / arch.triplet, system_root / "usr" / "lib" / arch.triplet, system_root / "lib"]
    pending = [p for p in arch_dir.rglob("*") if p.is_file() and not p.is_symlink() and is_elf(p)]
    seen: set[Path] = set()
    while pending:
        elf = pending.pop()
        if elf in seen:
            continue
        seen.add(elf)
        needed, runpaths = dynamic(elf)
        local = [Path(p.replace("$ORIGIN", str(elf.parent))) for p in runpaths]
        for name in needed:
            if any((d / name).exists() for d in [lib, *local]):
                continue
            found = next((d / name for d in search if (d / name).exists()), None)
            if found is None:
                raise SystemExit(f"{elf.relative_to(arch_dir)} needs {name}, found neither in the bundle nor in "
                                 f"Debian's {arch.debian} packages: add its package to DEBIAN_PACKAGES")
            copied = lib / name
            shutil.copyfile(found.resolve(), copied)
            copied.chmod(0o755)
            pending.append(copied)


def symbols(path: Path) -> tuple[set[str], set[str]]:
    """(undefined, defined) dynamic symbol names of an ELF file, version suffixes cut."""
    out = run(["readelf", "--dyn-syms", "-W", str(path)], capture_output=True).stdout
    undefined: set[str] = set()
    defined: set[str] = set()
    for line in out.splitlines():
        cols = line.split()
        if len(cols) < 8 or not cols[0].rstrip(":").isdigit() or cols[4] not in ("GLOBAL", "WEAK"):
            continue
        (undefined if cols[6] == "UND" else defined).add(cols[7].split("@")[0])
    return undefined, defined


def drop_unused_libraries(package: Path) -> None:
    """pyarrow's wheel links every Arrow library into libarrow_python and pyarrow.lib whether they use it or not
    (pyarrow 26: Parquet, dataset, Substrait and Acero, 18 MB, none of whose symbols they reference). Remove such
    DT_NEEDED entries (patchelf), which is what linking with --as-needed would have done, then delete the
    package's libraries that no remaining extension module reaches. A library that is referenced stays; the
    closure check in needed_closure() and the tests that start the bundle prove nothing needed went missing."""
    elves = [p for p in package.rglob("*") if p.is_file() and is_elf(p)]
    # Python extension modules (name.cpython-311-<triplet>.so, name.abi3.so) are the roots; lib*.so* are libraries.
    libraries = {p.name: p for p in elves if p.name.startswith("lib") and ".cpython-" not in p.name
                 and not p.name.endswith(".abi3.so")}
    exported = {name: symbols(path)[1] for name, path in libraries.items()}
    for elf in elves:
        needed, _ = dynamic(elf)
        undefined = symbols(elf)[0]
        for name in needed:
            if name in exported and not undefined & exported[name]:
                run(["patchelf", "--remove-needed", name, str(elf)])
    reached: set[str] = set()
    pending = [p for p in elves if p.name not in libraries]
    while pending:
        for name in dynamic(pending.pop())[0]:
            if name in libraries and name not in reached:
                reached.add(name)
                pending.append(libraries[name])
    for name, path in libraries.items():
        if name not in reached:
            path.unlink()


def strip(arch_dir: Path, arch: Arch) -> None:
    """Wheels ship their libraries with symbol tables (pyarrow's 150 MB shrink by a fifth): strip them. The
    loader is left alone (glibc's debugger interface wants its symbols)."""
    for path in arch_dir.rglob("*"):
        if path.is_file() and path.name != arch.loader and is_elf(path):
            run([arch.strip, "--strip-unneeded", str(path)])


# ---------------------------------------------------------------------------------------------------- assembly
def assemble_arch(arch: Arch, system_root: Path, native_site: Path, out: Path) -> None:
    arch_dir = out / "runtime" / f"linux_{arch.go}"
    (arch_dir / "bin").mkdir(parents=True)
    (arch_dir / "lib").mkdir()
    shutil.copyfile(system_root / "usr" / "bin" / "python3.11", arch_dir / "bin" / "python3.11")
    (arch_dir / "bin" / "python3.11").chmod(0o755)
    # CPython 3.11 reads <executable>._pth on every platform: those lines become sys.path exactly (relative to
    # this file) and the interpreter runs isolated: no PYTHON* variables, no site, no user or current directory.
    (arch_dir / "bin" / "python3.11._pth").write_text(
        "../../python/stdlib.zip\n../lib-dynload\n../site\n../../python/site\n")
    dynload = system_root / "usr" / "lib" / "python3.11" / "lib-dynload"
    shutil.copytree(dynload, arch_dir / "lib-dynload", ignore=lambda d, names: [
        n for n in names if DYNLOAD_DROP.match(n)])
    shutil.copytree(native_site, arch_dir / "site")
    loader = next(p for p in [system_root / "lib" / arch.triplet / arch.loader, system_root / "lib64" / arch.loader,
                              system_root / "lib" / arch.loader] if p.exists())
    shutil.copyfile(loader.resolve(), arch_dir / "lib" / arch.loader)
    (arch_dir / "lib" / arch.loader).chmod(0o755)
    needed_closure(arch_dir, system_root, arch)
    strip(arch_dir, arch)


def split_site(sites: dict[str, Path], shared: Path) -> None:
    """Move each top-level entry that is the same for every architecture (pure Python) into `shared`; what
    differs (anything holding a compiled extension) stays per architecture."""
    first, *others = sites.values()
    for entry in sorted(first.iterdir()):
        if all(same_tree(entry, other / entry.name) for other in others):
            shutil.move(str(entry), shared / entry.name)
            for other in others:
                remove(other / entry.name)


def same_tree(a: Path, b: Path) -> bool:
    if a.is_file() or b.is_file():
        return a.is_file() and b.is_file() and filecmp.cmp(a, b, shallow=False)
    if not b.is_dir():
        return False
    compared = filecmp.dircmp(a, b)
    if compared.left_only or compared.right_only or compared.funny_files:
        return False
    return all(same_tree(a / name, b / name) for name in compared.common)


def launcher(arch: Arch, out: Path) -> None:
    exe = out / f"gpx_cloudwatch_linux_{arch.go}"
    env = {**os.environ, "CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": arch.go, "GOFLAGS": "-buildvcs=false"}
    run(["go", "build", "-trimpath", "-ldflags=-s -w", "-o", str(exe), "."], cwd=ROOT / "launcher", env=env)
    exe.chmod(0o755)


def compile_bytecode(out: Path) -> None:
    """.pyc for every module, checked by nothing at run time (unchecked-hash): no directory needs to be writable,
    and a zip round trip that changes file times cannot make CPython recompile (or try to write) them."""
    for directory in [out / "runtime" / "python" / "site", *sorted((out / "runtime").glob("linux_*/site"))]:
        # stripdir: each .pyc records its source path for tracebacks; without it that is the build machine's
        # absolute path (/<checkout>/build/...), leaking its folders into the zip. Recorded as the path inside
        # Grafana's plugins directory instead (pyaws-cloudwatch-datasource/runtime/...).
        ok = compileall.compile_dir(directory, quiet=2, workers=0, stripdir=str(out), prependdir=PLUGIN_ID,
                                    invalidation_mode=compileall.py_compile.PycInvalidationMode.UNCHECKED_HASH)
        if not ok:
            raise SystemExit(f"byte-compiling {directory} failed")


def manifest(out: Path, arches: list[Arch]) -> None:
    """runtime/MANIFEST.json: what the bundle carries (Debian package versions, wheels), so an operator can
    tell whether a security update concerns it."""
    result: dict[str, object] = {}
    for arch in arches:
        debs = sorted(p.name for p in (BUILD / "debs" / arch.debian).glob("*.deb"))
        infos = sorted(p.name.removesuffix(".dist-info")
                       for p in (out / "runtime").glob("*/site/*.dist-info")
                       if "linux_" not in p.parts[-3] or p.parts[-3] == f"linux_{arch.go}")
        result[f"linux_{arch.go}"] = {"debian": debs, "python": infos,
                                      "debian_files": debian_origins(out / "runtime" / f"linux_{arch.go}", arch)}
    (out / "runtime" / "MANIFEST.json").write_text(json.dumps(result, indent=1) + "\n")


def debian_origins(arch_dir: Path, arch: Arch) -> dict[str, dict[str, str]]:
    """Every ELF file of `arch_dir` that came from a Debian package (the loader, the libraries needed_closure
    copied, CPython and its extension modules), by path relative to the plugin folder: {"package", "version"}.
    scripts/sbom.py reads this to name each native file's origin; a file from a wheel is found from its
    dist-info RECORD instead. Files are matched by name: needed_closure copies a library under its soname, which
    is the name (file or symlink) the package ships it as."""
    by_name: dict[str, dict[str, str]] = {}
    for deb in sorted((BUILD / "debs" / arch.debian).glob("*.deb")):
        fields = run(["dpkg-deb", "-f", str(deb), "Package", "Version"], capture_output=True).stdout
        info = dict(line.split(": ", 1) for line in fields.splitlines() if ": " in line)
        for line in run(["dpkg-deb", "-c", str(deb)], capture_output=True).stdout.splitlines():
            name = line.split(" -> ")[0].rsplit("/", 1)[-1]
            if name:
                by_name.setdefault(name, {"package": info["Package"], "version": info["Version"]})
    origins: dict[str, dict[str, str]] = {}
    for sub in ("bin", "lib", "lib-dynload"):
        for path in sorted((arch_dir / sub).rglob("*")):
            if path.is_file() and is_elf(path) and path.name in by_name:
                origins[path.relative_to(arch_dir.parent.parent).as_posix()] = by_name[path.name]
    return origins


def plugin_json(out: Path) -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    match = re.search(r'^version = "(.+)"', pyproject, re.M)
    assert match, "pyproject.toml has no version"
    text = (ROOT / "plugin" / "plugin.json").read_text()
    text = text.replace("%VERSION%", match.group(1)).replace("%TODAY%", time.strftime("%Y-%m-%d", time.gmtime()))
    (out / "plugin.json").write_text(text)


def frontend(out: Path) -> None:
    built = ROOT / "frontend" / "dist"
    if (built / "module.js").exists():
        shutil.copytree(built, out, dirs_exist_ok=True)
    else:
        print("note: frontend/dist/module.js not built; the dist has no UI editors (run 'make frontend')",
              file=sys.stderr)
    (out / "img").mkdir(exist_ok=True)
    if not (out / "img" / "logo.svg").exists():
        shutil.copyfile(ROOT / "plugin" / "logo.svg", out / "img" / "logo.svg")
    # The pages Grafana's catalog shows (README, CHANGELOG, LICENSE, screenshots): the same files the zips carry,
    # replacing the frontend build's developer README.
    from package import DOCUMENTS  # scripts/package.py, beside this file

    for name, source in DOCUMENTS.items():
        shutil.copyfile(source, out / name)


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", default="amd64,arm64", help="comma-separated: amd64, arm64 (default both)")
    args = parser.parse_args()
    arches = [ARCHES[name] for name in args.arch.split(",")]
    missing = [tool for tool in ["go", "readelf", "patchelf", "dpkg-deb", "apt-get", *(a.strip for a in arches)]
               if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"missing build tools: {', '.join(missing)} (scripts/setup.sh --system installs them)")

    started = time.monotonic()
    staging = BUILD / "out"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "runtime" / "python" / "site").mkdir(parents=True)
    wheel = project_wheel()
    roots = {a.go: debian_root(a) for a in arches}
    sites = {a.go: site_packages(a, wheel) for a in arches}
    for site in sites.values():
        prune_site(site)
    split_site(sites, staging / "runtime" / "python" / "site")
    check_package_data(staging / "runtime" / "python" / "site")
    stdlib([roots[a.go] for a in arches], staging / "runtime" / "python" / "stdlib.zip")
    for arch in arches:
        assemble_arch(arch, roots[arch.go], sites[arch.go], staging)
        launcher(arch, staging)
    compile_bytecode(staging)
    manifest(staging, arches)
    frontend(staging)
    plugin_json(staging)  # after the frontend: its build may bring a plugin.json; ours is the one Grafana reads

    shutil.rmtree(OUT, ignore_errors=True)
    OUT.parent.mkdir(exist_ok=True)
    shutil.move(str(staging), OUT)
    shared = tree_size(OUT) - sum(tree_size(OUT / "runtime" / f"linux_{a.go}") for a in arches)
    for arch in arches:
        size = shared + tree_size(OUT / "runtime" / f"linux_{arch.go}")
        print(f"built {OUT} linux_{arch.go}: {size / 1e6:.1f} MB unpacked")
    print(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
