"""Fixtures for the reliability suite: fake AWS endpoints and plugin processes whose every output line is fed
to the suite-wide leak collector; the secrets test runs last."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import pytest

from cloudwatch_datasource.protocol.host import PluginProcess, start_plugin

from .fake_aws import FakeAws
from .support import LEAKS, plugin_env

StartPlugin = Callable[..., PluginProcess]


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    # The secrets scan reads what every other reliability test observed, so it must run after all of them.
    last = [i for i in items if "test_zz_no_secrets" in i.nodeid]
    items[:] = [i for i in items if i not in last] + last


@pytest.fixture
def fake() -> Iterator[FakeAws]:
    with FakeAws() as server:
        yield server


@pytest.fixture
def fake_factory() -> Iterator[Callable[[], FakeAws]]:
    started: list[FakeAws] = []

    def make() -> FakeAws:
        server = FakeAws().start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


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
