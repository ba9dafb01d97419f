"""How many Logs Insights queries the plugin runs at once per AWS account and region; the rest wait their turn.

AWS's quota is per account and region and counts every client (the console, dashboards, other tools): 100
concurrent Logs Insights QL queries and 15 for OpenSearch PPL or SQL (CloudWatch Logs user guide, "View running
queries or query history"; older StartQuery API references say 30). A query over it fails with
LimitExceededException. The plugin keeps below it by default, 30 and 15, so it leaves room for the other clients;
a query that still meets LimitExceededException is started again with backoff (execute.py). Waiting for a slot
ends with the query's time (its request deadline, cancellation or logsTimeout).

The account is not known without an STS call, so the key is what decides it: the credentials settings
(`account_key`), the endpoint and the region. Datasources sharing credentials share slots.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..errors import ErrorSource, PluginError
from ..settings import DataSourceSettings
from .query import QueryLanguage

DEFAULT_LIMITS = {"CWLI": 30, "OpenSearch": 15}


def account_key(settings: DataSourceSettings) -> str:
    """The same for datasources that reach the same AWS account the same way (secrets only hashed)."""
    material = "\x00".join([settings.auth_type.value, settings.profile, settings.assume_role_arn,
                            settings.external_id, settings.endpoint, settings.access_key])
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def family(language: QueryLanguage) -> str:
    return "CWLI" if language is QueryLanguage.CWLI else "OpenSearch"


class QuerySlots:
    """Counting semaphores keyed by (account key, region, language family), made on first use."""

    def __init__(self, limits: dict[str, int] | None = None) -> None:
        self.limits = dict(limits or DEFAULT_LIMITS)
        self._cond = threading.Condition()
        self._running: dict[tuple[str, str, str], int] = {}
        self.waited = 0  # queries that had to wait for a slot (tests and the benchmark read it)

    def running(self, key: tuple[str, str, str]) -> int:
        with self._cond:
            return self._running.get(key, 0)

    @contextmanager
    def slot(self, key: tuple[str, str, str], *, until: float, check: Callable[[], None]) -> Iterator[None]:
        """Hold one slot of `key` for the block. Waits while all are taken, up to `until` (time.monotonic()),
        then raises a 504 PluginError; `check()` runs while waiting and raises to stop it (the request's end)."""
        limit = self.limits[key[2]]
        with self._cond:
            if self._running.get(key, 0) >= limit:
                self.waited += 1
            while self._running.get(key, 0) >= limit:
                check()
                left = until - time.monotonic()
                if left <= 0:
                    raise PluginError(
                        f"no Logs Insights query slot came free in time: {limit} {key[2]} queries of this AWS "
                        f"account were already running in {key[1]} (AWS's concurrency quota, see docs/queries.md)",
                        status=504, source=ErrorSource.DOWNSTREAM)
                # Woken by a release; the short cap also notices a stopped request soon.
                self._cond.wait(min(left, 0.2))
            self._running[key] = self._running.get(key, 0) + 1
        try:
            yield
        finally:
            with self._cond:
                left_running = self._running[key] - 1
                if left_running:
                    self._running[key] = left_running
                else:
                    del self._running[key]
                self._cond.notify()


# Process-wide: AWS's quota is per account, whatever request or datasource runs the query.
SLOTS = QuerySlots()
