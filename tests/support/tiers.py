"""Test tiers, as a pytest plugin (tests/conftest.py loads it): `make test-fast` runs the tests that start no
child process, `make test` runs everything.

A test that starts a process (a plugin, moto, the Go host, ruff or mypy, a CLI, a dist build) carries the
`processes` marker: written on the test or module, or implied by a fixture in PROCESS_FIXTURES (or one that
depends on it). The split cannot rot silently: an audit hook (PEP 578, `sys.addaudithook`) sees every process
the test session starts (`subprocess.Popen`, `os.posix_spawn`, `os.fork`, `os.exec`, `os.system`, ...) and
fails any test without the marker that started one, in every run, the full suite included. So `-m "not
processes"` is the unit tier by construction.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator, Iterable
from typing import Any

import pytest

MARKER = "processes"
# Fixtures that start processes (or hand out the means to): every test using one, directly or through another
# fixture, is in the processes tier.
PROCESS_FIXTURES = frozenset({"moto_server", "auth_moto", "started_plugins", "go_host_binary", "dist_executable",
                              "redis_server", "redis_tls_server"})
# Audit events that start a process (https://docs.python.org/3/library/audit_events.html).
SPAWN_EVENTS = frozenset({"subprocess.Popen", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "os.exec",
                          "os.system", "os.startfile", "pty.spawn"})

_recorders: list[Callable[[str, tuple[Any, ...]], None]] = []
_hook_installed = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event in SPAWN_EVENTS:
        for record in list(_recorders):
            record(event, args)


def _describe(event: str, args: tuple[Any, ...]) -> str:
    if event in ("subprocess.Popen", "os.posix_spawn", "os.spawn", "os.exec") and len(args) > 1:
        argv = args[1]
        words = [str(a) for a in argv] if isinstance(argv, list | tuple) else [str(argv)]
        return f"{event}: {' '.join(words)[:200]}"
    return event


class TierGuard:
    """Attributes every process start to the test running at the time; fails the unmarked ones."""

    def __init__(self) -> None:
        self.current: str | None = None
        self.spawns: dict[str, list[str]] = {}

    def record(self, event: str, args: tuple[Any, ...]) -> None:
        if self.current is not None:
            self.spawns.setdefault(self.current, []).append(_describe(event, args))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
        self.current = item.nodeid
        yield
        self.current = None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None]:
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        if call.when == "setup" or item.get_closest_marker(MARKER) is not None:
            return  # setup's starts are judged with the call's (a failed setup report would skip the test)
        started = self.spawns.pop(item.nodeid, [])
        if not started:
            return
        message = (f"{item.nodeid} started {len(started)} process(es) but is not marked "
                   f"@pytest.mark.{MARKER} (tests/support/tiers.py): mark it, or use a fixture of the processes "
                   "tier, so that `make test-fast` stays free of processes. Started:\n  " + "\n  ".join(started[:5]))
        if report.passed:
            report.outcome = "failed"
            report.longrepr = message
        else:
            report.sections.append(("tiers", message))


def mark_by_fixtures(items: Iterable[pytest.Item]) -> None:
    for item in items:
        if PROCESS_FIXTURES & set(getattr(item, "fixturenames", ())) and item.get_closest_marker(MARKER) is None:
            item.add_marker(MARKER)


def pytest_configure(config: pytest.Config) -> None:
    global _hook_installed
    config.addinivalue_line("markers", f"{MARKER}: starts child processes (plugin, moto, Go host, ruff/mypy, CLI); "
                                       "not in `make test-fast` (tests/support/tiers.py)")
    if not _hook_installed:  # audit hooks cannot be removed: one per interpreter, sessions come and go
        sys.addaudithook(_audit)
        _hook_installed = True
    guard = TierGuard()
    config.stash[_GUARD] = guard
    config.pluginmanager.register(guard, "tier-guard")
    _recorders.append(guard.record)


def pytest_unconfigure(config: pytest.Config) -> None:
    guard = config.stash.get(_GUARD, None)
    if guard is not None and guard.record in _recorders:
        _recorders.remove(guard.record)


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    mark_by_fixtures(items)


_GUARD = pytest.StashKey[TierGuard]()
