"""Stage 2: MetricQueries → GetMetricData plans: grouping, splitting at 500, and each MetricDataQuery's shape.

A plan is one GetMetricData call chain (one request plus its NextToken pages). Rules (Grafana's
grafana/grafana pkg/tsdb/cloudwatch/get_metric_query_batches.go and metric_data_query_builder.go; docs/queries.md):
- group by (region, start, end, label timezone): GetMetricData takes one time range and one timezone per call;
- split a group into plans of at most 500 MetricDataQueries and at most one Metrics Insights query (AWS's
  limits, API reference GetMetricData: "If you include a Metrics Insights query, each GetMetricData operation can
  include only one query"; otherwise the whole call fails with "Maximum number of queries (1) exceeded").
  Queries that reference each other through math expressions (an expression naming another query's Id, or
  METRICS() which sees every query in the call) form one unit that is never split; units are packed first-fit in
  input order. A unit over a limit gets a plan of its own and AWS's error;
- EndTime is rounded up to the next minute once per plan (GetMetricData's EndTime is exclusive); every page of
  the chain reuses it (Grafana re-rounds per page, so later pages could see a later EndTime);
- ScanBy=TimestampAscending, so frames come back sorted the way Grafana's time-series contract wants.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .insights import sends_label
from .query import MetricEditorMode, MetricQuery, MetricQueryType

MAX_QUERIES_PER_CALL = 500  # AWS GetMetricData limit on MetricDataQueries per request
MAX_INSIGHTS_PER_CALL = 1  # AWS GetMetricData limit on Metrics Insights (SQL) queries per request
LABEL_SEPARATOR = "|&|"  # joins the user's label and the per-dimension ${PROP()} parts (response_parser.go)

_ID_TOKEN = re.compile(r"[a-z][a-zA-Z0-9_]*")


@dataclass(frozen=True)
class PlannedQuery:
    """A query and exactly what is sent for it."""

    query: MetricQuery
    metric_data_query: Mapping[str, Any]
    used_expression: str  # sent Expression, "" for MetricStat; reported as meta.executedQueryString


@dataclass(frozen=True)
class GetMetricDataPlan:
    region: str
    start: datetime
    end: datetime  # already rounded up to the minute; the same on every page
    label_timezone: str
    queries: tuple[PlannedQuery, ...]
    by_id: Mapping[str, PlannedQuery] = field(default_factory=dict)

    def without(self, query_ids: set[str]) -> GetMetricDataPlan:
        """The same call without these queries (after AWS rejected them)."""
        kept = tuple(p for p in self.queries if p.query.id not in query_ids)
        return GetMetricDataPlan(region=self.region, start=self.start, end=self.end,
                                 label_timezone=self.label_timezone, queries=kept,
                                 by_id={p.query.id: p for p in kept})

    def request(self) -> dict[str, Any]:
        """GetMetricData keyword arguments, without NextToken."""
        params: dict[str, Any] = {
            "MetricDataQueries": [dict(p.metric_data_query) for p in self.queries],
            "StartTime": self.start,
            "EndTime": self.end,
            "ScanBy": "TimestampAscending",
        }
        if self.label_timezone:
            params["LabelOptions"] = {"Timezone": self.label_timezone}
        return params


def build_plans(queries: Sequence[MetricQuery]) -> list[GetMetricDataPlan]:
    """Group, split and build. Input order is kept within and across plans (deterministic requests)."""
    groups: dict[tuple[str, datetime, datetime, str], list[MetricQuery]] = {}
    for q in queries:
        groups.setdefault((q.region, q.start, q.end, q.timezone_utc_offset), []).append(q)

    plans: list[GetMetricDataPlan] = []
    for (region, start, end, timezone), members in groups.items():
        rounded_end = round_up_to_minute(end)
        for chunk in _split(members):
            planned = tuple(build_metric_data_query(q) for q in chunk)
            plans.append(GetMetricDataPlan(
                region=region, start=start, end=rounded_end, label_timezone=timezone, queries=planned,
                by_id={p.query.id: p for p in planned},
            ))
    return plans


def round_up_to_minute(moment: datetime) -> datetime:
    """Truncate to the minute and add one, as Grafana's cloudWatchRoundUpEndTime does: EndTime is
    exclusive, so the last partial minute would otherwise be cut off."""
    return moment.replace(second=0, microsecond=0) + timedelta(minutes=1)


def _insights(queries: Sequence[MetricQuery]) -> int:
    return sum(1 for q in queries if q.query_type is MetricQueryType.INSIGHTS)


def _split(members: list[MetricQuery]) -> list[list[MetricQuery]]:
    if len(members) <= MAX_QUERIES_PER_CALL and _insights(members) <= MAX_INSIGHTS_PER_CALL:
        return [members]
    bins: list[list[MetricQuery]] = []
    for unit in _reference_units(members):
        for b in bins:
            if (len(b) + len(unit) <= MAX_QUERIES_PER_CALL
                    and _insights(b) + _insights(unit) <= MAX_INSIGHTS_PER_CALL):
                b.extend(unit)
                break
        else:
            bins.append(list(unit))
    # Restore input order inside each call (units were appended unit by unit).
    position = {id(q): i for i, q in enumerate(members)}
    return [sorted(b, key=lambda q: position[id(q)]) for b in bins]


def _reference_units(members: list[MetricQuery]) -> list[list[MetricQuery]]:
    """Connected components of "expression mentions this Id" (union-find), in order of first member."""
    parent = list(range(len(members)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    index_by_id = {q.id: i for i, q in enumerate(members)}
    for i, q in enumerate(members):
        if not q.is_math_or_code:
            continue
        if "METRICS(" in q.expression.upper():
            # METRICS() aggregates every query of the call: nothing in this group may leave it.
            for j in range(len(members)):
                union(i, j)
            continue
        for token in _ID_TOKEN.findall(q.expression):
            ref = index_by_id.get(token)
            if ref is not None:
                union(i, ref)

    units: dict[int, list[MetricQuery]] = {}
    for i, q in enumerate(members):
        units.setdefault(find(i), []).append(q)
    return list(units.values())


# --- one MetricDataQuery (Grafana's metric_data_query_builder.go) --------------------------------------------------

def build_metric_data_query(q: MetricQuery) -> PlannedQuery:
    mdq: dict[str, Any] = {"Id": q.id, "ReturnData": q.return_data}
    used = ""
    if q.query_type is MetricQueryType.INSIGHTS or q.editor_mode is MetricEditorMode.CODE:
        # Metrics Insights SQL and code-mode math/SEARCH are both sent as an Expression with a Period.
        used = q.sql_expression if q.query_type is MetricQueryType.INSIGHTS else q.expression
        mdq["Expression"] = used
        mdq["Period"] = q.period
        if sends_label(q):  # not a static label with GROUP BY: AWS's group labels are wanted back (insights.py)
            mdq["Label"] = q.label
    elif q.is_inferred_search:
        used = search_expression(q)
        mdq["Expression"] = used  # the period is inside the expression
        mdq["Label"] = search_label(q)
    else:
        mdq["MetricStat"] = {
            "Metric": {
                "Namespace": q.namespace,
                "MetricName": q.metric_name,
                # A MetricStat names one series: each dimension's first value (multi-value goes to SEARCH).
                "Dimensions": [{"Name": k, "Value": v[0]} for k, v in q.dimensions],
            },
            "Period": q.period,
            "Stat": q.statistic,
        }
        if q.label:
            mdq["Label"] = q.label
        if q.account_id:
            mdq["AccountId"] = q.account_id
    return PlannedQuery(query=q, metric_data_query=mdq, used_expression=used)


def search_expression(q: MetricQuery) -> str:
    """The SEARCH text Grafana builds for a Builder query (CW buildSearchExpression), byte for byte."""
    known = [(k, v) for k, v in q.dimensions if "*" not in v]
    wildcard_keys = sorted(k for k, v in q.dimensions if "*" in v)

    terms = [f'MetricName="{q.metric_name}"']
    for key, values in known:  # dimensions are already sorted by key
        joined = " OR ".join(f'"{_escape(v)}"' for v in values)
        terms.append(f'"{key}"={f"({joined})" if len(values) > 1 else joined}')
    account = f":aws.AccountId={_go_quote(q.account_id)}" if q.account_id and q.account_id != "all" else ""

    if q.match_exact:
        schema = ",".join([_go_quote(q.namespace), *(f'"{k}"' for k, _ in q.dimensions)])
        text = " ".join(part for part in (f"{{{schema}}}", " ".join(terms), account) if part).strip()
    else:
        terms.extend(f'"{k}"' for k in wildcard_keys)
        text = " ".join(part for part in (f"Namespace={_go_quote(q.namespace)}", " ".join(terms), account)
                        if part).strip()
    return f"REMOVE_EMPTY(SEARCH('{text}', '{q.statistic}', {q.period}))"


def search_label(q: MetricQuery) -> str:
    """The label sent with an inferred SEARCH: the user's label (or ${LABEL}) plus one `|&|${PROP('Dim.k')}`
    per multi-valued or wildcard dimension, in sorted key order, for frames.py to split back into labels."""
    parts = [q.label or "${LABEL}"]
    parts.extend(f"${{PROP('Dim.{k}')}}" for k, v in q.dimensions if len(v) > 1 or "*" in v)
    return LABEL_SEPARATOR.join(parts)


def _escape(value: str) -> str:
    # SEARCH string literals: a backslash before " and ' (CW escapeDoubleQuotes and its single-quote twin).
    return value.replace('"', '\\"').replace("'", "\\'")


def _go_quote(value: str) -> str:
    """Go's %q for the strings that occur here: JSON quoting matches strconv.Quote for printable text."""
    return json.dumps(value, ensure_ascii=False)
