"""Which GetMetricData plans may be answered piecewise, and the period grid their windows are aligned to.

Incremental refresh (docs/queries.md, "Result cache and incremental refresh") answers a relative range from what
is kept for the older periods plus a fetch of only the new periods and a late-data overlap. That equals a fresh
call only when every datapoint of the answer depends on its own period alone and the set of series does not
depend on the window. A plan with one query that breaks this is always fetched whole (one GetMetricData call
holds the queries that reference each other, so the whole call goes together). The list, each with why:

WHOLE_WINDOW (math functions, Metric Math reference: https://docs.aws.amazon.com/AmazonCloudWatch/latest/
monitoring/using-metric-math.html#metric-math-syntax-functions-list):
- RUNNING_SUM: a running total from the window's first point; every value depends on all earlier ones.
- FILL: fills gaps with a value or the neighbouring point (REPEAT, LINEAR); at the window's edge the neighbour
  is outside the fetched part.
- ANOMALY_DETECTION_BAND: the band comes from a model over the returned window.
- SORT, LIMIT, SLICE, FIRST, LAST: pick or order series by an aggregate over the whole window (SORT's limit
  argument, Metrics Insights LIMIT).
- RATE, DIFF, DIFF_TIME: each value uses the previous point; the first point of a partial fetch has none.
- REMOVE_EMPTY: drops series with no data in the window; a partial window changes which series exist.
- AVG, MIN, MAX, SUM, STDDEV: on one series they return one value for the whole window (on METRICS() they work
  per period, but the plugin does not tell the two apart and errs on the exact side).
- DATAPOINT_COUNT: counts datapoints over the window.
- any function not on POINTWISE_FUNCTIONS: a function this plugin does not know is treated as whole-window.
SEARCH (also a Builder query with several or wildcard dimension values, sent as SEARCH): the series returned are
  those with data in the window (and at most 500 of them), so the set changes with the window.
Metrics Insights ORDER BY … LIMIT, and GROUP BY: the top N and the groups are chosen over the whole window.
Dynamic labels other than ${LABEL} and ${PROP('…')} (e.g. ${AVG}, ${MAX}, ${LAST}, ${DATAPOINT_COUNT}): the label
  text is computed over the window, and series are matched by label.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .plan import GetMetricDataPlan, PlannedQuery
from .query import MetricQueryType


@dataclass(frozen=True)
class WholeWindowRule:
    """One entry of the whole-window list: what it matches (`kind`: function, search, insights or label) and
    why a partial fetch would differ from a fresh call."""

    name: str
    kind: str
    reason: str


WHOLE_WINDOW: tuple[WholeWindowRule, ...] = (
    WholeWindowRule("RUNNING_SUM", "function", "a running total from the window's first point"),
    WholeWindowRule("FILL", "function", "fills gaps from neighbouring points, which may lie outside a partial fetch"),
    WholeWindowRule("ANOMALY_DETECTION_BAND", "function", "the band is modelled over the returned window"),
    WholeWindowRule("SORT", "function", "orders (and limits) series by an aggregate over the window"),
    WholeWindowRule("LIMIT", "function", "keeps the first N series by an aggregate over the window"),
    WholeWindowRule("SLICE", "function", "picks series by position after a window-wide ordering"),
    WholeWindowRule("FIRST", "function", "picks series by position after a window-wide ordering"),
    WholeWindowRule("LAST", "function", "picks series by position after a window-wide ordering"),
    WholeWindowRule("RATE", "function", "each value uses the previous point"),
    WholeWindowRule("DIFF", "function", "each value uses the previous point"),
    WholeWindowRule("DIFF_TIME", "function", "each value uses the previous point"),
    WholeWindowRule("REMOVE_EMPTY", "function", "drops series without data in the window"),
    WholeWindowRule("AVG", "function", "one value over the whole window on a single series"),
    WholeWindowRule("MIN", "function", "one value over the whole window on a single series"),
    WholeWindowRule("MAX", "function", "one value over the whole window on a single series"),
    WholeWindowRule("SUM", "function", "one value over the whole window on a single series"),
    WholeWindowRule("STDDEV", "function", "one value over the whole window on a single series"),
    WholeWindowRule("DATAPOINT_COUNT", "function", "counts datapoints over the window"),
    WholeWindowRule("SEARCH", "search", "returns the series with data in the window (at most 500)"),
    WholeWindowRule("ORDER BY", "insights", "Metrics Insights picks the top series over the window"),
    WholeWindowRule("LIMIT", "insights", "Metrics Insights keeps N series chosen over the window"),
    WholeWindowRule("GROUP BY", "insights", "Metrics Insights groups the series with data in the window"),
    WholeWindowRule("${AVG}", "label", "a dynamic label computed over the window"),
)

# Metric Math functions whose value at a timestamp depends on that timestamp's inputs only.
POINTWISE_FUNCTIONS = frozenset({"ABS", "CEIL", "FLOOR", "LOG", "LOG10", "SQRT", "IF", "AND", "OR", "NOT",
                                 "PERIOD", "TIME_SERIES", "METRICS", "INSIGHT_RULE_METRIC"})
_FUNCTION_CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_INSIGHTS_CLAUSES = (("ORDER BY", re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)),
                     ("LIMIT", re.compile(r"\bLIMIT\b", re.IGNORECASE)),
                     ("GROUP BY", re.compile(r"\bGROUP\s+BY\b", re.IGNORECASE)))
_DYNAMIC_LABEL = re.compile(r"\$\{([^}]*)\}")
_WINDOW_FREE_LABELS = re.compile(r"^(LABEL|PROP\(.*\))$")


def whole_window_reason(planned: PlannedQuery) -> str:
    """Why this query must be fetched whole ("" when its answer may be assembled from parts)."""
    query = planned.query
    label = str(planned.metric_data_query.get("Label") or "")
    for token in _DYNAMIC_LABEL.findall(label):
        if not _WINDOW_FREE_LABELS.match(token.strip()):
            return f"label ${{{token}}}: a dynamic label computed over the window"
    if query.query_type is MetricQueryType.INSIGHTS:
        for name, pattern in _INSIGHTS_CLAUSES:
            if pattern.search(query.sql_expression):
                return f"Metrics Insights {name}: " + _reason(name, "insights")
        return ""
    expression = planned.used_expression
    if not expression:
        return ""
    for name in _FUNCTION_CALL.findall(_STRING.sub("''", expression)):
        upper = name.upper()
        if upper == "SEARCH":
            return "SEARCH: " + _reason("SEARCH", "search")
        if upper not in POINTWISE_FUNCTIONS:
            return f"{upper}: " + (_reason(upper, "function") or "a function not known to work per period")
    return ""


def _reason(name: str, kind: str) -> str:
    return next((r.reason for r in WHOLE_WINDOW if r.name == name and r.kind == kind), "")


def plan_whole_window_reason(plan: GetMetricDataPlan) -> str:
    """The first reason any query of the plan must be fetched whole ("" when none must)."""
    for planned in plan.queries:
        reason = whole_window_reason(planned)
        if reason:
            return f"{planned.query.ref_id}: {reason}"
    return ""


# The longest alignment used: a plan mixing periods whose least common multiple is longer is aligned to the minute.
MAX_ALIGNMENT_S = 86_400


def alignment_seconds(plan: GetMetricDataPlan) -> int:
    """The period grid the plan's window is aligned to: the least common multiple of its queries' periods (every
    valid period, 1 to 30 s or a multiple of 60 s, divides it), or 60 s when that exceeds a day. Windows on one
    grid put every datapoint on the same timestamps whatever the window, so parts fetched at different times
    fit together and viewers a few seconds apart share one entry (AWS also recommends aligned StartTime/EndTime:
    GetMetricData API reference, StartTime)."""
    lcm = 60
    for planned in plan.queries:
        lcm = math.lcm(lcm, max(1, planned.query.period))
    return lcm if lcm <= MAX_ALIGNMENT_S else 60


def floor_to(moment: datetime, seconds: int) -> datetime:
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def ceil_to(moment: datetime, seconds: int) -> datetime:
    floored = floor_to(moment, seconds)
    return floored if floored == moment else floored + timedelta(seconds=seconds)
