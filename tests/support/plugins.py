"""The plugin processes a test session starts, kept for the whole-suite secrets scan (tests/test_zz_secrets.py).

The conftest's `started_plugins` fixture (one per session) owns a StartedPlugins; tests start processes through the
`start_plugin` fixture, module-scoped fixtures through `started_plugins.start`. A plugin another host starts
(the Go host, tests/support/grafana_host.py) is recorded with `add` (anything with `stderr_lines`), or its
captured output with `add_output`, so the scan covers them too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from cloudwatch_datasource.protocol import host
from cloudwatch_datasource.protocol.host import PluginProcess

StartPlugin = Callable[..., PluginProcess]


class HasStderr(Protocol):
    stderr_lines: list[str]


class StartedPlugins:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.processes: list[PluginProcess] = []
        self.hosted: list[HasStderr] = []  # plugins another host started (a Go host)
        self.outputs: list[tuple[str, list[str]]] = []  # (where from, lines) of plugins this class did not start

    def start(self, command: list[str] | None = None, *, env: Mapping[str, str] | None = None,
              timeout: float = 60) -> PluginProcess:
        """host.start_plugin (the real go-plugin handshake), recorded."""
        process = host.start_plugin(command, env=env, timeout=timeout)
        with self._lock:
            self.processes.append(process)
        return process

    def add(self, plugin: HasStderr) -> None:
        with self._lock:
            self.hosted.append(plugin)

    def add_output(self, source: str, lines: Iterable[str]) -> None:
        with self._lock:
            self.outputs.append((source, list(lines)))

    @staticmethod
    def kill(process: PluginProcess) -> None:
        process.kill()  # idempotent: a process the test already stopped is left as it is

    def kill_all(self) -> None:
        for process in list(self.processes):
            self.kill(process)

    def sources(self) -> int:
        """How many plugin processes (started here or reported) there is output of."""
        with self._lock:
            return len(self.processes) + len(self.hosted) + len(self.outputs)

    def stderr_lines(self, *, settle_s: float = 0.2) -> list[str]:
        """Every stderr line of every process so far (after a moment for the drain threads of the last ones)."""
        time.sleep(settle_s)
        with self._lock:
            plugins: list[HasStderr] = [*self.processes, *self.hosted]
            lines = [line for plugin in plugins for line in list(plugin.stderr_lines)]
            return lines + [line for _, output in self.outputs for line in output]
