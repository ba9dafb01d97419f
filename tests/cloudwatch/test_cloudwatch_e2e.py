"""CloudWatch queries end to end, as Grafana sees them: the plugin started and called by grafana-server's own
client (the Go host, tests/support/grafana_host.py), every answer converted by grafana-plugin-sdk-go (frames
decoded with data.UnmarshalArrowFrames) and asserted on the SDK's JSON — what /api/ds/query returns — and on
what the dataplane readers Grafana's alerting uses make of the frames. AWS is moto on 127.0.0.1, or the scripted
fake (tests/support/fake_aws.py) for what moto cannot compute (SEARCH, math, Metrics Insights).

GetMetricData calls are counted by the plugin itself (CollectMetrics → cloudwatch_plugin_aws_calls_total), the
figure an operator would read too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from support.fake_aws import FakeAws
from support.grafana_host import (
    GrafanaHost,
    QueryAnswer,
    StartGrafana,
    data_query,
    datasource,
    field_schema,
    field_values,
    go_plugin,
    raw_query,
)

START = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
END = START + timedelta(minutes=5)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture
def plugin(grafana: StartGrafana, moto: Any, isolated_aws_env: dict[str, str]) -> Iterator[GrafanaHost]:
    yield from go_plugin(grafana, isolated_aws_env)


@pytest.fixture
def settings(moto: Any) -> dict[str, Any]:
    return datasource({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": moto.url,
                       "customMetricsNamespaces": "Test/App"},
                      {"accessKey": "AKIDE2E", "secretKey": "e2e-secret"})


def seed(moto: Any, region: str = "us-east-1", namespace: str = "Test/App", service: str = "api") -> None:
    cw = boto3.client("cloudwatch", region_name=region, endpoint_url=moto.url, aws_access_key_id="a",
                      aws_secret_access_key="b", config=Config(retries={"total_max_attempts": 1}))
    points = [(START + timedelta(seconds=10), 1.0), (START + timedelta(seconds=20), 3.0),
              (START + timedelta(seconds=70), 10.0)]
    cw.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": service}], "Timestamp": t, "Value": v}
        for t, v in points])


def panel_query(ref_id: str, stat: str = "Average", **overrides: Any) -> dict[str, Any]:
    """A query exactly as Grafana's CloudWatch query editor sends it (copied from a panel's query inspector)."""
    model = {
        "refId": ref_id, "datasource": {"type": "cloudwatch", "uid": "P034F075C744B399F"}, "queryMode": "Metrics",
        "namespace": "Test/App", "metricName": "Latency", "expression": "", "dimensions": {"Service": ["api"]},
        "region": "default", "id": "", "statistic": stat, "period": "60", "metricQueryType": 0,
        "metricEditorMode": 0, "sqlExpression": "", "matchExact": True, "label": "", "hide": False,
        "intervalMs": 60000, "maxDataPoints": 1200,
    }
    model.update(overrides)
    return model


def values(answer: QueryAnswer, ref_id: str, frame: int = 0) -> list[Any]:
    return field_values(answer.frames(ref_id)[frame], "Value")


def assert_timeseries(answer: QueryAnswer, ref_id: str, series: int) -> list[dict[str, str]]:
    """The refId reads, with the dataplane readers Grafana's alerting uses, as a valid time-series collection of
    `series` series with distinct label sets; returns the label sets."""
    report = answer.readers[ref_id]
    assert report["kind"] == "timeseries-multi" and report["reader"] == "timeseries", (ref_id, report)
    assert not report.get("kindError") and not report.get("error") and not report.get("warning"), (ref_id, report)
    assert not report["noData"] and len(report["series"]) == series, (ref_id, report)
    assert report["distinctLabelSets"], (ref_id, report["series"])
    return [s["labels"] for s in report["series"]]


def gmd_calls(process: GrafanaHost) -> float:
    pattern = re.compile(r'^cloudwatch_plugin_aws_calls_total\{([^}]*)\} ([0-9.e+]+)$', re.M)
    return sum(float(v) for labels, v in pattern.findall(process.collect_metrics())
               if 'operation="GetMetricData"' in labels)


def test_statistics_values_and_timestamps(plugin: GrafanaHost, settings: Any, moto: Any) -> None:
    seed(moto)
    expected = {"Average": [2.0, 10.0], "Sum": [4.0, 10.0], "Minimum": [1.0, 10.0], "Maximum": [3.0, 10.0],
                "SampleCount": [2.0, 1.0]}
    queries = [data_query(ref, panel_query(ref, stat), ms(START), ms(END)) for ref, stat in
               zip("ABCDE", expected, strict=True)]
    resp = plugin.query(queries, settings)
    for ref, (stat, numbers) in zip("ABCDE", expected.items(), strict=True):
        answer = resp.results[ref]
        assert answer["status"] == 200 and "error" not in answer, (stat, answer)
        [frame] = answer["frames"]
        assert field_values(frame, "Value") == numbers, stat
        assert field_values(frame, "Time") == [ms(START), ms(START) + 60_000]  # the SDK's JSON: epoch ms
        schema = frame["schema"]
        assert schema["refId"] == ref and schema["name"] == f"Latency {stat}"
        assert schema["meta"]["type"] == "timeseries-multi" and schema["meta"]["typeVersion"] == [0, 1]
        # One MetricStat in one answered call: one metric requested, at the default $0.01 per 1,000.
        assert schema["meta"]["custom"] == {"period": 60, "id": f"query{ref}", "metricsRequested": 1,
                                            "billedAs": "MetricStat", "estimatedCostUSD": 0.00001,
                                            "pricePer1000MetricsUSD": 0.01, "cache": "miss"}
        assert [(s["displayName"], s["value"]) for s in schema["meta"]["stats"]] == [
            ("GetMetricData metrics requested", 1), ("Estimated GetMetricData cost", 0.00001)]
        assert [(f["name"], f["type"], f["typeInfo"]) for f in schema["fields"]] == [
            ("Time", "time", {"frame": "time.Time"}), ("Value", "number", {"frame": "float64", "nullable": True})]
        value = field_schema(frame, "Value")
        assert value["labels"] == {"Series": f"Latency {stat}", "Service": "api"}
        assert value["config"]["displayNameFromDS"] == f"Latency {stat}"
        [link] = value["config"]["links"]
        assert link["title"] == "View in CloudWatch console" and link["targetBlank"] is True
        assert link["url"].startswith("https://us-east-1.console.aws.amazon.com/cloudwatch/deeplink.js?region="
                                      "us-east-1#metricsV2:")
        assert_timeseries(resp, ref, 1)
    assert gmd_calls(plugin) == 1  # five queries, one region, one range: one call


def test_one_call_per_region_and_time_range(plugin: GrafanaHost, settings: Any, moto: Any) -> None:
    seed(moto)
    seed(moto, region="eu-west-1", service="eu")
    later = END + timedelta(minutes=1)
    queries = [
        data_query("A", panel_query("A"), ms(START), ms(END)),
        data_query("B", panel_query("B", "Sum"), ms(START), ms(END)),
        data_query("C", panel_query("C", region="eu-west-1", dimensions={"Service": ["eu"]}), ms(START), ms(END)),
        data_query("D", panel_query("D"), ms(START), ms(later)),
    ]
    resp = plugin.query(queries, settings)
    assert {r: (a["status"], a.get("error")) for r, a in resp.results.items()} == {r: (200, None) for r in "ABCD"}
    assert values(resp, "C") == [2.0, 10.0]
    assert field_schema(resp.frames("C")[0], "Value")["labels"]["Service"] == "eu"
    assert gmd_calls(plugin) == 3  # (us-east-1, range 1), (eu-west-1, range 1), (us-east-1, range 2)


def test_more_than_500_queries_are_split(plugin: GrafanaHost, settings: Any, moto: Any) -> None:
    seed(moto)
    refs = [f"Q{i}" for i in range(501)]
    resp = plugin.query([data_query(r, panel_query(r, "Sum"), ms(START), ms(END)) for r in refs], settings)
    assert set(resp.results) == set(refs)
    assert all(a["status"] == 200 and "error" not in a for a in resp.results.values())
    assert all(values(resp, r) == [4.0, 10.0] for r in refs[::50])
    assert gmd_calls(plugin) == 2


def test_bad_query_among_good_ones_errors_only_its_ref_id(plugin: GrafanaHost, settings: Any, moto: Any) -> None:
    seed(moto)
    queries = [
        data_query("A", panel_query("A"), ms(START), ms(END)),
        data_query("B", panel_query("B", period="every now and then"), ms(START), ms(END)),
        data_query("C", panel_query("C", dimensions=[1, 2]), ms(START), ms(END)),
        raw_query("D", "{not json", ms(START), ms(END)),
        data_query("E", panel_query("E"), ms(END), ms(START)),  # reversed range
        data_query("F", panel_query("F", "Maximum"), ms(START), ms(END)),
    ]
    resp = plugin.query(queries, settings)
    assert set(resp.results) == set("ABCDEF")
    for ref in "BCDE":
        answer = resp.results[ref]
        assert answer["status"] == 400 and answer["errorSource"] == "plugin" and answer["error"], ref
        assert not answer.get("frames")
        assert resp.readers[ref]["kindError"]  # nothing for alerting to read, and it says so
    assert "period" in resp.results["B"]["error"]
    assert "dimensions" in resp.results["C"]["error"]
    assert values(resp, "A") == [2.0, 10.0]
    assert values(resp, "F") == [3.0, 10.0]
    assert plugin.ping()


def test_aws_error_is_downstream_on_its_ref_ids_only(plugin: GrafanaHost, moto: Any) -> None:
    seed(moto)
    broken = datasource({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": moto.url},
                        {"accessKey": "AKIDE2E", "secretKey": "e2e-secret"})
    queries = [data_query("A", panel_query("A"), ms(START), ms(END)),
               # moto 500s on extended statistics (a real AWS would answer): the error stays on B's group
               data_query("B", panel_query("B", "p99"), ms(START), ms(END + timedelta(minutes=1)))]
    resp = plugin.query(queries, broken)
    assert resp.results["A"]["status"] == 200 and "error" not in resp.results["A"]
    b = resp.results["B"]
    assert b["error"] and b["errorSource"] == "downstream" and 500 <= b["status"] <= 599


# --- Every metrics query type, as alerting reads it ------------------------------------------------------------
# moto computes none of SEARCH, math or Metrics Insights: the scripted fake answers what AWS would, with the
# labels AWS builds (the plugin's `${LABEL}|&|${PROP('Dim.…')}` resolved for inferred SEARCH, the series' own
# label otherwise).

def _fake_results(request: dict[str, Any]) -> dict[str, Any]:
    series: dict[str, list[str]] = {
        "stat": ["CPUUtilization"],
        "search": ["CPUUtilization|&|i-1", "CPUUtilization|&|i-2", "CPUUtilization|&|i-3"],
        "wildcard": ["CPUUtilization|&|i-1", "CPUUtilization|&|i-2"],
        "code": ["i-1 CPUUtilization", "i-2 CPUUtilization"],
        "math": ["stat * 2"],
        "sql": ["i-1", "i-2", "i-3", "i-4"],
        "nodata": ["CPUUtilization"],  # answered with no points
    }
    first = datetime.fromtimestamp(float(request["StartTime"]), UTC)
    results = []
    for q in request["MetricDataQueries"]:
        if not q["ReturnData"]:
            continue
        points = range(0 if q["Id"] == "nodata" else 3)
        for n, label in enumerate(series[q["Id"]]):
            results.append({"Id": q["Id"], "Label": label, "StatusCode": "Complete",
                            "Timestamps": [first + timedelta(minutes=m) for m in points],
                            "Values": [10.0 * n + m for m in points]})
    return {"MetricDataResults": results}


def test_every_metrics_query_type_reads_as_a_timeseries_collection(grafana: StartGrafana,
                                                                   isolated_aws_env: dict[str, str]) -> None:
    ec2 = {"namespace": "AWS/EC2", "metricName": "CPUUtilization", "statistic": "Average", "period": "60",
           "region": "us-east-1", "metricQueryType": 0, "metricEditorMode": 0, "queryMode": "Metrics"}
    models = {
        "A": {**ec2, "id": "stat", "dimensions": {"InstanceId": ["i-1"]}, "matchExact": True},  # MetricStat
        "B": {**ec2, "id": "search", "dimensions": {"InstanceId": ["i-1", "i-2", "i-3"]}},  # inferred SEARCH
        "C": {**ec2, "id": "wildcard", "dimensions": {"InstanceId": ["*"]}, "matchExact": False},
        "D": {**ec2, "id": "code", "metricEditorMode": 1,  # code-mode SEARCH
              "expression": "SEARCH('{AWS/EC2,InstanceId} MetricName=\"CPUUtilization\"', 'Average', 60)"},
        "E": {**ec2, "id": "math", "metricEditorMode": 1, "expression": "stat * 2"},  # math on A
        "F": {**ec2, "id": "sql", "metricQueryType": 1, "metricEditorMode": 1,  # Metrics Insights
              "sqlExpression": "SELECT AVG(CPUUtilization) FROM SCHEMA(\"AWS/EC2\", InstanceId) "
                               "GROUP BY InstanceId"},
        # no data for a multi-valued builder query: one empty series per instance asked for (docs/queries.md)
        "G": {**ec2, "id": "nodata", "dimensions": {"InstanceId": ["i-7", "i-8"]}},
    }
    expected_series = {"A": 1, "B": 3, "C": 2, "D": 2, "E": 1, "F": 4, "G": 2}
    with FakeAws() as fake:
        fake.handler("GetMetricData", _fake_results)
        host = grafana(env={**isolated_aws_env, "GF_PLUGIN_AWS_MAX_ATTEMPTS": "1"})
        settings = datasource({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": fake.url},
                              {"accessKey": "AKIDE2E", "secretKey": "e2e-secret"})
        resp = host.query([data_query(ref, model, ms(START), ms(END)) for ref, model in models.items()], settings)
        [call] = fake.calls("GetMetricData")
    sent = {q["Id"]: q for q in call["MetricDataQueries"]}
    assert "MetricStat" in sent["stat"] and sent["sql"]["Expression"].startswith("SELECT AVG(")
    assert sent["search"]["Expression"].startswith("REMOVE_EMPTY(SEARCH(") and sent["math"]["Expression"] == "stat * 2"

    labels = {ref: assert_timeseries(resp, ref, n) for ref, n in expected_series.items()}
    assert sorted(s["InstanceId"] for s in labels["B"]) == ["i-1", "i-2", "i-3"]
    assert sorted(s["InstanceId"] for s in labels["C"]) == ["i-1", "i-2"]
    assert sorted(s["Series"] for s in labels["D"]) == ["i-1 CPUUtilization", "i-2 CPUUtilization"]
    assert sorted(s["Series"] for s in labels["F"]) == ["i-1", "i-2", "i-3", "i-4"]
    assert sorted(s["InstanceId"] for s in labels["G"]) == ["i-7", "i-8"]
    assert [s["points"] for s in resp.readers["G"]["series"]] == [0, 0]
    for ref in models:
        for frame in resp.frames(ref):
            value = field_schema(frame, "Value")
            assert value["config"]["displayNameFromDS"] == frame["schema"]["name"] == value["labels"]["Series"]
            assert ref == "G" or field_values(frame, "Value")[0] is not None
    # SEARCH, math and SQL say what ran; math and SQL have no console link (docs/queries.md "Calls and answers")
    assert resp.frames("D")[0]["schema"]["meta"]["executedQueryString"].startswith("SEARCH(")
    assert resp.frames("E")[0]["schema"]["meta"]["executedQueryString"] == "stat * 2"
    assert "links" not in field_schema(resp.frames("F")[0], "Value")["config"]


# --- Resources and metrics --------------------------------------------------------------------------------------

def resource(plugin: GrafanaHost, settings: Any, path: str, query: str = "", method: str = "GET"
             ) -> tuple[int, Any]:
    answer = plugin.call_resource(path, settings, query=query, method=method)
    assert len(answer["chunks"]) >= 1 and answer["status"] == answer["chunks"][0]["status"]
    assert answer["headers"]["Content-Type"] == ["application/json"], answer["headers"]
    return answer["status"], json.loads(answer["body"])


def test_resource_routes_return_grafana_shapes(plugin: GrafanaHost, settings: Any, moto: Any) -> None:
    seed(moto)
    seed(moto, service="web")
    code, namespaces = resource(plugin, settings, "namespaces")
    assert code == 200 and {"value": "Test/App"} in namespaces and {"value": "AWS/EC2"} in namespaces
    code, metric_list = resource(plugin, settings, "metrics", "region=default&namespace=Test/App")
    assert code == 200 and metric_list == [{"value": {"name": "Latency", "namespace": "Test/App"}}]
    code, keys = resource(plugin, settings, "dimension-keys", "region=us-east-1&namespace=Test/App&metricName=Latency")
    assert code == 200 and keys == [{"value": "Service"}]
    code, values_ = resource(plugin, settings, "dimension-values",
                             "region=us-east-1&namespace=Test/App&metricName=Latency&dimensionKey=Service")
    assert code == 200 and values_ == [{"value": "api"}, {"value": "web"}]
    code, regions = resource(plugin, settings, "regions")
    assert code == 200 and {"value": {"name": "us-east-1"}} in regions
    code, body = resource(plugin, settings, "metrics", method="POST")
    assert code == 405 and set(body) == {"Message", "Error", "StatusCode"}
    code, body = resource(plugin, settings, "no-such-route")
    assert code == 404 and body["StatusCode"] == 404


def test_collect_metrics_reports_queries_calls_errors_and_durations(plugin: GrafanaHost, settings: Any,
                                                                     moto: Any) -> None:
    seed(moto)
    queries = [data_query("A", panel_query("A"), ms(START), ms(END)),
               data_query("B", panel_query("B", "p99"), ms(START), ms(END + timedelta(minutes=1))),
               data_query("C", panel_query("C", period="x"), ms(START), ms(END))]
    plugin.query(queries, settings)
    text = plugin.collect_metrics()
    assert 'cloudwatch_plugin_queries_total{datasource="ds-1",outcome="ok"} 1.0' in text
    assert 'cloudwatch_plugin_queries_total{datasource="ds-1",outcome="error"} 2.0' in text
    assert re.search(r'cloudwatch_plugin_aws_calls_total\{datasource="ds-1",operation="GetMetricData",'
                     r'region="us-east-1"\} 2\.0', text), text
    assert re.search(r'cloudwatch_plugin_aws_errors_total\{[^}]*operation="GetMetricData"[^}]*\} 1\.0', text)
    assert 'cloudwatch_plugin_request_duration_seconds_count{method="QueryData"} 1.0' in text
