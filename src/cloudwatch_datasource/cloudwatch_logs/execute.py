"""Running one Logs Insights query on the server: StartQuery, then GetQueryResults polled with backoff until the
query is Complete, Failed, Cancelled or Timeout (GetQueryResults' status values in botocore's logs model), and
StopQuery whenever the plugin gives up on a query AWS is still running.

AWS runs the query asynchronously (CloudWatch Logs API reference: StartQuery, GetQueryResults, StopQuery), so the
wait is the plugin's: it ends at the request's end (the gRPC deadline, a cancellation, `request_timeout`:
deadlines.py) or at the datasource's `logsTimeout`, whichever comes first. A query left running would keep one of
the account's concurrent-query slots (limits.py) for up to AWS's own 60 minutes, so each of those ends sends
StopQuery, in a short scope of its own: the request's scope refuses every further AWS call once it has ended.

Polling starts at 0.25 s and grows 1.5× to 2 s: short queries answer fast, and a long one asks a few times a
minute (GetQueryResults has a per-account TPS quota; a throttled poll waits the longest step and asks again).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from .. import deadlines
from ..aws import aws_call, aws_failure
from ..deadlines import RequestScope
from ..errors import ErrorSource, PluginError
from .limits import LEASE_IDLE_S, SLOTS, QuerySlots, family
from .query import MAX_ROWS, LogsQuery

log = structlog.get_logger(__name__)

TERMINAL = frozenset({"Complete", "Failed", "Cancelled", "Timeout", "Unknown"})
FIRST_POLL_S = 0.25
POLL_GROWTH = 1.5
MAX_POLL_S = 2.0
STOP_TIMEOUT_S = 5.0  # StopQuery's own bound once the request's scope has ended


@dataclass
class LogsResult:
    """What GetQueryResults said last: AWS's status, rows (each a list of {"field", "value"}), statistics."""

    query_id: str
    status: str
    rows: list[Any] = field(default_factory=list)
    statistics: dict[str, Any] = field(default_factory=dict)
    truncated: bool = False  # AWS had more rows than one GetQueryResults page (MAX_ROWS)
    polls: int = 0


class LogsQueryTimeout(PluginError):
    """logsTimeout passed before AWS finished; the query was stopped. Carries what AWS had found so far."""

    def __init__(self, message: str, partial: LogsResult) -> None:
        super().__init__(message, status=504, source=ErrorSource.DOWNSTREAM)
        self.partial = partial


@dataclass(frozen=True)
class Runner:
    """One query's AWS context: its client, where it runs and for whom, and when the plugin stops waiting."""

    client: Any
    region: str
    datasource: str
    account: str
    logs_timeout_s: float
    slots: QuerySlots = SLOTS
    sleep: Callable[[float], None] = time.sleep

    def run(self, query: LogsQuery) -> LogsResult:
        """The whole query: a slot, StartQuery (again with backoff while AWS says LimitExceeded), polling."""
        scope = deadlines.current.get()
        until = time.monotonic() + self.logs_timeout_s
        key = (self.account, self.region, family(query.language))
        with self.slots.slot(key, until=until, check=scope.check if scope is not None else _nothing):
            query_id = self._start_with_backoff(query, until, scope)
            return self._poll(query, query_id, until, scope)

    def start(self, query: LogsQuery) -> str:
        with aws_call("StartQuery", region=self.region, datasource=self.datasource):
            answer = self.client.start_query(**query.start_query_params())
        query_id = answer.get("queryId") if isinstance(answer, dict) else None
        if not isinstance(query_id, str) or not query_id:
            raise PluginError("StartQuery: AWS answered without a queryId", status=502,
                              source=ErrorSource.DOWNSTREAM)
        return query_id

    def results(self, query_id: str) -> LogsResult:
        """One GetQueryResults call, its answer checked (a malformed answer is a downstream error)."""
        with aws_call("GetQueryResults", region=self.region, datasource=self.datasource):
            answer = self.client.get_query_results(queryId=query_id)
        status = answer.get("status")
        rows = answer.get("results")
        if not isinstance(status, str) or not isinstance(rows, list | type(None)):
            raise PluginError("GetQueryResults: AWS answered without a query status or with results that are not "
                              "a list", status=502, source=ErrorSource.DOWNSTREAM)
        statistics = answer.get("statistics")
        rows = rows or []
        return LogsResult(query_id, status, rows[:MAX_ROWS],
                          statistics if isinstance(statistics, dict) else {},
                          truncated=len(rows) > MAX_ROWS or bool(answer.get("nextToken")))

    def stop(self, query_id: str) -> bool:
        """StopQuery in a scope of its own (the request's may have ended). True when AWS stopped it; False when it
        had already finished (AWS answers InvalidParameterException then, Grafana's log_actions.go treats it so)
        or StopQuery failed (logged: nothing more can be done)."""
        scope = RequestScope(limit_s=STOP_TIMEOUT_S)
        token = deadlines.current.set(scope)
        try:
            with aws_call("StopQuery", region=self.region, datasource=self.datasource):
                answer = self.client.stop_query(queryId=query_id)
            return bool(answer.get("success"))
        except PluginError as err:
            failure = aws_failure(err)
            if failure is None or failure.code != "InvalidParameterException":
                log.warning("StopQuery failed; AWS ends the query by itself after 60 minutes",
                            region=self.region, error=err.message)
            return False
        finally:
            deadlines.current.reset(token)
            scope.finish()

    # --- Grafana's polling protocol: one step per request, the slot leased (limits.py) -------------------

    def start_leased(self, query: LogsQuery) -> str:
        """StartQuery for Grafana's frontend: waits for a slot within the request and logsTimeout, then leases it
        to the query until a poll sees it end, StopQuery, or logsTimeout (then the query is stopped)."""
        scope = deadlines.current.get()
        now = time.monotonic()
        key = (self.account, self.region, family(query.language))
        self.slots.acquire_lease(key, until=now + self.logs_timeout_s,
                                 check=scope.check if scope is not None else _nothing)
        try:
            query_id = self.start(query)
        except BaseException:
            self.slots.give_back(key)
            raise
        self.slots.attach(key, query_id, expires=now + self.logs_timeout_s,
                          on_expiry=lambda: self.stop(query_id))
        return query_id

    def results_leased(self, query_id: str) -> LogsResult:
        """One poll for Grafana's frontend. Past logsTimeout since its start the query is stopped and the poll
        fails with 504; a final status gives the slot back."""
        if self.slots.expired(query_id):
            self.slots.release(query_id)
            self.stop(query_id)
            raise PluginError(f"the Logs Insights query did not finish within the datasource's logsTimeout "
                              f"({self.logs_timeout_s:g} s), or went unpolled for {LEASE_IDLE_S:g} s; it was "
                              "stopped", status=504, source=ErrorSource.DOWNSTREAM)
        result = self.results(query_id)
        if result.status in TERMINAL:
            self.slots.release(query_id)
        return result

    def stop_leased(self, query_id: str) -> bool:
        try:
            return self.stop(query_id)
        finally:
            self.slots.release(query_id)

    # --- the loop ------------------------------------------------------------------------------------------

    def _start_with_backoff(self, query: LogsQuery, until: float, scope: RequestScope | None) -> str:
        delay = FIRST_POLL_S
        while True:
            try:
                return self.start(query)
            except PluginError as err:
                failure = aws_failure(err)
                if failure is None or failure.code != "LimitExceededException":
                    raise
                if time.monotonic() + delay >= until:
                    raise PluginError(f"{err.message} (the plugin retried until the datasource's logsTimeout)",
                                      status=err.status, source=err.source) from None
                log.info("StartQuery: AWS's concurrent query quota reached; starting again shortly",
                         region=self.region)
                self._wait(delay, scope)
                delay = min(delay * POLL_GROWTH, MAX_POLL_S)

    def _poll(self, query: LogsQuery, query_id: str, until: float, scope: RequestScope | None) -> LogsResult:
        delay = FIRST_POLL_S
        last = LogsResult(query_id, "Scheduled")
        polls = 0
        try:
            while True:
                self._wait(min(delay, max(0.0, until - time.monotonic())), scope)
                if time.monotonic() >= until:
                    raise LogsQueryTimeout(
                        f"the Logs Insights query did not finish within the datasource's logsTimeout "
                        f"({self.logs_timeout_s:g} s); it was stopped (last status {last.status})", last)
                try:
                    last = self.results(query_id)
                except PluginError as err:
                    failure = aws_failure(err)
                    if failure is None or not failure.throttled:
                        raise
                    delay = MAX_POLL_S  # throttled: ask again at the slowest pace
                    continue
                polls += 1
                last.polls = polls
                if last.status in TERMINAL:
                    return last
                delay = min(delay * POLL_GROWTH, MAX_POLL_S)
        except BaseException:
            # Any way out before a final status (timeout, the request's end, an error) leaves AWS running it.
            self.stop(query_id)
            raise

    def _wait(self, seconds: float, scope: RequestScope | None) -> None:
        """Sleep, but return at once when the request's scope ends (then raise its error)."""
        end = time.monotonic() + seconds
        while True:
            if scope is not None:
                scope.check()
            left = end - time.monotonic()
            if left <= 0:
                return
            self.sleep(min(left, 0.05))


def _nothing() -> None:
    """No request scope (a direct caller): nothing can end the wait but its time."""
