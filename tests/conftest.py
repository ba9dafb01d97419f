"""Shared fixtures: a real moto server process on 127.0.0.1, isolated AWS environment, the plugin process."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudwatch_datasource.protocol import host
from cloudwatch_datasource.tools.emulator import Emulator, free_port  # noqa: F401 - free_port for tests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

# --- Every plugin process any test starts, for the suite-wide secrets scan (tests/test_zz_secrets.py) ----------
# Patched here, before any test module imports start_plugin, so each test's own binding is this wrapper.
STARTED_PLUGINS: list[host.PluginProcess] = []
_start_plugin = host.start_plugin


def _recording_start_plugin(*args: object, **kwargs: object) -> host.PluginProcess:
    process = _start_plugin(*args, **kwargs)  # type: ignore[arg-type]
    STARTED_PLUGINS.append(process)
    return process


host.start_plugin = _recording_start_plugin  # type: ignore[assignment]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    # The whole-suite secrets scan reads what every other test left behind, so it runs last of all.
    last = [i for i in items if "test_zz_secrets.py" in i.nodeid]
    items[:] = [i for i in items if i not in last] + last


# moto in server mode as a child process: the AWS emulator every AWS-facing test talks to over HTTP. The same
# class runs the demo and the benchmarks.
MotoServer = Emulator


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture
def moto(moto_server: MotoServer) -> MotoServer:
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
