"""Shared fixtures: the plugin processes every test starts (recorded for the whole-suite secrets scan), a real
moto server process on 127.0.0.1, an isolated AWS environment.

Helpers live in importable modules (tests/support/, on the path through pyproject's `pythonpath`); this file
only hands out fixtures. tests/support/tiers.py (loaded below) keeps `make test-fast` free of processes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from support.plugins import StartedPlugins, StartPlugin

from cloudwatch_datasource.protocol.host import PluginProcess
from cloudwatch_datasource.tools.emulator import Emulator

pytest_plugins = ["support.tiers", "pytester"]

SECRETS_SCAN = "tests/test_zz_secrets.py"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    # The whole-suite secrets scan reads what every other test left behind, so it runs last of all.
    last = [i for i in items if i.nodeid.startswith(SECRETS_SCAN)]
    items[:] = [i for i in items if i not in last] + last


@pytest.fixture(scope="session")
def started_plugins() -> Iterator[StartedPlugins]:
    """Every plugin process the session starts, with its output: what tests/test_zz_secrets.py scans."""
    registry = StartedPlugins()
    yield registry
    registry.kill_all()


@pytest.fixture
def start_plugin(started_plugins: StartedPlugins) -> Iterator[StartPlugin]:
    """start_plugin(command=None, env=None) → a plugin process through the real go-plugin handshake (the package's
    protocol/host.py), recorded for the secrets scan and killed after the test."""
    mine: list[PluginProcess] = []

    def start(command: list[str] | None = None, env: Mapping[str, str] | None = None,
              timeout: float = 60) -> PluginProcess:
        process = started_plugins.start(command, env=env, timeout=timeout)
        mine.append(process)
        return process

    yield start
    for process in mine:
        started_plugins.kill(process)


# moto in server mode as a child process: the AWS emulator every AWS-facing test talks to over HTTP. The same
# class runs the demo and the benchmarks.
@pytest.fixture(scope="session")
def moto_server() -> Iterator[Emulator]:
    server = Emulator()
    yield server
    server.stop()


@pytest.fixture
def moto(moto_server: Emulator) -> Emulator:
    """The shared moto server, emptied before the test."""
    moto_server.reset()
    return moto_server


@pytest.fixture
def isolated_aws_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An AWS environment that can't see this machine's own config, credentials or instance metadata."""
    env = {
        "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
