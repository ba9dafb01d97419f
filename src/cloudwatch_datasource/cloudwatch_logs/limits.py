"""How many Logs Insights queries the plugin runs at once per AWS account and region; the rest wait their turn.

AWS's quota is per account and region and counts every client (the console, dashboards, other tools): 100
concurrent Logs Insights QL queries and 15 for OpenSearch PPL or SQL (CloudWatch Logs user guide, "View running
queries or query history"; older StartQuery API references say 30). A query over it fails with
LimitExceededException. The plugin keeps below it by default, 30 and 15, so it leaves room for the other clients
(the operator's `logs_max_concurrent_queries` / `logs_max_concurrent_opensearch_queries`, policy.py);
a query that still meets LimitExceededException is started again with backoff (execute.py). Waiting for a slot
ends with the query's time (its request deadline, cancellation or logsTimeout).

Grafana's own frontend drives a query in steps instead (StartQuery, then GetQueryResults polls, StopQuery: the
`subtype` queries). Each step is its own request, so a step cannot hold a slot in a `with` block: StartQuery takes
a *lease* on a slot, given back when a poll sees a final status, on StopQuery, once the datasource's logsTimeout
has passed since the start, or when no poll came for LEASE_IDLE_S (a closed browser tab); the last two stop the
query at AWS (a frontend that stopped polling never stops it itself).

The account is not known without an STS call, so the key is what decides it: the credentials settings
(`account_key`), the endpoint and the region. Datasources sharing credentials share slots.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from ..errors import ErrorSource, PluginError
from ..policy import DEFAULT_LOGS_MAX_CONCURRENT_OPENSEARCH_QUERIES, DEFAULT_LOGS_MAX_CONCURRENT_QUERIES
from ..settings import DataSourceSettings
from .query import QueryLanguage

DEFAULT_LIMITS = {"CWLI": DEFAULT_LOGS_MAX_CONCURRENT_QUERIES,
                  "OpenSearch": DEFAULT_LOGS_MAX_CONCURRENT_OPENSEARCH_QUERIES}


def account_key(settings: DataSourceSettings) -> str:
    """The same for datasources that reach the same AWS account the same way (secrets only hashed)."""
    material = "\x00".join([settings.auth_type.value, settings.profile, settings.assume_role_arn,
                            settings.external_id, settings.endpoint, settings.access_key])
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def family(language: QueryLanguage) -> str:
    return "CWLI" if language is QueryLanguage.CWLI else "OpenSearch"


Key = tuple[str, str, str]
# Grafana's frontend polls a running query every few seconds; a minute without a poll means nobody is waiting.
LEASE_IDLE_S = 60.0


@dataclass(frozen=True)
class Lease:
    """A slot held by a query Grafana's frontend polls (see the module's docstring)."""

    key: Key
    expires: float  # time.monotonic(): the start plus the datasource's logsTimeout
    on_expiry: Callable[[], object]  # StopQuery of the query, sent when the lease runs out unreleased
    idle_until: float = math.inf  # time.monotonic(): the last poll (or the start) plus LEASE_IDLE_S

    def ended(self, now: float) -> bool:
        return now >= self.expires or now >= self.idle_until


class QuerySlots:
    """Counting semaphores keyed by (account key, region, language family), made on first use; slots are held
    for a block (`slot`) or leased to a query id (`acquire_lease`, `attach`, `release`)."""

    def __init__(self, limits: dict[str, int] | None = None) -> None:
        self.limits = dict(DEFAULT_LIMITS)
        self.limits.update(limits or {})
        self._cond = threading.Condition()
        self._running: dict[Key, int] = {}
        self._leases: dict[str, Lease] = {}
        self.waited = 0  # queries that had to wait for a slot (tests and the benchmark read it)

    def set_limits(self, limits: dict[str, int]) -> None:
        """The operator's limits ([plugin.<id>] settings, policy.py); queries already running keep their slots."""
        with self._cond:
            self.limits.update({k: v for k, v in limits.items() if v > 0})
            self._cond.notify_all()

    def acquire_lease(self, key: Key, *, until: float, check: Callable[[], None]) -> None:
        """A slot for a query whose id is not known yet (StartQuery in flight); `attach` or `give_back` it."""
        self._acquire(key, until, check)

    def attach(self, key: Key, query_id: str, *, expires: float, on_expiry: Callable[[], object]) -> None:
        with self._cond:
            self._leases[query_id] = Lease(key, expires, on_expiry, time.monotonic() + LEASE_IDLE_S)

    def give_back(self, key: Key) -> None:
        with self._cond:
            self._free(key)

    def release(self, query_id: str) -> bool:
        """Give back `query_id`'s leased slot; False when it holds none (unknown, or already given back)."""
        with self._cond:
            lease = self._leases.pop(query_id, None)
            if lease is not None:
                self._free(lease.key)
            return lease is not None

    def expired(self, query_id: str) -> bool:
        """Whether `query_id` holds a lease that has run out (its logsTimeout passed, or it went unpolled);
        otherwise a poll now keeps it from going idle."""
        now = time.monotonic()
        with self._cond:
            lease = self._leases.get(query_id)
            if lease is None:
                return False
            if lease.ended(now):
                return True
            self._leases[query_id] = replace(lease, idle_until=now + LEASE_IDLE_S)
            return False

    def reap(self) -> int:
        """Give back every lease that ran out, and stop those queries at AWS (outside the lock)."""
        now = time.monotonic()
        with self._cond:
            gone = [(qid, lease) for qid, lease in self._leases.items() if lease.ended(now)]
            for qid, lease in gone:
                del self._leases[qid]
                self._free(lease.key)
        if gone:
            # StopQuery takes up to its own bound (execute.py) per query: not on the thread of the request that
            # happened to free the slots.
            threading.Thread(target=_run_all, args=([lease.on_expiry for _, lease in gone],),
                             name="logs-lease-expiry", daemon=True).start()
        return len(gone)

    def _free(self, key: Key) -> None:
        """Caller holds the lock."""
        left_running = self._running[key] - 1
        if left_running:
            self._running[key] = left_running
        else:
            del self._running[key]
        self._cond.notify()

    def running(self, key: tuple[str, str, str]) -> int:
        with self._cond:
            return self._running.get(key, 0)

    @contextmanager
    def slot(self, key: tuple[str, str, str], *, until: float, check: Callable[[], None]) -> Iterator[None]:
        """Hold one slot of `key` for the block. Waits while all are taken, up to `until` (time.monotonic()),
        then raises a 504 PluginError; `check()` runs while waiting and raises to stop it (the request's end)."""
        self._acquire(key, until, check)
        try:
            yield
        finally:
            with self._cond:
                self._free(key)

    def _acquire(self, key: Key, until: float, check: Callable[[], None]) -> None:
        waited = False
        while True:
            if self._leases:
                self.reap()  # a lease that ran out frees its slot (and stops its query) for this one
            with self._cond:
                limit = self.limits[key[2]]
                if self._running.get(key, 0) < limit:
                    self._running[key] = self._running.get(key, 0) + 1
                    return
                if not waited:
                    waited = True
                    self.waited += 1
                check()
                left = until - time.monotonic()
                if left <= 0:
                    raise PluginError(
                        f"no Logs Insights query slot came free in time: {limit} {key[2]} queries of this AWS "
                        f"account were already running in {key[1]} (AWS's concurrency quota, see docs/queries.md)",
                        status=504, source=ErrorSource.DOWNSTREAM)
                # Woken by a release; the short cap also notices a stopped request or a lease running out soon.
                self._cond.wait(min(left, 0.2))


def _run_all(calls: list[Callable[[], object]]) -> None:
    for call in calls:
        call()


# Process-wide: AWS's quota is per account, whatever request or datasource runs the query.
SLOTS = QuerySlots()
