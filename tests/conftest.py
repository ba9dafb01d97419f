"""Shared fixtures: the plugin processes every test starts (through the Python host, or through the Go host,
grafana-server's own plugin client: tests/support/grafana_host.py), all recorded for the whole-suite secrets scan;
a real moto server process on 127.0.0.1; an isolated AWS environment; the built dist executable.

Helpers live in importable modules (tests/support/, on the path through pyproject's `pythonpath`); this file
only hands out fixtures. tests/support/tiers.py (loaded below) keeps `make test-fast` free of processes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from support.fake_aws import FakeAws
from support.grafana_host import PLUGIN_COMMAND, GrafanaHost, StartGrafana, build_host
from support.plugins import StartedPlugins, StartPlugin
from support.redis_server import REDIS_ACL_PASSWORD, REDIS_ACL_USER, REDIS_PASSWORD, RedisServer, start_redis

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


# --- The plugin through grafana-server's own client (tests/goplugin_host) ---------------------------------------
@pytest.fixture(scope="session")
def go_host_binary() -> Path:
    """The Go host, built once per session into build/gohost/ (go.sum pins every module)."""
    return build_host()


@pytest.fixture
def grafana(go_host_binary: Path, started_plugins: StartedPlugins) -> Iterator[StartGrafana]:
    """start(command=None, env=None, *, host_env=None, start_timeout=None) → a Go host (one "grafana-server")
    running the plugin: `command` is its argv (default: this venv's `python -m cloudwatch_datasource`), `env`
    what the test adds to Grafana's plugin environment. Every host is stopped the Grafana way at the end, and its
    plugin's stderr goes to the suite-wide secrets scan (`started_plugins`)."""
    hosts: list[GrafanaHost] = []

    def start(command: list[str] | None = None, env: Mapping[str, str | None] | None = None, *,
              host_env: Mapping[str, str] | None = None, start_timeout: float | None = None) -> GrafanaHost:
        grafana_host = GrafanaHost.launch(go_host_binary, host_env)
        hosts.append(grafana_host)
        started_plugins.add(grafana_host)
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


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeAws]:
    """The fake AWS endpoint (tests/support/fake_aws.py), one per test module: its botocore clients are slow to
    make. A module or directory that needs another kind of fake defines its own `fake`."""
    with FakeAws() as running:
        yield running


@pytest.fixture
def fake(fake_server: FakeAws) -> FakeAws:
    """The module's fake endpoint, emptied for this test (scripts, faults and recorded requests)."""
    fake_server.reset()
    return fake_server


# Real redis-server processes (Debian's package) on 127.0.0.1 for the shared result cache: one with a password
# and an ACL user, one with TLS (a throwaway CA: `redis_tls_server.tls.ca_file`). Tests empty them as they need.
@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with start_redis(tmp_path_factory.mktemp("redis"), password=REDIS_PASSWORD, username=REDIS_ACL_USER,
                     user_password=REDIS_ACL_PASSWORD) as server:
        yield server


@pytest.fixture(scope="session")
def redis_tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with start_redis(tmp_path_factory.mktemp("redis-tls"), password=REDIS_PASSWORD, tls=True) as server:
        yield server
