"""Fixtures for the reliability suite: fake AWS endpoints and plugin processes whose every output line is fed
to the suite-wide leak collector; the secrets test runs last."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from conftest import StartGrafana
from grafana_host import GrafanaHost

from cloudwatch_datasource.policy import ClientTuning
from cloudwatch_datasource.protocol import server
from cloudwatch_datasource.protocol.host import PluginProcess, start_plugin
from cloudwatch_datasource.service import PluginService

from .fake_aws import FakeAws
from .support import ENV_KEY_ID, ENV_SECRET_KEY, LEAKS, plugin_env, reliability_env

StartPlugin = Callable[..., PluginProcess]
StartDist = Callable[..., GrafanaHost]


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    # The secrets scan reads what every other reliability test observed, so it must run after all of them.
    last = [i for i in items if "test_zz_no_secrets" in i.nodeid]
    items[:] = [i for i in items if i not in last] + last


@pytest.fixture
def fake() -> Iterator[FakeAws]:
    with FakeAws() as fake_server:
        yield fake_server


@pytest.fixture
def fake_factory() -> Iterator[Callable[[], FakeAws]]:
    started: list[FakeAws] = []

    def make() -> FakeAws:
        fake_server = FakeAws().start()
        started.append(fake_server)
        return fake_server

    yield make
    for fake_server in started:
        fake_server.stop()


@pytest.fixture
def plugins() -> Iterator[StartPlugin]:
    """start(extra_env) → a plugin process through the real handshake; killed and its stderr collected after."""
    started: list[PluginProcess] = []

    def start(extra: Mapping[str, str] | None = None) -> PluginProcess:
        plugin = start_plugin(env=plugin_env(extra))
        started.append(plugin)
        return plugin

    yield start
    for plugin in started:
        plugin.kill()
        LEAKS.add_plugin(plugin)


@pytest.fixture
def dist_plugins(grafana: StartGrafana, dist_executable: Path) -> Iterator[StartDist]:
    """start(extra_env) → the dist executable started and driven by grafana-server's own client (the Go host),
    with the reliability environment; stopped the Grafana way and its stderr collected after."""
    started: list[GrafanaHost] = []

    def start(extra: Mapping[str, str] | None = None) -> GrafanaHost:
        host = grafana([str(dist_executable)], reliability_env(extra))
        started.append(host)
        return host

    yield start
    for host in started:
        host.close()
        LEAKS.add_plugin(host)


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[server._Data, server._Diagnostics, server._Resource, FakeAws]]:
    """The plugin's servicers in this process (for hypothesis: thousands of cases, no process per case), with an
    environment whose keys must never be used unless a datasource asks for the default chain, and a fake AWS."""
    saved = dict(os.environ)
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        del os.environ[key]
    os.environ.update({"AWS_CONFIG_FILE": "/nonexistent/c", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/k",
                       "AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": ENV_KEY_ID,
                       "AWS_SECRET_ACCESS_KEY": ENV_SECRET_KEY})
    lazy = server._LazyService()
    lazy._service = PluginService(tuning=ClientTuning(max_attempts=1, connect_timeout_s=1, read_timeout_s=2))
    with FakeAws() as fake:
        yield server._Data(lazy), server._Diagnostics(lazy), server._Resource(lazy), fake
    os.environ.clear()
    os.environ.update(saved)
