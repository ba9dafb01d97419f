"""The metrics pipeline end to end: parse → plan → execute → frames, one DataResponse per input refId.

The guarantee callers rely on: every refId of the input gets exactly one entry, and a bad query, a duplicate
Id, a duplicate refId or a failing region/time range only fails the refIds it concerns (Grafana's CloudWatch
datasource fails the whole request on one parse error: pkg/tsdb/cloudwatch/models/cloudwatch_query.go,
ParseMetricDataQueries, in grafana/grafana).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from .. import metrics
from ..backend import DataQuery, DataResponse
from ..data import Frame, Notice
from ..errors import ErrorSource, QueryError
from . import ClientFactory
from .billing import billed_as, estimated_cost, requested_by_query
from .execute import OnOutcome, PlanOutcome, PointBudget, RunPlans, execute_plans
from .frames import build_responses
from .plan import GetMetricDataPlan, build_plans
from .query import MetricQuery, parse_query

# Outcomes that cost AWS nothing: answered from the result cache or from another request's call
# (result_cache.py). Billing counters count only the calls made.
_NOT_BILLED = frozenset({"hit", "coalesced"})


class PlanRunner(Protocol):
    """What sits between plan and execute (result_cache.CacheSession): runs the plans through `run`, or not."""

    def execute(self, plans: Sequence[GetMetricDataPlan], run: RunPlans, budget: PointBudget
                ) -> list[PlanOutcome]: ...


def run_metric_queries(queries: Sequence[DataQuery], *, default_region: str, client_for_region: ClientFactory,
                       max_workers: int = 8, datasource: str = "", now: datetime | None = None,
                       budget: PointBudget | None = None, price_per_1000_metrics: float = 0.01,
                       runner: PlanRunner | None = None) -> dict[str, DataResponse]:
    """Answer Grafana's metric queries. `client_for_region(region, "cloudwatch")` builds the client; it may
    raise a PluginError (e.g. auth), which then becomes those refIds' error. `runner` (the result cache) decides
    which plans are executed and answers the others."""
    answers: dict[str, DataResponse] = {}
    parsed: list[MetricQuery] = []
    repeated = _repeated_ref_ids(queries)
    for ref_id, count in repeated.items():
        answers[ref_id] = DataResponse.failure(
            f'refId "{ref_id}" is used by {count} queries of this request: a response holds one answer per refId, '
            "so none of them was run; give each query its own refId", status=400, source=ErrorSource.PLUGIN)
    for q in queries:
        if q.ref_id in repeated:
            continue
        try:
            parsed.append(parse_query(q, default_region=default_region, now=now))
        except QueryError as exc:
            answers[q.ref_id] = DataResponse.failure(exc.message, status=exc.status, source=exc.source)

    valid = []
    for query, error in _reject_duplicate_ids(parsed):
        if error is None:
            valid.append(query)
        else:
            answers[query.ref_id] = DataResponse.failure(error.message, status=error.status,
                                                         source=error.source)

    request_budget = budget or PointBudget(2**62, 2**62)  # unbounded, but this request's own count

    def run(plans: Sequence[GetMetricDataPlan], on_outcome: OnOutcome | None = None) -> list[PlanOutcome]:
        return execute_plans(plans, client_for_region, max_workers=max_workers, datasource=datasource,
                             budget=request_budget, on_outcome=on_outcome)

    plans = build_plans(valid)
    outcomes = runner.execute(plans, run, request_budget) if runner is not None else run(plans)
    answers.update(build_responses(outcomes))
    _account_metrics_requested(outcomes, answers, datasource, price_per_1000_metrics)
    for query in valid:
        if query.notices and query.ref_id in answers:
            _add_notices(answers[query.ref_id], query)
    for q in queries:
        answers.setdefault(q.ref_id, DataResponse())
    return answers


def _account_metrics_requested(outcomes: Sequence[PlanOutcome], answers: dict[str, DataResponse], datasource: str,
                               price_per_1000: float) -> None:
    """What each call chain billed (billing.py): counted per datasource and region (CollectMetrics), and shown on
    each query's frames, in `meta.custom` and in `meta.stats`, which Grafana's query inspector lists
    (grafana-plugin-sdk-go data/frame_meta.go, QueryStat: a FieldConfig's displayName/unit plus a value)."""
    for outcome in outcomes:
        by_id = requested_by_query(outcome)
        requested = sum(by_id.values())
        if requested and outcome.cache not in _NOT_BILLED:
            label, region = metrics.datasource_label(datasource), metrics.region_label(outcome.plan.region)
            metrics.METRICS_REQUESTED.labels(label, region).inc(requested)
            metrics.ESTIMATED_COST.labels(label, region).inc(estimated_cost(requested, price_per_1000))
        for planned in outcome.plan.queries:
            answer = answers.get(planned.query.ref_id)
            if answer is None or not answer.frames:
                continue
            count = by_id.get(planned.query.id, 0)
            cost = estimated_cost(count, price_per_1000)
            billing: dict[str, object] = {"metricsRequested": count, "billedAs": billed_as(planned).value,
                                          "estimatedCostUSD": cost, "pricePer1000MetricsUSD": price_per_1000}
            if outcome.cache:
                billing["cache"] = outcome.cache  # how the answer was obtained (result_cache.py)
            stats = [{"displayName": "GetMetricData metrics requested", "value": count},
                     {"displayName": "Estimated GetMetricData cost", "value": cost, "unit": "currencyUSD",
                      "decimals": 6}]
            answer.frames = [dataclasses.replace(f, meta={
                **f.meta, "custom": {**(f.meta.get("custom") or {}), **billing},
                "stats": [*(f.meta.get("stats") or []), *stats]}) for f in answer.frames]


def _add_notices(answer: DataResponse, query: MetricQuery) -> None:
    """The query's own warnings (a period rounded up) on each of its frames; on an empty frame when AWS sent no
    series, so the reason for an odd resolution is never lost."""
    notices = [Notice("warning", text) for text in query.notices]
    if answer.error and not answer.frames:
        return
    if not answer.frames:
        answer.frames = [Frame(name=query.ref_id, ref_id=query.ref_id, fields=[], meta={"notices": notices})]
        return
    answer.frames = [dataclasses.replace(f, meta={**f.meta, "notices": [*(f.meta.get("notices") or []), *notices]})
                     for f in answer.frames]


def _repeated_ref_ids(queries: Sequence[DataQuery]) -> dict[str, int]:
    """refIds that more than one query of the request carries, with how many. QueryDataResponse.responses is a
    map keyed by refId (Grafana's backend.proto), so such a refId can carry one answer only: a defined error
    instead of one copy's data (or both copies merged), and none of its copies reaches AWS, where two queries
    with the same derived Id would fail their whole call."""
    counts = Counter(q.ref_id for q in queries)
    return {ref_id: n for ref_id, n in counts.items() if n > 1}


def _reject_duplicate_ids(queries: list[MetricQuery]) -> list[tuple[MetricQuery, QueryError | None]]:
    """AWS rejects a whole call whose MetricDataQueries repeat an Id; fail only the later duplicates instead.
    Ids only clash within one call, i.e. the same region, time range and label timezone."""
    seen: dict[tuple[object, ...], str] = {}
    out: list[tuple[MetricQuery, QueryError | None]] = []
    for q in queries:
        key = (q.region, q.start, q.end, q.timezone_utc_offset, q.id)
        first = seen.setdefault(key, q.ref_id)
        if first != q.ref_id:
            message = f'id: {q.id!r} is already used by query "{first}" in the same request'
            out.append((q, QueryError(message)))
        else:
            out.append((q, None))
    return out
