"""Stage 3: run GetMetricData plans: NextToken paging, page merging, bounded concurrency, errors as values.

Each plan is one call chain that reuses the plan's EndTime on every page. Pages are merged the way Grafana's
response parser does (§2.8): results grouped by Id, then by Label; a later page's points for the same Id+Label
(StatusCode PartialData) are appended. A failing plan yields a PlanOutcome carrying a PluginError and never
raises, so other regions and time ranges still answer. Independent plans run in a bounded thread pool:
botocore clients are thread-safe and the work is network-bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import metrics
from ..auth import describe_aws_error
from ..errors import DownstreamError, PluginError
from . import ClientFactory
from .plan import GetMetricDataPlan

OPERATION = "GetMetricData"
# A runaway NextToken chain (a buggy endpoint, a huge SEARCH) must not pin a worker forever. AWS pages hold up
# to 100,800 points, so this is far beyond any dashboard's need.
MAX_PAGES = 500
PAGE_LIMIT_CODE = "PluginPageLimitReached"

_THROTTLE_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
    "TooManyRequestsException", "RequestThrottled", "RequestThrottledException", "SlowDown",
})


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
    error: PluginError | None = None


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


def execute_plan(plan: GetMetricDataPlan, client_for_region: ClientFactory, *, datasource: str = ""
                 ) -> PlanOutcome:
    outcome = PlanOutcome(plan=plan)
    try:
        client = client_for_region(plan.region, "cloudwatch")
    except Exception as exc:  # noqa: BLE001 - e.g. an auth failure: this plan's refIds get it, others run
        outcome.error = describe_error(exc)
        return outcome
    try:
        _fetch(plan, client, outcome, datasource)
    except Exception as exc:  # noqa: BLE001 - every AWS failure becomes this plan's error value
        outcome.error = describe_error(exc)
        code = _aws_code(exc) or type(exc).__name__
        metrics.AWS_ERRORS.labels(datasource, plan.region, OPERATION, code).inc()
        if code in _THROTTLE_CODES:
            metrics.AWS_THROTTLES.labels(datasource, plan.region, OPERATION).inc()
    return outcome


def _fetch(plan: GetMetricDataPlan, client: Any, outcome: PlanOutcome, datasource: str) -> None:
    request = plan.request()
    by_key: dict[tuple[str, str], SeriesResult] = {}
    token = ""
    while True:
        params = dict(request, NextToken=token) if token else request
        # Calls are counted where clients are made (auth's botocore hook), for every service alike.
        page = client.get_metric_data(**params)
        outcome.pages += 1
        outcome.messages.extend(_messages(page.get("Messages")))
        for result in page.get("MetricDataResults") or []:
            _merge(result, by_key, outcome)
        token = page.get("NextToken") or ""
        if not token:
            return
        if outcome.pages >= MAX_PAGES:
            outcome.messages.append({"Code": PAGE_LIMIT_CODE,
                                     "Value": f"stopped after {MAX_PAGES} pages of GetMetricData results"})
            return


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


def _aws_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def _with_throttle_prefix(err: PluginError, exc: BaseException) -> PluginError:
    # Grafana's frontend raises its "request limit reached" alert only for messages starting with
    # "Throttling:" or "Rate exceeded" (§2.8), so a throttled call must keep that prefix whatever the mapper wrote.
    if _aws_code(exc) in _THROTTLE_CODES and not err.message.startswith(("Throttling:", "Rate exceeded")):
        return DownstreamError(f"Throttling: {err.message}", status=429)
    return err
