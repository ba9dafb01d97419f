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
A period over a day, or one that does not divide a day (e.g. a week, or 7 minutes): AWS lays a call's datapoints
  from its StartTime (rounded by its age, see `alignment_seconds`), so windows on different grids disagree.
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
    WholeWindowRule("period > 1 day", "period",
                    "datapoints are laid from each call's StartTime: windows fetched at different times disagree"),
    WholeWindowRule("period not dividing a day", "period",
                    "datapoints are laid from each call's StartTime: windows fetched at different times disagree"),
)
PERIOD_OVER_A_DAY, PERIOD_NOT_DIVIDING_A_DAY = "period > 1 day", "period not dividing a day"

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
    """The first reason any query of the plan must be fetched whole ("" when none must): one of its queries,
    or its periods (`period_whole_window_reason`)."""
    for planned in plan.queries:
        reason = whole_window_reason(planned)
        if reason:
            return f"{planned.query.ref_id}: {reason}"
    return period_whole_window_reason(plan)


DAY_S = 86_400
# CloudWatch rounds a StartTime down by its age (GetMetricData API reference, StartTime,
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html): to the minute when it
# is less than 15 days ago, to 5 minutes between 15 and 63 days, to the hour beyond.
_START_ROUNDING = ((15 * DAY_S, 60), (63 * DAY_S, 300))
_OLDEST_ROUNDING_S = 3600


def start_rounding_seconds(age_s: float) -> int:
    """How CloudWatch rounds a StartTime `age_s` seconds old (see _START_ROUNDING)."""
    return next((rounding for limit, rounding in _START_ROUNDING if age_s < limit), _OLDEST_ROUNDING_S)


def period_grid_seconds(plan: GetMetricDataPlan) -> int:
    """The least common multiple of the plan's periods and a minute: every datapoint of a call whose StartTime is
    on this grid lies on it too."""
    lcm = 60
    for planned in plan.queries:
        lcm = math.lcm(lcm, max(1, planned.query.period))
    return lcm


def alignment_seconds(plan: GetMetricDataPlan, now: float) -> int:
    """The grid the plan's window is aligned to: its period grid combined with CloudWatch's rounding of the
    StartTime's age, so the StartTime sent is the one AWS uses and every datapoint falls on the same timestamps
    whatever the window: parts fetched at different times fit together, and viewers a few seconds apart share
    one entry (AWS also recommends aligned StartTime/EndTime: GetMetricData API reference, StartTime). The age
    is taken an hour older than it is: flooring the start may push it past a rounding boundary, and a coarser
    grid is still exact. When that grid does not divide a day (a period over a day, or one that does not divide
    a day: `period_whole_window_reason`, fetched whole), only AWS's rounding is used."""
    rounding = start_rounding_seconds(now - plan.start.timestamp() + _OLDEST_ROUNDING_S)
    lcm = math.lcm(rounding, period_grid_seconds(plan))
    return lcm if DAY_S % lcm == 0 else rounding


def period_whole_window_reason(plan: GetMetricDataPlan) -> str:
    """Why the plan's periods forbid a piecewise answer ("" when they allow one): a period longer than a day or
    one that does not divide a day. Such periods are laid from each call's own StartTime, so windows that
    start at different times put their datapoints on different timestamps, and no grid short enough to keep
    the window the viewer asked for (at most a day) makes them agree."""
    for planned in plan.queries:
        period = planned.query.period
        if period > DAY_S:
            return f"{planned.query.ref_id}: period {period} s: " + _reason(PERIOD_OVER_A_DAY, "period")
        if DAY_S % max(1, period):
            return f"{planned.query.ref_id}: period {period} s: " + _reason(PERIOD_NOT_DIVIDING_A_DAY, "period")
    return ""


def floor_to(moment: datetime, seconds: int) -> datetime:
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def ceil_to(moment: datetime, seconds: int) -> datetime:
    floored = floor_to(moment, seconds)
    return floored if floored == moment else floored + timedelta(seconds=seconds)
