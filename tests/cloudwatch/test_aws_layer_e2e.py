"""The AWS layer seen from Grafana (issue 14): every AWS operation the plugin performs is counted, and what
GetMetricData bills is counted and shown per query.

The plugin runs under grafana-server's own client (the Go host, tests/support/grafana_host.py); AWS is the one fake
endpoint (tests/support/fake_aws.py), which records every request it receives. botocore retries are off
(`GF_PLUGIN_AWS_MAX_ATTEMPTS=1`), so each API call is exactly one request the fake received, and the counters read
through CollectMetrics must equal the fake's own record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support.fake_aws import FakeAws
from support.grafana_host import GrafanaHost, StartGrafana, data_query, datasource, go_plugin

from .helpers import samples

START = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30)
END = START + timedelta(minutes=5)
UID = "ds-layer"
PRICE = 2.5  # dollars per 1,000 metrics: not the default, so the setting is seen to apply
EC2 = {"namespace": "AWS/EC2", "metricName": "CPUUtilization", "statistic": "Average", "period": "60",
       "region": "us-east-1", "metricQueryType": 0, "metricEditorMode": 0, "queryMode": "Metrics",
       "dimensions": {"InstanceId": ["i-1"]}, "matchExact": True}
SEARCH = "SEARCH('{AWS/EC2,InstanceId} MetricName=\"CPUUtilization\"', 'Average', 60)"
SQL = "SELECT AVG(CPUUtilization) FROM SCHEMA(\"AWS/EC2\", InstanceId) GROUP BY InstanceId"
# Series the fake returns per query Id: SEARCH and Metrics Insights are billed by what they return.
RETURNED = {"stat": 1, "stat2": 1, "math": 1, "search": 4, "builder": 3, "sql": 2}


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture
def plugin(grafana: StartGrafana, isolated_aws_env: dict[str, str]) -> Iterator[GrafanaHost]:
    yield from go_plugin(grafana, isolated_aws_env, GF_PLUGIN_PRICE_PER_1000_METRICS=str(PRICE))


def settings(fake: FakeAws) -> dict[str, Any]:
    return datasource({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": fake.url},
                      {"accessKey": "AKIDLAYERTEST", "secretKey": "layer-secret"}, uid=UID)


def by_operation(text: str, name: str, **labels: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for key, value in samples(text, name).items():
        as_dict = dict(key)
        if all(as_dict.get(k) == v for k, v in labels.items()):
            found[as_dict["operation"]] = found.get(as_dict["operation"], 0.0) + value
    return found


def answer_get_metric_data(request: dict[str, Any]) -> dict[str, Any]:
    start = float(request["StartTime"])
    results = []
    for q in request["MetricDataQueries"]:
        if not q.get("ReturnData", True):
            continue
        for n in range(RETURNED[q["Id"]]):
            results.append({"Id": q["Id"], "Label": f"{q['Id']} {n}", "StatusCode": "Complete",
                            "Timestamps": [start, start + 60], "Values": [float(n), n + 0.5]})
    return {"MetricDataResults": results}


def billed_by_fake(fake: FakeAws) -> int:
    """What AWS would bill for the GetMetricData requests the fake received (docs/queries.md, "Metrics requested
    and cost"): each MetricStat sent, plus each series a SEARCH or Metrics Insights query returned."""
    total = 0
    for body in fake.calls("GetMetricData"):
        for q in body["MetricDataQueries"]:
            expression = q.get("Expression", "")
            if "MetricStat" in q:
                total += 1
            elif "SEARCH(" in expression or expression.startswith("SELECT"):
                total += RETURNED[q["Id"]]
    return total


def test_metrics_requested_equal_what_the_endpoint_received(plugin: GrafanaHost, fake: FakeAws) -> None:
    fake.handler("GetMetricData", answer_get_metric_data)
    models = {
        "A": {**EC2, "id": "stat"},  # MetricStat
        "B": {**EC2, "id": "stat2", "statistic": "Maximum"},  # MetricStat
        "C": {**EC2, "id": "math", "metricEditorMode": 1, "expression": "stat * 2"},  # math: not billed itself
        "D": {**EC2, "id": "search", "metricEditorMode": 1, "expression": SEARCH},  # SEARCH: what it returns
        "E": {**EC2, "id": "builder", "dimensions": {"InstanceId": ["i-1", "i-2", "i-3"]}},  # inferred SEARCH
        "F": {**EC2, "id": "sql", "metricQueryType": 1, "metricEditorMode": 1, "sqlExpression": SQL},  # Insights
    }
    # Metrics Insights goes into a call of its own (one per call): its own time range.
    resp = plugin.query([data_query(ref, model, ms(START), ms(END + timedelta(minutes=ref == "F")))
                         for ref, model in models.items()], settings(fake))
    expected_per_query = {"A": 1, "B": 1, "C": 0, "D": 4, "E": 3, "F": 2}
    for ref, count in expected_per_query.items():
        result = resp.results[ref]
        assert result["status"] == 200 and "error" not in result, (ref, result)
        assert result["frames"], ref
        for frame in resp.frames(ref):
            meta = frame["schema"]["meta"]
            assert meta["custom"]["metricsRequested"] == count, (ref, meta)
            assert meta["custom"]["estimatedCostUSD"] == pytest.approx(count * PRICE / 1000), (ref, meta)
            stats = {s["displayName"]: s for s in meta["stats"]}
            assert stats["GetMetricData metrics requested"]["value"] == count, (ref, meta["stats"])
            cost = stats["Estimated GetMetricData cost"]
            assert cost["value"] == pytest.approx(count * PRICE / 1000) and cost["unit"] == "currencyUSD"
    assert [resp.frames("C")[0]["schema"]["meta"]["custom"]["billedAs"],
            resp.frames("E")[0]["schema"]["meta"]["custom"]["billedAs"],
            resp.frames("F")[0]["schema"]["meta"]["custom"]["billedAs"]] == ["math", "SEARCH", "Metrics Insights"]

    text = plugin.collect_metrics()
    billed = billed_by_fake(fake)
    assert billed == sum(expected_per_query.values()) == 11
    requested = samples(text, "cloudwatch_plugin_getmetricdata_metrics_requested_total")
    assert requested == {(("datasource", UID), ("region", "us-east-1")): float(billed)}
    cost = samples(text, "cloudwatch_plugin_getmetricdata_estimated_cost_usd_total")
    assert cost[(("datasource", UID), ("region", "us-east-1"))] == pytest.approx(billed * PRICE / 1000)

    # A second identical request is billed again, exactly as often as the endpoint is asked.
    plugin.query([data_query("A", models["A"], ms(START), ms(END))], settings(fake))
    again = samples(plugin.collect_metrics(), "cloudwatch_plugin_getmetricdata_metrics_requested_total")
    assert again[(("datasource", UID), ("region", "us-east-1"))] == float(billed_by_fake(fake)) == billed + 1


def test_every_route_and_query_type_is_counted_by_operation(plugin: GrafanaHost, fake: FakeAws) -> None:
    fake.handler("GetMetricData", answer_get_metric_data)
    fake.handler("ListSinks", lambda request: {"Items": []})
    ds = settings(fake)
    plugin.query([data_query("A", {**EC2, "id": "stat"}, ms(START), ms(END)),
                  data_query("D", {**EC2, "id": "search", "metricEditorMode": 1, "expression": SEARCH},
                             ms(START), ms(END)),
                  data_query("F", {**EC2, "id": "sql", "metricQueryType": 1, "metricEditorMode": 1,
                                   "sqlExpression": SQL}, ms(START), ms(END + timedelta(minutes=1)))], ds)
    assert plugin.check_health(ds)["status"] == "OK"
    for path, query in (("regions", ""), ("metrics", "region=us-east-1&namespace=Custom/App"),
                        ("dimension-keys", "region=us-east-1&namespace=Custom/App&metricName=Requests"),
                        ("accounts", "region=us-east-1"),
                        ("ec2-instance-attribute", "region=us-east-1&attributeName=InstanceId&filters={}"),
                        ("resource-arns", "region=us-east-1&resourceType=ec2:instance&tags={}")):
        answer = plugin.call_resource(path, ds, query=query)
        assert answer["status"] == 200, (path, answer["body"])

    operations = {"GetMetricData", "GetCallerIdentity", "ListMetrics", "DescribeLogGroups", "DescribeRegions",
                  "ListSinks", "DescribeInstances", "GetResources"}
    received = {op: fake.count(op) for op in operations}
    assert all(received.values()), received
    text = plugin.collect_metrics()
    calls = by_operation(text, "cloudwatch_plugin_aws_calls_total", datasource=UID, region="us-east-1")
    assert calls == received
    latency = by_operation(text, "cloudwatch_plugin_aws_call_duration_seconds_count", region="us-east-1")
    assert {op: latency.get(op) for op in operations} == received
    assert by_operation(text, "cloudwatch_plugin_aws_errors_total", datasource=UID) == {}

    # AWS namespaces are answered from the data file (cloudwatch/namespaces.py); custom ones call ListMetrics.
    assert received["ListMetrics"] == 3  # health's probe, metrics and dimension-keys
    # A picker's repeat is answered from the picker cache: no call, nothing counted.
    assert plugin.call_resource("metrics", ds, query="region=us-east-1&namespace=Custom/App")["status"] == 200
    assert fake.count("ListMetrics") == 3

    # Failures of any operation are counted by code, throttles apart, and the health check names them.
    fake.fail("DescribeRegions", status=403, code="UnauthorizedOperation", message="not allowed", times=1)
    fake.fail("ListMetrics", status=400, code="Throttling", message="Rate exceeded", times=1)
    assert plugin.call_resource("regions", ds)["status"] == 200  # the static list still answers
    listing = plugin.call_resource("metrics", ds, query="region=us-east-1&namespace=Custom/Other")
    assert listing["status"] == 429 and "Throttling:" in json.loads(listing["body"])["Error"]
    text = plugin.collect_metrics()
    errors = samples(text, "cloudwatch_plugin_aws_errors_total")
    assert errors == {
        (("code", "UnauthorizedOperation"), ("datasource", UID), ("operation", "DescribeRegions"),
         ("region", "us-east-1")): 1.0,
        (("code", "Throttling"), ("datasource", UID), ("operation", "ListMetrics"), ("region", "us-east-1")): 1.0}
    assert by_operation(text, "cloudwatch_plugin_aws_throttles_total", datasource=UID) == {"ListMetrics": 1.0}
    # The failed calls were made and timed too.
    calls = by_operation(text, "cloudwatch_plugin_aws_calls_total", datasource=UID, region="us-east-1")
    assert calls["DescribeRegions"] == fake.count("DescribeRegions")
    assert calls["ListMetrics"] == fake.count("ListMetrics")

    health = plugin.check_health(ds)
    assert health["status"] == "OK"
    details = json.loads(health["jsonDetails"]) if isinstance(health["jsonDetails"], str) else health["jsonDetails"]
    recent = details["recentAwsFailures"]
    assert re.search(r"ListMetrics in us-east-1, \d+ min ago: Throttling: ListMetrics: AWS throttled", recent), recent
    assert re.search(r"DescribeRegions in us-east-1, \d+ min ago: access denied for ec2:DescribeRegions", recent)
    assert "layer-secret" not in json.dumps(details)
