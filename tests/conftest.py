"""Shared fixtures: a real moto server process on 127.0.0.1, isolated AWS environment, the plugin process (through
the Go host, grafana-server's own plugin client: tests/grafana_host.py), the built dist executable."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from cloudwatch_datasource.protocol import host
from cloudwatch_datasource.tools.emulator import Emulator, free_port  # noqa: F401 - free_port for tests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from grafana_host import GrafanaHost, build_host  # noqa: E402 - needs the sys.path entry above

# --- Every plugin process any test starts, for the suite-wide secrets scan (tests/test_zz_secrets.py) ----------
# Patched here, before any test module imports start_plugin, so each test's own binding is this wrapper.
# Each entry has `stderr_lines`: a Python-host PluginProcess or a Go-host GrafanaHost.
STARTED_PLUGINS: list[Any] = []
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


# --- The plugin through grafana-server's own client (tests/goplugin_host) ---------------------------------------
# The plugin as the venv runs it; the dist's executable is the same package frozen (see `dist_executable`).
PLUGIN_COMMAND = [sys.executable, "-m", "cloudwatch_datasource"]
StartGrafana = Callable[..., GrafanaHost]


@pytest.fixture(scope="session")
def go_host_binary() -> Path:
    """The Go host, built once per session into build/gohost/ (go.sum pins every module)."""
    return build_host()


@pytest.fixture
def grafana(go_host_binary: Path) -> Iterator[StartGrafana]:
    """start(command=None, env=None, *, host_env=None, start_timeout=None) → a Go host (one "grafana-server")
    running the plugin: `command` is its argv (default: this venv's `python -m cloudwatch_datasource`), `env`
    what the test adds to Grafana's plugin environment. Every host is stopped the Grafana way at the end, and its
    plugin's stderr goes to the suite-wide secrets scan."""
    hosts: list[GrafanaHost] = []

    def start(command: list[str] | None = None, env: Mapping[str, str | None] | None = None, *,
              host_env: Mapping[str, str] | None = None, start_timeout: float | None = None) -> GrafanaHost:
        grafana_host = GrafanaHost.launch(go_host_binary, host_env)
        hosts.append(grafana_host)
        STARTED_PLUGINS.append(grafana_host)
        grafana_host.start(command or PLUGIN_COMMAND, env, start_timeout)
        return grafana_host

    yield start
    for grafana_host in hosts:
        grafana_host.close()


@pytest.fixture(scope="session")
def dist_executable() -> Path:
    """This machine's gpx_ executable from dist/ (`make dist`), rebuilt when an input changed since: a stale dist
    would test old code (tests/portable/bundle.py decides)."""
    from portable.bundle import HOST_ARCH, built_dist, executable

    exe = executable(HOST_ARCH, built_dist())
    assert exe.stat().st_mode & 0o111, "the gpx_ executable needs the exec bit"
    return exe
