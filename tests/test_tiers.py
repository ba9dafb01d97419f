"""The tiers cannot rot: a test that starts a process without the `processes` marker fails, in any run; a marked
one (or one using a fixture of the processes tier) passes and is left out of `-m "not processes"`. Checked on a
small pytest session of its own (pytester, in this process) with tests/support/tiers.py loaded."""

from __future__ import annotations

import pytest

# The inner session's tests start a real process, which this test's own guard sees as this test's.
pytestmark = pytest.mark.processes

CONFTEST = '''
import subprocess, sys
import pytest

pytest_plugins = ["support.tiers"]


@pytest.fixture(scope="session")
def moto_server():  # named like the real one: a fixture of the processes tier
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return "server"
'''

TESTS = '''
import subprocess, sys
import pytest


def run():
    subprocess.run([sys.executable, "-c", "pass"], check=True)


def test_unmarked_starts_a_process():
    run()


@pytest.mark.processes
def test_marked_starts_a_process():
    run()


def test_uses_a_processes_fixture(moto_server):
    assert moto_server == "server"


def test_unit():
    assert 1 + 1 == 2
'''


def test_unmarked_process_start_fails_marked_ones_pass(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_inner=TESTS)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*test_unmarked_starts_a_process started 1 process(es) but is not marked "
                                 "@pytest.mark.processes*", "*subprocess.Popen: *-c pass*"])


def test_the_fast_tier_selects_only_what_starts_nothing(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_inner=TESTS)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-m", "not processes", "-v")
    result.assert_outcomes(passed=1, failed=1, deselected=2)  # the unmarked starter is caught, not deselected
    result.stdout.fnmatch_lines(["*test_unit PASSED*"])
    assert "test_uses_a_processes_fixture" not in result.stdout.str()  # marked through its fixture
