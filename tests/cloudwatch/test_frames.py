"""frames.py: labels and the `|&|` split, frame fields and meta, notices, per-result errors, empty answers."""

from __future__ import annotations

import json
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

from cloudwatch_datasource.cloudwatch.execute import PlanOutcome, SeriesResult
from cloudwatch_datasource.cloudwatch.frames import build_responses, deep_link, series_name_and_labels
from cloudwatch_datasource.cloudwatch.plan import build_plans
from cloudwatch_datasource.cloudwatch.query import MetricQuery, parse_query
from cloudwatch_datasource.data import FieldType
from cloudwatch_datasource.errors import DownstreamError, ErrorSource

from .helpers import NOW, data_query, epoch_ns, metric_stat, numbers

T0 = datetime(2026, 6, 1, 11, 0, tzinfo=UTC)


def q(model: dict[str, Any], ref_id: str = "A") -> MetricQuery:
    return parse_query(data_query(ref_id, model), default_region="us-east-1", now=NOW)


def outcome(queries: list[MetricQuery], results: dict[str, list[SeriesResult]],
            messages: list[dict[str, str]] | None = None) -> PlanOutcome:
    [plan] = build_plans(queries)
    return PlanOutcome(plan=plan, results=results, messages=messages or [])


def series(id_: str, label: str, n: int = 3, status: str = "Complete", **kw: Any) -> SeriesResult:
    return SeriesResult(id=id_, label=label, timestamps=[T0 + timedelta(minutes=i) for i in range(n)],
                        values=[float(i) for i in range(n)], status_code=status, **kw)


def test_label_split_multi_and_wildcard_dimensions() -> None:
    query = q(metric_stat(dimensions={"a": ["1", "2"], "b": ["x"], "c": ["*"]}))
    name, labels = series_name_and_labels(query, "CPU avg|&|2|&|i-9")
    assert name == "CPU avg"
    assert labels == {"Series": "CPU avg", "a": "2", "b": "x", "c": "i-9"}


def test_static_label_names_series_and_code_mode_only_series() -> None:
    assert series_name_and_labels(q(metric_stat(label="static")), "whatever")[0] == "static"
    code = q({"expression": "SEARCH('x', 'Average', 60)", "label": "${PROP('Dim.a')}"})
    assert series_name_and_labels(code, "v1") == ("v1", {"Series": "v1"})


def test_series_is_the_label_cloudwatch_returned_even_with_a_static_label() -> None:
    # Grafana's response parser: the static label is the name; Series stays CloudWatch's per-series label.
    code = q({"expression": "SEARCH('x', 'Average', 60)", "label": "CPU"})
    assert series_name_and_labels(code, "CPU i-1") == ("CPU", {"Series": "CPU i-1"})
    assert series_name_and_labels(code, "CPU i-2|&|x") == ("CPU", {"Series": "CPU i-2"})
    sql = q({"metricQueryType": 1, "sqlExpression": "SELECT AVG(CPUUtilization) FROM \"AWS/EC2\"", "label": "Top"})
    assert series_name_and_labels(sql, "Top|&|i-1") == ("Top", {"Series": "Top|&|i-1"})  # Insights: not split
    builder = q(metric_stat(dimensions={"a": ["1", "2"]}, label="Static"))
    assert series_name_and_labels(builder, "Static|&|2") == ("Static", {"Series": "Static", "a": "2"})
    # Grafana's dynamic-label test is `${` + at least one character + `}`; anything else is static.
    for label, static in (("${LABEL}", True), ("x ${PROP('Dim.a')} y", True), ("${}", False), ("${x", False)):
        name = series_name_and_labels(q({"expression": "SEARCH('x', 'Average', 60)", "label": label}), "got")[0]
        assert (name == "got") is static, label


def test_frame_shape() -> None:
    query = q(metric_stat(id="cpu", period="300"))
    responses = build_responses([outcome([query], {"cpu": [series("cpu", "CPUUtilization")]})])
    resp = responses["A"]
    assert resp.status == 200 and not resp.error
    [frame] = resp.frames
    time_field, value_field = frame.fields
    assert (time_field.name, time_field.type, value_field.name, value_field.type) == (
        "Time", FieldType.TIME, "Value", FieldType.NUMBER)
    assert epoch_ns(time_field) == [int((T0 + timedelta(minutes=i)).timestamp()) * 10**9
                                                   for i in range(3)]
    assert numbers(value_field) == [0.0, 1.0, 2.0]
    assert frame.name == "CPUUtilization" and frame.ref_id == "A"
    assert value_field.labels == {"Series": "CPUUtilization", "InstanceId": "i-1"}
    assert value_field.config["displayNameFromDS"] == "CPUUtilization"
    assert frame.meta["type"] == "timeseries-multi" and frame.meta["typeVersion"] == [0, 1]
    assert frame.meta["custom"] == {"period": 300, "id": "cpu"}
    json.dumps(frame.meta["custom"])  # a real JSON object, not Grafana's almost-JSON string
    assert "executedQueryString" not in frame.meta  # MetricStat sends no expression
    [link] = value_field.config["links"]
    assert link["title"] == "View in CloudWatch console" and link["targetBlank"] is True


def test_deep_link_metric_stat_and_partitions() -> None:
    [plan] = build_plans([q(metric_stat(region="cn-north-1", dimensions={"InstanceId": ["i-1"]}))])
    url = deep_link(plan.queries[0])
    assert url.startswith("https://cn-north-1.console.amazonaws.cn/cloudwatch/deeplink.js?region=cn-north-1"
                          "#metricsV2:graph=")
    graph = json.loads(urllib.parse.unquote(url.split("graph=", 1)[1]))
    assert graph["metrics"] == [["AWS/EC2", "CPUUtilization", "InstanceId", "i-1",
                                 {"stat": "Average", "period": 60}]]
    assert graph["view"] == "timeSeries" and graph["title"] == "A" and graph["region"] == "cn-north-1"
    [gov] = build_plans([q(metric_stat(region="us-gov-west-1"))])
    assert ".console.amazonaws-us-gov.com/" in deep_link(gov.queries[0])
    [math] = build_plans([q({"expression": "a*2"})])
    assert deep_link(math.queries[0]) == ""


def test_search_frames_have_executed_query_string_and_sorted_times() -> None:
    query = q(metric_stat(dimensions={"InstanceId": ["*"]}))
    s = series("queryA", "CPU|&|i-2")
    s.timestamps.reverse()  # out of order pages are sorted, values follow their timestamps
    responses = build_responses([outcome([query], {"queryA": [s, series("queryA", "CPU|&|i-3")]})])
    frames = responses["A"].frames
    assert [f.fields[1].labels["InstanceId"] for f in frames] == ["i-2", "i-3"]
    assert frames[0].meta["executedQueryString"].startswith("REMOVE_EMPTY(SEARCH(")
    assert numbers(frames[0].fields[1]) == [2.0, 1.0, 0.0]
    times = epoch_ns(frames[0].fields[0])
    assert times == sorted(set(times))


def test_out_of_order_points_are_sorted_stably() -> None:
    t = [T0 + timedelta(minutes=m) for m in (2, 0, 1, 0)]
    s = SeriesResult(id="queryA", label="CPU", timestamps=t, values=[20.0, 0.0, 10.0, 0.5])
    [frame] = build_responses([outcome([q(metric_stat())], {"queryA": [s]})])["A"].frames
    minute = 60 * 10**9
    start = int(T0.timestamp()) * 10**9
    assert epoch_ns(frame.fields[0]) == [start, start, start + minute, start + 2 * minute]
    assert numbers(frame.fields[1]) == [0.0, 0.5, 10.0, 20.0]  # ties keep page order


def test_notices_request_level_and_incomplete() -> None:
    query = q(metric_stat())
    responses = build_responses([outcome(
        [query], {"queryA": [series("queryA", "x", status="PartialData")]},
        messages=[{"Code": "MaxMetricsExceeded", "Value": "v"}, {"Code": "MaxMetricsExceeded", "Value": "v"}],
    )])
    texts = [n.text for n in responses["A"].frames[0].meta["notices"]]
    assert texts == [
        "cloudwatch GetMetricData error: Maximum number of allowed metrics exceeded. Your search may have been "
        "limited",
        "cloudwatch GetMetricData error: Too many datapoints requested - your search has been limited. Please try "
        "to reduce the time range",
    ]


def test_arithmetic_and_forbidden_errors_keep_frames() -> None:
    a, b = q({"expression": "m1/0", "id": "e1"}, "A"), q(metric_stat(id="m1"), "B")
    results = {
        "e1": [series("e1", "e1", messages=[{"Code": "ArithmeticError", "Value": "division by zero"}])],
        "m1": [series("m1", "m1", messages=[{"Code": "Forbidden", "Value": "no access"}])],
    }
    responses = build_responses([outcome([a, b], results)])
    assert responses["A"].error == 'ArithmeticError in query "A": division by zero'
    assert responses["A"].frames and responses["A"].error_source is ErrorSource.DOWNSTREAM
    assert responses["B"].error == 'PermissionError in query "B": no access'
    assert responses["B"].status == 403 and responses["B"].frames


def test_hidden_and_empty_queries_get_empty_answers() -> None:
    hidden, empty = q(metric_stat(id="m1", hide=True), "A"), q(metric_stat(id="m2"), "B")
    responses = build_responses([outcome([hidden, empty], {"m1": [series("m1", "x")]})])
    assert responses["A"].frames == [] and responses["A"].status == 200 and not responses["A"].error
    assert responses["B"].frames == [] and responses["B"].status == 200


def test_plan_error_goes_to_each_refid_of_the_plan() -> None:
    o = outcome([q(metric_stat(), "A"), q(metric_stat(), "B")], {})
    o.error = DownstreamError("Throttling: Rate exceeded", status=429)
    responses = build_responses([o])
    assert {r: (v.error, v.status, v.error_source) for r, v in responses.items()} == {
        "A": ("Throttling: Rate exceeded", 429, ErrorSource.DOWNSTREAM),
        "B": ("Throttling: Rate exceeded", 429, ErrorSource.DOWNSTREAM),
    }


def test_multi_valued_query_without_data_gets_one_empty_frame_per_value() -> None:
    query = q(metric_stat(dimensions={"InstanceId": ["i-1", "i-2", "i-3"], "AutoScalingGroupName": ["g1", "g2"]}))
    nothing = SeriesResult(id="queryA", label="CPUUtilization", status_code="PartialData")
    [answer] = build_responses([outcome([query], {"queryA": [nothing]})]).values()
    assert [f.fields[1].labels for f in answer.frames] == [
        {"Series": "CPUUtilization", "AutoScalingGroupName": "g1", "InstanceId": v} for v in ("i-1", "i-2", "i-3")]
    assert all(f.name == "CPUUtilization" and len(f) == 0 for f in answer.frames)
    assert all(f.meta["notices"][0].text.endswith("reduce the time range") for f in answer.frames)
    assert answer.frames[0].fields[1].config["links"][0]["title"] == "View in CloudWatch console"


def test_single_valued_or_wildcard_query_without_data_keeps_one_empty_frame() -> None:
    for dims in ({"InstanceId": ["i-1"]}, {"InstanceId": ["i-1", "*"]}):
        query = q(metric_stat(dimensions=dims))
        [answer] = build_responses([outcome([query], {"queryA": [SeriesResult(id="queryA", label="CPU")]})]).values()
        assert len(answer.frames) == 1 and len(answer.frames[0]) == 0
