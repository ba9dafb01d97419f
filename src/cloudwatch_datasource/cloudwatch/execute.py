"""Stage 3: run GetMetricData plans: NextToken paging, page merging, bounded concurrency, errors as values.

Each plan is one call chain that reuses the plan's EndTime on every page. Pages are merged the way Grafana's response
parser does (grafana/grafana pkg/tsdb/cloudwatch/response_parser.go): results grouped by Id, then by Label; a later
page's points for the same Id+Label (StatusCode PartialData) are appended. A failing plan yields a PlanOutcome
carrying a PluginError and never raises, so other regions and time ranges still answer. Independent plans run in a
bounded thread pool: botocore clients are thread-safe and the work is network-bound.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import metrics
from ..auth import describe_aws_error, error_code, error_code_label, is_throttled
from ..errors import DownstreamError, PluginError
from . import ClientFactory
from .paging import pages
from .plan import GetMetricDataPlan

OPERATION = "GetMetricData"
# A runaway NextToken chain (a buggy endpoint, a huge SEARCH) must not pin a worker forever. AWS pages hold up
# to 100,800 points, so this is far beyond any dashboard's need.
MAX_PAGES = 500
PAGE_LIMIT_CODE = "PluginPageLimitReached"

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
                  max_workers: int = 8, datasource: str = "") -> list[PlanOutcome]:
    """One outcome per plan, in plan order."""
    def run(plan: GetMetricDataPlan) -> PlanOutcome:
        return execute_plan(plan, client_for_region, datasource=datasource)

    if len(plans) <= 1 or max_workers <= 1:
        return [run(p) for p in plans]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(plans)),
                            thread_name_prefix="cloudwatch-gmd") as pool:
        return list(pool.map(run, plans))


def execute_plan(plan: GetMetricDataPlan, client_for_region: ClientFactory, *, datasource: str = "",
                 isolate: bool = True) -> PlanOutcome:
    outcome = PlanOutcome(plan=plan)
    try:
        client = client_for_region(plan.region, "cloudwatch")
    except Exception as exc:  # noqa: BLE001 - e.g. an auth failure: this plan's refIds get it, others run
        outcome.error = describe_error(exc)
        return outcome
    try:
        _fetch(plan, client, outcome, datasource)
    except Exception as exc:  # noqa: BLE001 - every AWS failure becomes this plan's error value
        error = describe_error(exc)
        region = metrics.region_label(plan.region)
        metrics.AWS_ERRORS.labels(datasource, region, OPERATION, error_code_label(exc)).inc()
        if is_throttled(exc):
            metrics.AWS_THROTTLES.labels(datasource, region, OPERATION).inc()
        blamed = blamed_query_ids(exc, plan) if isolate else set()
        if blamed and len(blamed) < len(plan.queries):
            # AWS rejects a whole call for one bad query (an invalid expression, a stat it doesn't know): the
            # blamed queries get the error, the rest of the call is asked again once, without them.
            retried = execute_plan(plan.without(blamed), client_for_region, datasource=datasource, isolate=False)
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


def _fetch(plan: GetMetricDataPlan, client: Any, outcome: PlanOutcome, datasource: str) -> None:
    by_key: dict[tuple[str, str], SeriesResult] = {}
    page: dict[str, Any] = {}
    # Calls are counted where clients are made (auth's botocore hook), for every service alike.
    for page in pages(client, "get_metric_data", MAX_PAGES, **plan.request()):
        outcome.pages += 1
        outcome.messages.extend(_messages(page.get("Messages")))
        for result in page.get("MetricDataResults") or []:
            _merge(result, by_key, outcome)
    if page.get("NextToken"):
        # Still more after MAX_PAGES pages: the endpoint's answer never ends, and the data read is cut short. AWS's
        # fault, not a result: an error with errorSource downstream (a repeated token: aws_errors, PaginationError).
        raise DownstreamError(f"{OPERATION}: the AWS endpoint still had more result pages after {MAX_PAGES} "
                              "(its NextToken never ended); try a shorter time range, and check the datasource's "
                              "Endpoint field")


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
    return _with_throttle_prefix(describe_aws_error(exc, operation=operation), exc)


def _with_throttle_prefix(err: PluginError, exc: BaseException) -> PluginError:
    # Grafana's frontend raises its "request limit reached" alert only for messages starting with "Throttling:" or
    # "Rate exceeded" (grafana/grafana public/app/plugins/datasource/cloudwatch/), so a throttled call must keep that
    # prefix whatever the mapper wrote.
    if is_throttled(exc) and not err.message.startswith(("Throttling:", "Rate exceeded")):
        return DownstreamError(f"Throttling: {err.message}", status=429)
    return err
