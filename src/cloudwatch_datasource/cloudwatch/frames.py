"""Stage 4: PlanOutcomes → one DataResponse per refId, one time-series frame per returned series.

Frame shape follows Grafana's CloudWatch response parser (grafana/grafana-cloudwatch-datasource,
pkg/cloudwatch/response_parser.go; facts only, that code is AGPL) and the data plane "timeseries-multi" contract
(https://grafana.com/developers/dataplane/timeseries): fields `Time` (epoch ns) and `Value` (float64, carrying
the labels); name and labels from the label CloudWatch returned, split on `|&|` (series_name_and_labels); a
console deep link (Grafana's `CloudWatchQuery.BuildDeepLink`, pkg/cloudwatch/models of the same repository);
notices for request-level limits, incomplete series and unpaired Timestamps/Values. Differences from Grafana, on
purpose: `meta.custom` is a real JSON object (Grafana sends a not-quite-JSON string the frontend can't read);
refIds with nothing to show get an empty 200 answer instead of no entry; a call's error goes to the refIds AWS
blamed (the rest of the call is asked again without them, see execute.py) or else to every refId of that call,
instead of a guessed refId or "".
"""

from __future__ import annotations

import json
import operator
import urllib.parse
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import pyarrow as pa

from ..backend import DataResponse
from ..data import Field, FieldType, Frame, Notice
from ..errors import ErrorSource
from .execute import PlanOutcome, SeriesResult
from .insights import group_by_keys, group_labels, sends_label
from .plan import LABEL_SEPARATOR, PlannedQuery
from .query import MetricEditorMode, MetricQuery, MetricQueryType, has_static_label

# Request-level GetMetricData message codes and Grafana's wording for them (CW models/gmd_errors.go).
REQUEST_NOTICES = {
    "MaxMetricsExceeded": "Maximum number of allowed metrics exceeded. Your search may have been limited",
    "MaxQueryTimeRangeExceeded": "Max time window exceeded for query",
    "MaxQueryResultsExceeded": "Only the first 500 time series can be returned by a query.",
    "MaxMatchingResultsExceeded":
        "The query matched more than 10.000 metrics, results might not be accurate.",
}
INCOMPLETE_NOTICE = ("Too many datapoints requested - your search has been limited. "
                     "Please try to reduce the time range")
NOTICE_PREFIX = "cloudwatch GetMetricData error: "


def unpaired_notice(series: SeriesResult) -> str:
    """AWS's Timestamps and Values pair up by position (API reference, MetricDataResult); when one list was
    longer, execute.py kept the pairs and counted the rest. Said on the frame, not cut silently."""
    return (f"AWS's answer for this series had {series.unpaired_timestamps} timestamps without a value and "
            f"{series.unpaired_values} values without a timestamp; they are left out and the "
            f"{len(series.timestamps)} points that pair up are shown")
LINK_TITLE = "View in CloudWatch console"

_TIME_UTC = pa.timestamp("ns", tz="UTC")


def build_responses(outcomes: Sequence[PlanOutcome]) -> dict[str, DataResponse]:
    """Every refId of every plan gets exactly one DataResponse (hidden queries an empty one)."""
    responses: dict[str, DataResponse] = {}
    for outcome in outcomes:
        for planned in outcome.plan.queries:
            err = outcome.query_errors.get(planned.query.id) or outcome.error
            if err is not None:
                responses[planned.query.ref_id] = DataResponse.failure(
                    err.message, status=err.status, source=err.source)
        if outcome.error is not None:
            continue
        request_notices = _request_notices(outcome.messages)
        for planned in outcome.plan.queries:
            ref_id = planned.query.ref_id
            if planned.query.id in outcome.query_errors:
                continue
            if not planned.query.return_data:
                responses.setdefault(ref_id, DataResponse())
                continue
            responses[ref_id] = _query_response(planned, outcome.results.get(planned.query.id, []),
                                                request_notices)
    return responses


def _query_response(planned: PlannedQuery, series: list[SeriesResult], request_notices: list[Notice]
                    ) -> DataResponse:
    q = planned.query
    frames: list[Frame] = []
    for s in series:
        if not s.timestamps and _multi_valued(q):
            frames.extend(_empty_value_frames(planned, s, request_notices))
        else:
            frames.append(series_frame(planned, s, request_notices))
    if not frames and request_notices:
        # Nothing came back, but AWS said why: keep the reason visible on an empty frame.
        frames = [Frame(name=q.ref_id, ref_id=q.ref_id, fields=[],
                        meta={**_frame_meta(planned), "notices": list(request_notices)})]

    errors: list[str] = []
    status, source = 200, None
    for s in series:
        for message in s.messages:
            if message["Code"] == "ArithmeticError":
                errors.append(f'ArithmeticError in query "{q.ref_id}": {message["Value"]}')
                status, source = 400, ErrorSource.DOWNSTREAM
            elif message["Code"] == "Forbidden":
                errors.append(f'PermissionError in query "{q.ref_id}": {message["Value"]}')
                status, source = 403, ErrorSource.DOWNSTREAM
    if errors:
        # Grafana keeps the frames next to the error: the series that did compute are still worth showing.
        return DataResponse.failure("; ".join(dict.fromkeys(errors)), status=status,
                                    source=source or ErrorSource.DOWNSTREAM, frames=frames)
    return DataResponse(frames=frames)


def series_frame(planned: PlannedQuery, series: SeriesResult, request_notices: Sequence[Notice] = ()
                 ) -> Frame:
    name, labels = series_name_and_labels(planned.query, series.label)
    times, values = _vectors(series)
    return _frame(planned, series, name, labels, times, values, request_notices)


def _empty_value_frames(planned: PlannedQuery, series: SeriesResult, request_notices: Sequence[Notice]
                        ) -> list[Frame]:
    """Grafana's no-data answer for a multi-valued dimension query (its response parser's `buildDataFrames`):
    one empty frame per value of the dimension with the most values, so a legend or table still lists every
    instance asked for. The other dimensions take their first value. Unlike Grafana's, each frame also carries
    the `Series` label and the notices, like every other frame of this plugin."""
    q = planned.query
    name = series_name_and_labels(q, series.label)[0]
    key, values = max(q.dimensions, key=lambda item: len(item[1]))  # first of the most-valued, as Grafana
    others = {k: v[0] for k, v in q.dimensions if k != key and v}
    empty: list[Any] = []
    return [_frame(planned, series, name, {"Series": name, **others, key: value}, empty, empty, request_notices)
            for value in values]


def _multi_valued(q: MetricQuery) -> bool:
    """A builder-mode metric query naming several values of a dimension, without a wildcard."""
    if q.query_type is not MetricQueryType.SEARCH or q.editor_mode is not MetricEditorMode.BUILDER:
        return False
    if any("*" in values for _, values in q.dimensions):
        return False
    return any(len(values) > 1 for _, values in q.dimensions)


def _frame(planned: PlannedQuery, series: SeriesResult, name: str, labels: dict[str, str], times: Any,
           values: Any, request_notices: Sequence[Notice]) -> Frame:
    config: dict[str, Any] = {"displayNameFromDS": name}
    link = deep_link(planned)
    if link:
        config["links"] = [{"title": LINK_TITLE, "targetBlank": True, "url": link}]

    notices = list(request_notices)
    if series.status_code != "Complete":
        notices.append(Notice("warning", NOTICE_PREFIX + INCOMPLETE_NOTICE))
    if series.unpaired_timestamps or series.unpaired_values:
        notices.append(Notice("warning", NOTICE_PREFIX + unpaired_notice(series)))
    meta = _frame_meta(planned)
    if notices:
        meta["notices"] = notices
    return Frame(
        name=name, ref_id=planned.query.ref_id, meta=meta,
        fields=[
            Field("Time", FieldType.TIME, times),
            Field("Value", FieldType.NUMBER, values, labels=labels, config=config),
        ],
    )


def series_name_and_labels(q: MetricQuery, cloudwatch_label: str) -> tuple[str, dict[str, str]]:
    """The frame name and the labels of one series, by Grafana's rules (facts read from its response parser,
    grafana/grafana-cloudwatch-datasource pkg/cloudwatch/response_parser.go, `parseLabels`/`getLabels`/
    `buildDataFrames`; nothing copied):
    - `Series` is always the label CloudWatch returned for that series — never the query's label as typed — so
      the series of one SEARCH or math query stay distinct label sets (alert rules keep one state per set);
      for builder and code mode it is the first `|&|` part, for Metrics Insights the whole returned label;
    - builder mode: each dimension in sorted key order takes its single value, or (multi-valued / wildcard) the
      next `|&|` part of the returned label (plan.search_label asks CloudWatch for them); code mode gets no
      dimension labels;
    - Metrics Insights with GROUP BY: one label per GROUP BY key, read from AWS's default label (insights.py;
      Grafana gives these series `Series` only), unless a dynamic label was sent (then AWS's labels are the
      user's and only `Series` is set); a static label is not sent for such a query (plan.py), it is the name;
    - the name (frame name, displayNameFromDS) is the first part, or the query's label as typed when it is
      static: CloudWatch appends dimension values to a static label of a SEARCH, the legend should not."""
    parts = cloudwatch_label.split(LABEL_SEPARATOR)
    insights = q.query_type is MetricQueryType.INSIGHTS
    returned = cloudwatch_label if insights else parts[0]
    name = q.label if has_static_label(q) else returned
    labels = {"Series": returned}
    if insights:
        if not sends_label(q):
            labels.update(group_labels(group_by_keys(q.sql_expression), returned))
        return name, labels
    if q.editor_mode is MetricEditorMode.CODE:
        return name, labels
    rest = iter(parts[1:])
    for key, values in q.dimensions:
        if len(values) == 1 and values[0] != "*":
            labels[key] = values[0]
        else:
            part = next(rest, None)
            if part is not None:
                labels[key] = part
    return name, labels


def deep_link(planned: PlannedQuery) -> str:
    """The CloudWatch console link Grafana attaches to each series (module docstring); "" for math and Insights."""
    q = planned.query
    if q.query_type is MetricQueryType.INSIGHTS:
        return ""
    if q.editor_mode is MetricEditorMode.CODE and "SEARCH(" not in q.expression:
        return ""
    metric: Any
    if planned.used_expression:
        metric = {"expression": planned.used_expression}
        if q.label:
            metric["label"] = q.label
    else:
        options: dict[str, Any] = {"stat": q.statistic, "period": q.period}
        if q.label:
            options["label"] = q.label
        if q.account_id:
            options["accountId"] = q.account_id
        metric = [q.namespace, q.metric_name, *(x for k, v in q.dimensions for x in (k, v[0])), options]
    graph = {
        "view": "timeSeries", "stacked": False, "title": q.ref_id,
        "start": _rfc3339(q.start), "end": _rfc3339(q.end), "region": q.region, "metrics": [metric],
    }
    encoded = urllib.parse.quote(json.dumps(graph, separators=(",", ":")), safe="")
    return f"https://{q.region}.{console_host(q.region)}/cloudwatch/deeplink.js?region={q.region}" \
           f"#metricsV2:graph={encoded}"


def console_host(region: str) -> str:
    if region.startswith("cn-"):
        return "console.amazonaws.cn"
    if region.startswith("us-gov-"):
        return "console.amazonaws-us-gov.com"
    return "console.aws.amazon.com"


def _frame_meta(planned: PlannedQuery) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "type": "timeseries-multi",
        "typeVersion": [0, 1],
        "custom": {"period": planned.query.period, "id": planned.query.id},
    }
    if planned.used_expression:
        meta["executedQueryString"] = planned.used_expression
    return meta


def _request_notices(messages: Sequence[dict[str, str]]) -> list[Notice]:
    seen: dict[str, Notice] = {}
    for message in messages:
        text = REQUEST_NOTICES.get(message["Code"])
        if text is not None and message["Code"] not in seen:
            seen[message["Code"]] = Notice("warning", NOTICE_PREFIX + text)
    return list(seen.values())


def _vectors(series: SeriesResult) -> tuple[pa.TimestampArray, pa.DoubleArray]:
    """Timestamps → timestamp[ns, UTC] and values → float64, converted by pyarrow in C; botocore hands back
    timezone-aware datetimes and pyarrow converts them to UTC itself. Plans ask for TimestampAscending, so a
    series is normally in order already; the check runs on the datetime list in C (~15 ns a point) and the rare
    out-of-order series is sorted stably in Python. Neither numpy nor pyarrow.compute is used: leaving them out
    keeps ~20 MB of resident memory out of every plugin process."""
    stamps, values = series.timestamps, series.values  # the same length: execute.py pairs them per result
    if not all(map(operator.le, stamps, islice(stamps, 1, None))):
        order = sorted(range(len(stamps)), key=stamps.__getitem__)
        stamps, values = [stamps[i] for i in order], [values[i] for i in order]
    return pa.array(stamps, type=_TIME_UTC), pa.array(values, type=pa.float64(), from_pandas=False)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
