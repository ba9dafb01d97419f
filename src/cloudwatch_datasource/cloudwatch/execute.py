"""Stage 3: run GetMetricData plans: NextToken paging, page merging, bounded concurrency, errors as values.

Each plan is one call chain that reuses the plan's EndTime on every page. Pages are merged the way Grafana's
response parser does (§2.8): results grouped by Id, then by Label; a later page's points for the same Id+Label
(StatusCode PartialData) are appended. A failing plan yields a PlanOutcome carrying a PluginError and never
raises, so other regions and time ranges still answer. Independent plans run in a bounded thread pool:
botocore clients are thread-safe and the work is network-bound.

Two bounds stop the work early, each with a clear error on the refIds concerned:
- the RPC's scope (deadlines.py): once its deadline, the plugin's time limit or a cancellation ends it, no further
  page or call is sent and the plans still running answer with its 504 error;
- a PointBudget (`max_points_per_query`, `max_points_per_request`, policy.ClientTuning): points are counted as
  pages arrive. A query over its own limit fails alone (413, errorSource plugin, as grafana-plugin-sdk-go's
  experimental/status `SourceFromHTTPStatus` classes 413) and its points are dropped at once; once the request's
  total is reached, every plan still fetching stops and fails with that error, plans already complete keep
  their data. Memory thus stays near the limit plus one page (at most 100,800 points, AWS's page size).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import PaginationError

from .. import deadlines, metrics
from ..auth import describe_aws_error, error_code, is_throttled
from ..errors import DownstreamError, ErrorSource, PluginError
from . import ClientFactory
from .paging import pages
from .plan import GetMetricDataPlan

OPERATION = "GetMetricData"
# A runaway NextToken chain (a buggy endpoint, a huge SEARCH) must not pin a worker forever. AWS pages hold up
# to 100,800 points, so this is far beyond any dashboard's need.
MAX_PAGES = 500
PAGE_LIMIT_CODE = "PluginPageLimitReached"
POINTS_LIMIT_STATUS = 413


class PointBudget:
    """Datapoints one QueryData request may keep: per query (by plan and Id) and in total. Thread-safe: the
    plans of one request share it."""

    def __init__(self, per_query: int, per_request: int) -> None:
        self.per_query = max(1, per_query)
        self.per_request = max(1, per_request)
        self._lock = threading.Lock()
        self._total = 0
        self.exhausted = False

    def take(self, points: int) -> bool:
        """Count `points` more; False (and exhausted from then on) when the request's total would pass."""
        with self._lock:
            if self.exhausted or self._total + points > self.per_request:
                self.exhausted = True
                return False
            self._total += points
            return True

    def give_back(self, points: int) -> None:
        with self._lock:
            self._total -= points

    def query_error(self) -> PluginError:
        return PluginError(
            f"this query returned more than {self.per_query:,} datapoints, the plugin's limit per query "
            "([plugin.<id>] max_points_per_query): use a larger period, a shorter time range or fewer series",
            status=POINTS_LIMIT_STATUS, source=ErrorSource.PLUGIN)

    def request_error(self) -> PluginError:
        return PluginError(
            f"the queries of this request returned more than {self.per_request:,} datapoints together, the "
            "plugin's limit per request ([plugin.<id>] max_points_per_request); this query's data was not kept: "
            "use a larger period, a shorter time range, fewer series or split the panel",
            status=POINTS_LIMIT_STATUS, source=ErrorSource.PLUGIN)


class _PointsLimitReached(Exception):
    """The request's point budget ran out while this plan was fetching."""


UNBOUNDED = PointBudget(2**62, 2**62)


@dataclass
class SeriesResult:
    """One MetricDataResult after merging pages."""

    id: str
    label: str
    timestamps: list[datetime] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    status_code: str = "Complete"
    messages: list[dict[str, str]] = field(default_factory=list)  # per-result Messages (Code, Value)


@dataclass
class PlanOutcome:
    plan: GetMetricDataPlan
    results: dict[str, list[SeriesResult]] = field(default_factory=dict)  # Id → series in arrival order
    messages: list[dict[str, str]] = field(default_factory=list)  # request-level Messages from any page
    pages: int = 0
    error: PluginError | None = None  # the call failed: every query of the plan not in query_errors gets it
    query_errors: dict[str, PluginError] = field(default_factory=dict)  # Id → the error AWS blamed on it


def execute_plans(plans: Sequence[GetMetricDataPlan], client_for_region: ClientFactory, *,
                  max_workers: int = 8, datasource: str = "", budget: PointBudget | None = None
                  ) -> list[PlanOutcome]:
    """One outcome per plan, in plan order."""
    shared = budget or UNBOUNDED

    def run(plan: GetMetricDataPlan) -> PlanOutcome:
        return execute_plan(plan, client_for_region, datasource=datasource, budget=shared)

    if len(plans) <= 1 or max_workers <= 1:
        return [run(p) for p in plans]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(plans)),
                            thread_name_prefix="cloudwatch-gmd") as pool:
        # Pool threads do not inherit the caller's context: each plan runs in the RPC's scope (deadlines.py).
        return list(pool.map(deadlines.run_in_scope(run), plans))


def execute_plan(plan: GetMetricDataPlan, client_for_region: ClientFactory, *, datasource: str = "",
                 isolate: bool = True, budget: PointBudget = UNBOUNDED) -> PlanOutcome:
    outcome = PlanOutcome(plan=plan)
    scope = deadlines.current.get()
    try:
        deadlines.check_current()  # a plan still queued when the RPC ended is never started
        client = client_for_region(plan.region, "cloudwatch")
    except Exception as exc:  # noqa: BLE001 - e.g. an auth failure: this plan's refIds get it, others run
        outcome.error = scope.error() if scope is not None and scope.stopped else describe_error(exc)
        return outcome
    try:
        _fetch(plan, client, outcome, datasource, budget)
    except _PointsLimitReached:
        outcome.results.clear()  # what this plan holds goes now, not when the whole request is answered
        outcome.error = budget.request_error()
    except Exception as exc:  # noqa: BLE001 - every AWS failure becomes this plan's error value
        if scope is not None and scope.stopped:
            # Whatever the stopped call raised (a refused attempt, a connection shut under a read), the reason
            # is the RPC's end: say that, once, and do not retry.
            outcome.results.clear()
            outcome.error = scope.error()
            return outcome
        error = describe_error(exc)
        region = metrics.region_label(plan.region)
        label = metrics.datasource_label(datasource)
        metrics.AWS_ERRORS.labels(label, region, OPERATION, metrics.code_label(error_code(exc))).inc()
        if is_throttled(exc):
            metrics.AWS_THROTTLES.labels(label, region, OPERATION).inc()
        blamed = blamed_query_ids(exc, plan) if isolate else set()
        if blamed and len(blamed) < len(plan.queries):
            # AWS rejects a whole call for one bad query (an invalid expression, a stat it doesn't know): the
            # blamed queries get the error, the rest of the call is asked again once, without them.
            retried = execute_plan(plan.without(blamed), client_for_region, datasource=datasource, isolate=False,
                                   budget=budget)
            retried.plan = plan
            retried.query_errors.update({query_id: error for query_id in blamed})
            return retried
        outcome.error = error
    return outcome


# AWS names the query it rejects by Id ("Error in expression 'e1': ...") or by position
# ("... at 'metricDataQueries.3.member.metricStat.stat' failed to satisfy constraint ...", 1-based).
_QUOTED_ID = re.compile(r"'([a-z][a-zA-Z0-9_]*)'")
_MEMBER_INDEX = re.compile(r"metricDataQueries\.(?:member\.)?(\d+)", re.IGNORECASE)
_QUERY_FAULT_CODES = frozenset({"ValidationError", "InvalidParameterValue", "InvalidParameterCombination",
                                "MissingParameter", "InvalidParameterValueException", "ValidationException"})


def blamed_query_ids(exc: BaseException, plan: GetMetricDataPlan) -> set[str]:
    """The plan's query Ids an AWS validation error names; empty when it names none (or is not about one)."""
    if error_code(exc) not in _QUERY_FAULT_CODES:
        return set()
    message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", ""))
    ids = {m for m in _QUOTED_ID.findall(message) if m in plan.by_id}
    for index in _MEMBER_INDEX.findall(message):
        position = int(index) - 1
        if 0 <= position < len(plan.queries):
            ids.add(plan.queries[position].query.id)
    return ids


def _fetch(plan: GetMetricDataPlan, client: Any, outcome: PlanOutcome, datasource: str,
           budget: PointBudget = UNBOUNDED) -> None:
    by_key: dict[tuple[str, str], SeriesResult] = {}
    page: dict[str, Any] = {}
    points_by_id: dict[str, int] = {}
    kept = 0
    try:
        # Calls are counted where clients are made (auth's botocore hook), for every service alike.
        for page in pages(client, "get_metric_data", MAX_PAGES, **plan.request()):
            outcome.pages += 1
            outcome.messages.extend(_messages(page.get("Messages")))
            for result in page.get("MetricDataResults") or []:
                result_id = str(result.get("Id", ""))
                if result_id in outcome.query_errors:
                    continue  # over its own limit already: its points are dropped as they come
                points = len(result.get("Values") or [])
                points_by_id[result_id] = points_by_id.get(result_id, 0) + points
                if points_by_id[result_id] > budget.per_query:
                    kept -= _drop(result_id, by_key, outcome, budget)
                    outcome.query_errors[result_id] = budget.query_error()
                    continue
                if not budget.take(points):
                    raise _PointsLimitReached
                kept += points
                _merge(result, by_key, outcome)
            if budget.exhausted:
                raise _PointsLimitReached  # another plan of the request used the rest: stop paging here too
            # Between pages: the next page is not asked for once the RPC has ended (deadlines.py).
            deadlines.check_current()
    except BaseException:
        budget.give_back(kept)
        raise
    if page.get("NextToken"):
        outcome.messages.append({"Code": PAGE_LIMIT_CODE,
                                 "Value": f"stopped after {MAX_PAGES} pages of GetMetricData results"})


def _drop(result_id: str, by_key: dict[tuple[str, str], SeriesResult], outcome: PlanOutcome,
          budget: PointBudget) -> int:
    """Forget the series of one query Id (over its own limit) and give its points back to the request."""
    freed = 0
    for series in outcome.results.pop(result_id, []):
        by_key.pop((series.id, series.label), None)
        freed += len(series.values)
    budget.give_back(freed)
    return freed


def _merge(result: dict[str, Any], by_key: dict[tuple[str, str], SeriesResult], outcome: PlanOutcome) -> None:
    result_id = str(result.get("Id", ""))
    # Grafana drops a result without a Label; AWS always sends one, so keep the series under its Id instead.
    label = str(result.get("Label") or result_id)
    key = (result_id, label)
    series = by_key.get(key)
    if series is None:
        series = by_key[key] = SeriesResult(id=result_id, label=label)
        outcome.results.setdefault(result_id, []).append(series)
    series.timestamps.extend(result.get("Timestamps") or [])
    series.values.extend(result.get("Values") or [])
    series.status_code = str(result.get("StatusCode") or series.status_code)
    series.messages.extend(_messages(result.get("Messages")))


def _messages(raw: Any) -> list[dict[str, str]]:
    return [{"Code": str(m.get("Code", "")), "Value": str(m.get("Value", ""))} for m in raw or []]


# --- errors -------------------------------------------------------------------------------------------------

def describe_error(exc: BaseException, *, operation: str = OPERATION) -> PluginError:
    """A user-facing PluginError for anything a plan or a resource call can raise: the auth package's AWS error
    mapping (one wording for the whole plugin), plus Grafana's throttling prefix."""
    if isinstance(exc, PaginationError):
        # botocore's paginator refuses a NextToken the endpoint sent twice (an endless chain): AWS's fault, so
        # downstream, as grafana-plugin-sdk-go's experimental/status classes what the remote end caused.
        return DownstreamError(f"{operation}: the AWS endpoint sent the same NextToken twice, so its results "
                               "never end; try again, or check the datasource's Endpoint field", status=502)
    return _with_throttle_prefix(describe_aws_error(exc, operation=operation), exc)


def _with_throttle_prefix(err: PluginError, exc: BaseException) -> PluginError:
    # Grafana's frontend raises its "request limit reached" alert only for messages starting with
    # "Throttling:" or "Rate exceeded" (§2.8), so a throttled call must keep that prefix whatever the mapper wrote.
    if is_throttled(exc) and not err.message.startswith(("Throttling:", "Rate exceeded")):
        return DownstreamError(f"Throttling: {err.message}", status=429)
    return err
