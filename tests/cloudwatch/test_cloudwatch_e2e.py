"""CloudWatch queries end to end: the plugin process through its real handshake, QueryData / CallResource over
gRPC, frames decoded from Arrow as Grafana decodes them, AWS emulated by moto on 127.0.0.1.

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
import pyarrow as pa
import pytest
from botocore.config import Config
from support.plugins import StartPlugin

from cloudwatch_datasource.protocol.host import PluginProcess, data_query, datasource_settings, go_plugin_env
from cloudwatch_datasource.protocol.pb import backend_pb2 as pb

START = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
END = START + timedelta(minutes=5)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture
def plugin(moto: Any, isolated_aws_env: dict[str, str], start_plugin: StartPlugin) -> Iterator[PluginProcess]:
    process = start_plugin(env=go_plugin_env({**isolated_aws_env, "GF_PLUGIN_AWS_MAX_ATTEMPTS": "1"}))
    yield process
    process.kill()
    assert not process.killed


@pytest.fixture
def settings(moto: Any) -> pb.DataSourceInstanceSettings:
    return datasource_settings({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": moto.url,
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


def decode(frame: bytes) -> pa.Table:
    return pa.ipc.open_file(pa.BufferReader(frame)).read_all()


def gmd_calls(process: PluginProcess) -> float:
    text = process.diagnostics.CollectMetrics(pb.CollectMetricsRequest(), timeout=10).metrics.prometheus.decode()
    pattern = re.compile(r'^cloudwatch_plugin_aws_calls_total\{([^}]*)\} ([0-9.e+]+)$', re.M)
    return sum(float(v) for labels, v in pattern.findall(text) if 'operation="GetMetricData"' in labels)


def test_statistics_values_and_timestamps(plugin: PluginProcess, settings: Any, moto: Any) -> None:
    seed(moto)
    expected = {"Average": [2.0, 10.0], "Sum": [4.0, 10.0], "Minimum": [1.0, 10.0], "Maximum": [3.0, 10.0],
                "SampleCount": [2.0, 1.0]}
    queries = [data_query(ref, panel_query(ref, stat), ms(START), ms(END)) for ref, stat in
               zip("ABCDE", expected, strict=True)]
    resp = plugin.query(queries, settings)
    for ref, (stat, values) in zip("ABCDE", expected.items(), strict=True):
        answer = resp.responses[ref]
        assert answer.status == 200 and not answer.error, (stat, answer.error)
        [frame] = answer.frames
        table = decode(frame)
        assert table.column("Value").to_pylist() == values, stat
        assert table.column("Time").cast(pa.int64()).to_pylist() == [int(START.timestamp()) * 10**9,
                                                                     int(START.timestamp() + 60) * 10**9]
        meta = json.loads(table.schema.metadata[b"meta"])
        assert meta["type"] == "timeseries-multi" and meta["typeVersion"] == [0, 1]
        labels = json.loads(table.schema.field("Value").metadata[b"labels"])
        assert labels["Service"] == "api"
    assert gmd_calls(plugin) == 1  # five queries, one region, one range: one call


def test_one_call_per_region_and_time_range(plugin: PluginProcess, settings: Any, moto: Any) -> None:
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
    assert {r: (a.status, a.error) for r, a in resp.responses.items()} == {r: (200, "") for r in "ABCD"}
    assert decode(resp.responses["C"].frames[0]).column("Value").to_pylist() == [2.0, 10.0]
    assert gmd_calls(plugin) == 3  # (us-east-1, range 1), (eu-west-1, range 1), (us-east-1, range 2)


def test_more_than_500_queries_are_split(plugin: PluginProcess, settings: Any, moto: Any) -> None:
    seed(moto)
    refs = [f"Q{i}" for i in range(501)]
    resp = plugin.query([data_query(r, panel_query(r, "Sum"), ms(START), ms(END)) for r in refs], settings)
    assert set(resp.responses) == set(refs)
    assert all(a.status == 200 and not a.error for a in resp.responses.values())
    assert all(decode(resp.responses[r].frames[0]).column("Value").to_pylist() == [4.0, 10.0] for r in refs[::50])
    assert gmd_calls(plugin) == 2


def test_bad_query_among_good_ones_errors_only_its_ref_id(plugin: PluginProcess, settings: Any, moto: Any) -> None:
    seed(moto)
    queries = [
        data_query("A", panel_query("A"), ms(START), ms(END)),
        data_query("B", panel_query("B", period="every now and then"), ms(START), ms(END)),
        data_query("C", panel_query("C", dimensions=[1, 2]), ms(START), ms(END)),
        pb.DataQuery(refId="D", json=b"{not json", timeRange=pb.TimeRange(fromEpochMS=ms(START), toEpochMS=ms(END))),
        data_query("E", panel_query("E"), ms(END), ms(START)),  # reversed range
        data_query("F", panel_query("F", "Maximum"), ms(START), ms(END)),
    ]
    resp = plugin.query(queries, settings)
    assert set(resp.responses) == set("ABCDEF")
    for ref in "BCDE":
        answer = resp.responses[ref]
        assert answer.status == 400 and answer.errorSource == "plugin" and answer.error, ref
        assert not answer.frames
    assert "period" in resp.responses["B"].error
    assert "dimensions" in resp.responses["C"].error
    assert decode(resp.responses["A"].frames[0]).column("Value").to_pylist() == [2.0, 10.0]
    assert decode(resp.responses["F"].frames[0]).column("Value").to_pylist() == [3.0, 10.0]
    assert plugin.ping() == 1


def test_aws_error_is_downstream_on_its_ref_ids_only(plugin: PluginProcess, moto: Any) -> None:
    seed(moto)
    broken = datasource_settings({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": moto.url},
                                 {"accessKey": "AKIDE2E", "secretKey": "e2e-secret"})
    queries = [data_query("A", panel_query("A"), ms(START), ms(END)),
               # moto 500s on extended statistics (a real AWS would answer): the error stays on B's group
               data_query("B", panel_query("B", "p99"), ms(START), ms(END + timedelta(minutes=1)))]
    resp = plugin.query(queries, broken)
    assert resp.responses["A"].status == 200 and not resp.responses["A"].error
    assert resp.responses["B"].error and resp.responses["B"].errorSource == "downstream"
    assert 500 <= resp.responses["B"].status <= 599


def resource(plugin: PluginProcess, settings: Any, path: str, query: str = "", method: str = "GET"
             ) -> tuple[int, Any]:
    [message] = plugin.call_resource(path, settings, query=query, method=method)
    return message.code, json.loads(message.body)


def test_resource_routes_return_grafana_shapes(plugin: PluginProcess, settings: Any, moto: Any) -> None:
    seed(moto)
    seed(moto, service="web")
    code, namespaces = resource(plugin, settings, "namespaces")
    assert code == 200 and {"value": "Test/App"} in namespaces and {"value": "AWS/EC2"} in namespaces
    code, metric_list = resource(plugin, settings, "metrics", "region=default&namespace=Test/App")
    assert code == 200 and metric_list == [{"value": {"name": "Latency", "namespace": "Test/App"}}]
    code, keys = resource(plugin, settings, "dimension-keys", "region=us-east-1&namespace=Test/App&metricName=Latency")
    assert code == 200 and keys == [{"value": "Service"}]
    code, values = resource(plugin, settings, "dimension-values",
                            "region=us-east-1&namespace=Test/App&metricName=Latency&dimensionKey=Service")
    assert code == 200 and values == [{"value": "api"}, {"value": "web"}]
    code, regions = resource(plugin, settings, "regions")
    assert code == 200 and {"value": {"name": "us-east-1"}} in regions
    code, body = resource(plugin, settings, "metrics", method="POST")
    assert code == 405 and set(body) == {"Message", "Error", "StatusCode"}
    code, body = resource(plugin, settings, "no-such-route")
    assert code == 404 and body["StatusCode"] == 404


def test_collect_metrics_reports_queries_calls_errors_and_durations(plugin: PluginProcess, settings: Any,
                                                                     moto: Any) -> None:
    seed(moto)
    queries = [data_query("A", panel_query("A"), ms(START), ms(END)),
               data_query("B", panel_query("B", "p99"), ms(START), ms(END + timedelta(minutes=1))),
               data_query("C", panel_query("C", period="x"), ms(START), ms(END))]
    plugin.query(queries, settings)
    text = plugin.diagnostics.CollectMetrics(pb.CollectMetricsRequest(), timeout=10).metrics.prometheus.decode()
    assert 'cloudwatch_plugin_queries_total{datasource="ds-1",outcome="ok"} 1.0' in text
    assert 'cloudwatch_plugin_queries_total{datasource="ds-1",outcome="error"} 2.0' in text
    assert re.search(r'cloudwatch_plugin_aws_calls_total\{datasource="ds-1",operation="GetMetricData",'
                     r'region="us-east-1"\} 2\.0', text), text
    assert re.search(r'cloudwatch_plugin_aws_errors_total\{[^}]*operation="GetMetricData"[^}]*\} 1\.0', text)
    assert 'cloudwatch_plugin_request_duration_seconds_count{method="QueryData"} 1.0' in text
