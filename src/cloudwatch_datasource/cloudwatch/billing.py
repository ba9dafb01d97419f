"""What GetMetricData bills: metrics requested, per query of a call chain (docs/queries.md, "Metrics requested and
cost", which gives the rule and its sources).

AWS bills GetMetricData per metric requested (https://aws.amazon.com/cloudwatch/pricing/, "GetMetricData"):
- a MetricStat query is one metric, in every call that carries it: each NextToken page is a call of its own that
  sends the same MetricDataQueries again (botocore's paginator, cloudwatch/paging.py), so it counts once per page;
- a math expression is not a metric: it is computed from the queries it names, which count themselves;
- a SEARCH expression requests the metrics it finds: counted as the series AWS returned for it;
- a Metrics Insights query is billed by metrics *analysed*, which AWS does not report; the plugin counts the series
  it returned, a lower bound (a GROUP BY ... LIMIT query may analyse more than it returns).
Only answered calls are counted: a call AWS refused returned nothing to bill.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from .execute import PlanOutcome
from .plan import PlannedQuery
from .query import MetricQueryType

_SEARCH = re.compile(r"\bSEARCH\s*\(", re.IGNORECASE)


class BilledAs(StrEnum):
    METRIC_STAT = "MetricStat"
    MATH = "math"
    SEARCH = "SEARCH"
    INSIGHTS = "Metrics Insights"


def billed_as(planned: PlannedQuery) -> BilledAs:
    if "MetricStat" in planned.metric_data_query:
        return BilledAs.METRIC_STAT
    if planned.query.query_type is MetricQueryType.INSIGHTS:
        return BilledAs.INSIGHTS
    if _SEARCH.search(str(planned.metric_data_query.get("Expression", ""))):
        return BilledAs.SEARCH
    return BilledAs.MATH


def requested_by_query(outcome: PlanOutcome) -> dict[str, int]:
    """Query Id → metrics requested by this call chain (see the module docstring)."""
    counts: dict[str, int] = {}
    for planned in outcome.plan.queries:
        kind = billed_as(planned)
        query_id = planned.query.id
        if kind is BilledAs.METRIC_STAT:
            counts[query_id] = outcome.pages
        elif kind is BilledAs.MATH:
            counts[query_id] = 0
        else:
            counts[query_id] = outcome.series_returned.get(query_id, 0)
    return counts


def estimated_cost(metrics_requested: int, price_per_1000: float) -> float:
    return metrics_requested * price_per_1000 / 1000


def total(outcomes: Sequence[PlanOutcome]) -> int:
    return sum(sum(requested_by_query(o).values()) for o in outcomes)
