"""The built plugin folder (dist/), as the portable-runtime tests see it: where it is, whether it is current,
and how to run its bundled interpreter directly (what the static launcher execs, see launcher/main.go)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_ID = "pyaws-cloudwatch-datasource"
DIST = ROOT / "dist" / PLUGIN_ID
ARCHES = ("amd64", "arm64")
LOADERS = {"amd64": "ld-linux-x86-64.so.2", "arm64": "ld-linux-aarch64.so.1"}
HOST_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}[os.uname().machine]


def executable(arch: str, dist: Path = DIST) -> Path:
    return dist / f"gpx_cloudwatch_linux_{arch}"


def built_dist() -> Path:
    """dist/, rebuilt when any input changed since the last `make dist` (a stale dist would test old code)."""
    inputs = [ROOT / "pyproject.toml", ROOT / "scripts" / "build_dist.py", ROOT / "launcher" / "main.go",
              ROOT / "plugin" / "plugin.json", *(ROOT / "src").rglob("*.py"),
              *(ROOT / "src").rglob("data/*")]
    outputs = [executable(arch) for arch in ARCHES]
    if not all(p.exists() for p in outputs) or \
            max(p.stat().st_mtime for p in inputs) > min(p.stat().st_mtime for p in outputs):
        python = ROOT / ".venv" / "bin" / "python"
        subprocess.run([str(python), str(ROOT / "scripts" / "build_dist.py")], check=True, timeout=1200)
    return DIST


def python_command(arch: str = HOST_ARCH, dist: Path = DIST) -> list[str]:
    """The bundled CPython, started through the bundled loader exactly as the launcher does it."""
    runtime = dist / "runtime" / f"linux_{arch}"
    return [str(runtime / "lib" / LOADERS[arch]), "--inhibit-cache", "--library-path", str(runtime / "lib"),
            str(runtime / "bin" / "python3.11"), "-B", "-X", "utf8"]
