"""The two secrets scans check what the rest of the run observed; run without it (alone, or under -k) they must
fail and say why, not pass on nothing. Each runs in a pytest process of its own, as a developer would run it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.processes  # a pytest process per case


@pytest.mark.parametrize("args", [
    ["tests/test_zz_secrets.py"],
    ["tests/reliability/test_zz_no_secrets.py"],
    ["tests", "-k", "secrets"],
], ids=["suite-scan-alone", "reliability-scan-alone", "k-filter"])  # ids without "secrets": -k must not pick us
def test_a_scan_that_scanned_nothing_fails_and_says_so(args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", *args, "-q", "-p", "no:cacheprovider"], cwd=ROOT,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 1, done.stdout[-2000:]
    assert "nothing to scan" in done.stdout, done.stdout[-2000:]
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED")]
    assert failed and all("test_zz_secrets" in line or "test_zz_no_secrets" in line for line in failed), failed
