"""CloudWatch alarm annotations: the alarms a query names, and their history in the time range as an annotations
frame, as Grafana's CloudWatch annotation query does (grafana/grafana pkg/tsdb/cloudwatch annotation_query.go,
services/annotations.go, models/annotation_event.go; facts only).

The query (`type: "annotationQuery"` or `queryMode: "Annotations"`) names alarms one of two ways:
- by metric (the default): `region`, `namespace`, `metricName`, `statistic` (or the deprecated `statistics[0]`),
  `dimensions`, `period` (default 300) → DescribeAlarmsForMetric (a percentile goes as ExtendedStatistic);
- by prefix (`prefixMatching: true`): `alarmNamePrefix` and/or `actionPrefix` → DescribeAlarms, then only the
  alarms whose namespace, metric name, dimension names, statistic and period match the query's (where given).
Then DescribeAlarmHistory per alarm for the range. The frame has Grafana's fields `time`, `title` (the alarm
name), `tags` (the history item type: StateUpdate, ConfigurationUpdate, Action) and `text` (AWS's summary), and
`meta.custom.rowCount`.

Bounds: DescribeAlarms and DescribeAlarmHistory pages stop at the operator's page limit (paging.py), at most
MAX_ALARMS alarms are looked up, and at most MAX_EVENTS history items are kept in all (paging stops there: 100
alarms × the page limit × 100 items would otherwise be millions).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..aws import aws_call
from ..backend import DataQuery
from ..cloudwatch.paging import items
from ..cloudwatch.query import _str
from ..data import Field, FieldType, Frame, Notice
from ..errors import QueryError
from .query import common_fields

MAX_ALARMS = 100
MAX_EVENTS = 10_000  # annotations one query answers with; a panel cannot show more usefully
DEFAULT_PERIOD_S = 300  # Grafana's default when prefix matching is off
_PAGE_SIZE = 100  # DescribeAlarms / DescribeAlarmHistory MaxRecords (AWS's maximum is 100)


@dataclass(frozen=True)
class AnnotationQuery:
    ref_id: str
    region: str
    start: datetime
    end: datetime
    namespace: str = ""
    metric_name: str = ""
    statistic: str = ""
    dimensions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    period: int = 0
    prefix_matching: bool = False
    action_prefix: str = ""
    alarm_name_prefix: str = ""


def parse_annotation_query(q: DataQuery, *, default_region: str) -> AnnotationQuery:
    model, start, end, region = common_fields(q, default_region)
    prefix = model.get("prefixMatching") is True
    statistic = _str(model, "statistic")
    legacy = model.get("statistics")
    if not statistic and isinstance(legacy, list) and legacy and isinstance(legacy[0], str):
        statistic = legacy[0]
    query = AnnotationQuery(
        ref_id=q.ref_id, region=region, start=start, end=end, namespace=_str(model, "namespace"),
        metric_name=_str(model, "metricName"), statistic=statistic, dimensions=_dimensions(model.get("dimensions")),
        period=_period(model.get("period"), 0 if prefix else DEFAULT_PERIOD_S), prefix_matching=prefix,
        action_prefix=_str(model, "actionPrefix"), alarm_name_prefix=_str(model, "alarmNamePrefix"))
    if not prefix and not (query.namespace and query.metric_name and query.statistic):
        raise QueryError("invalid annotations query: namespace, metricName and statistic are required (or turn on "
                         "prefix matching and give an alarm name or action prefix)")
    return query


def annotation_frame(query: AnnotationQuery, client: Any, *, datasource: str, page_limit: int) -> Frame:
    """The alarms' history in the range as Grafana's annotations frame."""
    names = _alarm_names(query, client, datasource, page_limit)
    notices = []
    if len(names) > MAX_ALARMS:
        notices.append(Notice("warning", f"more than {MAX_ALARMS} alarms matched; the history of the first "
                                         f"{MAX_ALARMS} is shown"))
    events: list[tuple[int, str, str, str]] = []
    for name in names[:MAX_ALARMS]:
        if len(events) >= MAX_EVENTS:
            break
        with aws_call("DescribeAlarmHistory", region=query.region, datasource=datasource):
            for item in items(client, "describe_alarm_history", "AlarmHistoryItems", page_limit, AlarmName=name,
                              StartDate=query.start, EndDate=query.end, MaxRecords=_PAGE_SIZE):
                if len(events) >= MAX_EVENTS:
                    notices.append(Notice("warning", f"only the first {MAX_EVENTS:,} alarm history items are "
                                                     "shown; narrow the time range or the alarms"))
                    break
                stamp = item.get("Timestamp")
                if not isinstance(stamp, datetime):
                    continue
                events.append((int(stamp.timestamp() * 1000) * 1_000_000, str(item.get("AlarmName") or name),
                               str(item.get("HistoryItemType") or ""), str(item.get("HistorySummary") or "")))
    events.sort()
    meta: dict[str, Any] = {"custom": {"rowCount": len(events)}}
    if notices:
        meta["notices"] = notices
    return Frame(name=query.ref_id, ref_id=query.ref_id, meta=meta, fields=[
        Field("time", FieldType.TIME, [e[0] for e in events]),
        Field("title", FieldType.STRING, [e[1] for e in events]),
        Field("tags", FieldType.STRING, [e[2] for e in events]),
        Field("text", FieldType.STRING, [e[3] for e in events]),
    ])


def _alarm_names(query: AnnotationQuery, client: Any, datasource: str, page_limit: int) -> list[str]:
    if query.prefix_matching:
        params: dict[str, Any] = {"MaxRecords": _PAGE_SIZE}
        if query.action_prefix:
            params["ActionPrefix"] = query.action_prefix
        if query.alarm_name_prefix:
            params["AlarmNamePrefix"] = query.alarm_name_prefix
        names: dict[str, None] = {}
        with aws_call("DescribeAlarms", region=query.region, datasource=datasource):
            for alarm in items(client, "describe_alarms", "MetricAlarms", page_limit, **params):
                name = alarm.get("AlarmName")
                if isinstance(name, str) and name and _matches(query, alarm):
                    names.setdefault(name)
                    if len(names) > MAX_ALARMS:
                        break  # one more than is looked up: enough for the notice, no further pages held
        return list(names)
    params = {"Namespace": query.namespace, "MetricName": query.metric_name, "Period": query.period,
              "Dimensions": [{"Name": k, "Value": v} for k, values in query.dimensions for v in values]}
    # A percentile (p99, tm90, ...) is an extended statistic to CloudWatch alarms.
    key = "Statistic" if query.statistic in _STANDARD_STATISTICS else "ExtendedStatistic"
    params[key] = query.statistic
    with aws_call("DescribeAlarmsForMetric", region=query.region, datasource=datasource):
        answer = client.describe_alarms_for_metric(**params)
    return _unique(a.get("AlarmName") for a in answer.get("MetricAlarms") or [])


_STANDARD_STATISTICS = frozenset({"SampleCount", "Average", "Sum", "Minimum", "Maximum"})


def _matches(query: AnnotationQuery, alarm: Mapping[str, Any]) -> bool:
    """Grafana's filterAlarms: each condition the query states must hold; dimensions match by name only."""
    if query.namespace and alarm.get("Namespace") != query.namespace:
        return False
    if query.metric_name and alarm.get("MetricName") != query.metric_name:
        return False
    if query.dimensions:
        names = {d.get("Name") for d in alarm.get("Dimensions") or []}
        if names != {k for k, _ in query.dimensions}:
            return False
    if query.statistic and query.statistic not in (alarm.get("Statistic"), alarm.get("ExtendedStatistic")):
        return False
    return not (query.period and alarm.get("Period") != query.period)


def _unique(names: Any) -> list[str]:
    return list(dict.fromkeys(n for n in names if isinstance(n, str) and n))


def _dimensions(raw: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise QueryError("dimensions: must be an object of name → value or list of values")
    out = []
    for name, value in sorted(raw.items()):
        values = value if isinstance(value, list) else [value]
        out.append((str(name), tuple(v for v in values if isinstance(v, str) and v and v != "*")))
    return tuple(out)


def _period(raw: Any, default: int) -> int:
    if raw in (None, ""):
        return default
    try:
        period = int(str(raw).strip())
    except ValueError:
        raise QueryError(f"period: must be a number of seconds, got {raw!r}") from None
    if period < 0:
        raise QueryError("period: must not be negative")
    return period or default
