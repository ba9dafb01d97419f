"""Static checks as part of the suite: ruff over src, tests and bench, mypy strict over the package (offline; the
dependency audit needs the network and is `make audit`, see the README's Reliability section)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.processes  # ruff and mypy run as processes


def test_ruff_clean() -> None:
    done = subprocess.run([str(BIN / "ruff"), "check", "src", "tests", "bench"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict_clean() -> None:
    done = subprocess.run([str(BIN / "mypy")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "strict = true" in (ROOT / "pyproject.toml").read_text()
