"""The pipeline, resource routes and health checks against a real moto server (what moto computes: basic
statistics, ListMetrics with paging). Call counts come from botocore's before-call event hook."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from support.routes import call_route

from cloudwatch_datasource.cloudwatch.health import check_logs_access, check_metrics_access
from cloudwatch_datasource.cloudwatch.pipeline import run_metric_queries
from cloudwatch_datasource.settings import MISSING_REGION
from cloudwatch_datasource.tools.emulator import free_port

from .helpers import data_query, epoch_ns, metric_stat, numbers

START = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
END = START + timedelta(minutes=5)


class Clients:
    """A caching (region, service) → client factory for moto, counting GetMetricData calls per region."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.cache: dict[tuple[str, str], Any] = {}
        self.gmd_calls: Counter[str] = Counter()

    def __call__(self, region: str, service: str) -> Any:
        key = (region, service)
        if key not in self.cache:
            client = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                           region_name=region).client(
                service, endpoint_url=self.url, config=Config(retries={"total_max_attempts": 1}))
            client.meta.events.register(
                f"before-call.{client.meta.service_model.service_name}.GetMetricData",
                lambda **_: self.gmd_calls.update([region]))
            self.cache[key] = client
        return self.cache[key]


@pytest.fixture
def clients(moto: Any, isolated_aws_env: dict[str, str]) -> Clients:
    return Clients(moto.url)


def seed(cw: Any, namespace: str = "Test/App", name: str = "Latency", dims: dict[str, str] | None = None) -> None:
    dimensions = [{"Name": k, "Value": v} for k, v in (dims or {"Service": "api"}).items()]
    points = [(START + timedelta(seconds=10), 1.0), (START + timedelta(seconds=20), 3.0),
              (START + timedelta(seconds=70), 10.0)]
    cw.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": name, "Dimensions": dimensions, "Timestamp": t, "Value": v} for t, v in points])


def query(stat: str, **overrides: Any) -> dict[str, Any]:
    model = {"namespace": "Test/App", "metricName": "Latency", "dimensions": {"Service": ["api"]},
             "statistic": stat, "period": "60"}
    return metric_stat(**{**model, **overrides})


@pytest.mark.parametrize(("stat", "values"), [
    ("Average", [2.0, 10.0]), ("Sum", [4.0, 10.0]), ("Minimum", [1.0, 10.0]), ("Maximum", [3.0, 10.0]),
    ("SampleCount", [2.0, 1.0]),
])
def test_metric_stat_values_and_timestamps(clients: Clients, stat: str, values: list[float]) -> None:
    seed(clients("us-east-1", "cloudwatch"))
    answers = run_metric_queries([data_query("A", query(stat), start=START, end=END)],
                                 default_region="us-east-1", client_for_region=clients)
    [frame] = answers["A"].frames
    assert numbers(frame.fields[1]) == values
    assert epoch_ns(frame.fields[0]) == [int(START.timestamp()) * 10**9,
                                                        int(START.timestamp() + 60) * 10**9]
    assert frame.fields[1].labels["Service"] == "api"


def test_one_call_per_region_and_time_range(clients: Clients) -> None:
    for region in ("us-east-1", "eu-west-1"):
        seed(clients(region, "cloudwatch"))
    queries = [
        data_query("A", query("Average"), start=START, end=END),
        data_query("B", query("Sum"), start=START, end=END),
        data_query("C", query("Maximum", region="eu-west-1"), start=START, end=END),
        data_query("D", query("Minimum", region="eu-west-1"), start=START, end=END),
        data_query("E", query("Average"), start=START - timedelta(minutes=1), end=END),
    ]
    answers = run_metric_queries(queries, default_region="us-east-1", client_for_region=clients)
    assert clients.gmd_calls == Counter({"us-east-1": 2, "eu-west-1": 1})
    assert all(a.status == 200 and a.frames for a in answers.values())
    assert numbers(answers["D"].frames[0].fields[1]) == [1.0, 10.0]


def test_501_queries_make_two_calls(clients: Clients) -> None:
    seed(clients("us-east-1", "cloudwatch"))
    queries = [data_query(f"R{i}", query("Sum"), start=START, end=END) for i in range(501)]
    answers = run_metric_queries(queries, default_region="us-east-1", client_for_region=clients)
    assert clients.gmd_calls["us-east-1"] == 2
    assert len(answers) == 501
    assert all(numbers(a.frames[0].fields[1]) == [4.0, 10.0] for a in answers.values())


def test_bad_query_only_errors_its_refid(clients: Clients) -> None:
    seed(clients("us-east-1", "cloudwatch"))
    answers = run_metric_queries(
        [data_query("A", query("Average"), start=START, end=END),
         data_query("B", query("Average", period="soon"), start=START, end=END),
         data_query("C", query("Sum"), start=START, end=END)],
        default_region="us-east-1", client_for_region=clients)
    assert answers["A"].frames and answers["C"].frames
    assert answers["B"].error.startswith("period:") and answers["B"].status == 400
    assert clients.gmd_calls["us-east-1"] == 1


# --- resource routes --------------------------------------------------------------------------------------

def call(clients: Clients, path: str, query_string: str = "", method: str = "GET", page_limit: int = 500,
         default_region: str = "us-east-1") -> tuple[int, Any]:
    response = call_route(f"/{path}", query_string, method=method, page_limit=page_limit, clients=clients,
                          default_region=default_region, custom_namespaces=("Test/App",), external_id="stack-123")
    assert response.headers["Content-Type"] == ("application/json",)
    return response.status, json.loads(response.body)


def test_custom_namespace_routes(clients: Clients) -> None:
    cw = clients("us-east-1", "cloudwatch")
    seed(cw, dims={"Service": "api", "Stage": "prod"})
    seed(cw, dims={"Service": "web", "Stage": "prod"})
    seed(cw, name="Errors", dims={"Service": "api"})

    status, body = call(clients, "metrics", "region=us-east-1&namespace=Test/App")
    assert status == 200
    assert body == [{"value": {"name": "Errors", "namespace": "Test/App"}},
                    {"value": {"name": "Latency", "namespace": "Test/App"}}]

    status, body = call(clients, "dimension-keys", "region=default&namespace=Test/App&metricName=Latency")
    assert (status, body) == (200, [{"value": "Service"}, {"value": "Stage"}])

    filters = json.dumps({"Stage": ["prod"]})
    status, body = call(clients, "dimension-keys", f"region=us-east-1&namespace=Test/App&metricName=Latency"
                                                   f"&dimensionFilters={filters}")
    assert (status, body) == (200, [{"value": "Service"}])

    status, body = call(clients, "dimension-values",
                        "region=us-east-1&namespace=Test/App&metricName=Latency&dimensionKey=Service")
    assert (status, body) == (200, [{"value": "api"}, {"value": "web"}])


def test_static_routes(clients: Clients) -> None:
    status, body = call(clients, "namespaces")
    assert status == 200 and {"value": "Test/App"} in body and {"value": "AWS/EC2"} in body
    assert body == sorted(body, key=lambda i: i["value"])

    status, body = call(clients, "metrics", "region=us-east-1&namespace=AWS/Billing")
    assert body == [{"value": {"name": "EstimatedCharges", "namespace": "AWS/Billing"}}]
    status, body = call(clients, "dimension-keys", "region=us-east-1&namespace=AWS/EC2")
    assert {"value": "InstanceId"} in body

    status, body = call(clients, "regions")
    assert status == 200 and {"value": {"name": "eu-west-1"}} in body
    assert body == sorted(body, key=lambda i: i["value"]["name"])

    assert call(clients, "external-id", default_region="") == (200, {"externalId": "stack-123"})


def test_route_errors(clients: Clients) -> None:
    status, body = call(clients, "metrics", "namespace=Test/App")
    assert status == 400 and body["Error"] == "region is required" and body["StatusCode"] == 400
    assert set(body) == {"Message", "Error", "StatusCode"}
    assert call(clients, "metrics", "region=us-east-1", method="POST")[0] == 405
    assert call(clients, "no-such-route")[0] == 404
    assert call(clients, "log-groups")[0] == 400  # a route since issue 18: region is required
    status, body = call(clients, "regions", default_region="")
    assert status == 400 and body["Error"] == MISSING_REGION
    status, body = call(clients, "dimension-values", "region=default&dimensionKey=x", default_region="")
    assert status == 500 and body["Error"] == MISSING_REGION


def test_list_metrics_paging_capped(clients: Clients) -> None:
    cw = clients("us-east-1", "cloudwatch")
    for chunk in range(0, 620, 155):
        cw.put_metric_data(Namespace="Test/App", MetricData=[
            {"MetricName": f"m{i:04d}", "Value": 1.0} for i in range(chunk, chunk + 155)])
    status, body = call(clients, "metrics", "region=us-east-1&namespace=Test/App")
    assert status == 200 and len(body) == 620
    status, body = call(clients, "metrics", "region=us-east-1&namespace=Test/App", page_limit=1)
    assert status == 200 and len(body) == 500


# --- health -----------------------------------------------------------------------------------------------

def test_health_lines(clients: Clients) -> None:
    line = check_metrics_access(clients("us-east-1", "cloudwatch"), page_limit=5)
    assert line.ok and line.message == "Successfully queried the CloudWatch metrics API."
    logs = check_logs_access(clients("us-east-1", "logs"))
    assert logs.ok and logs.message == "Successfully queried the CloudWatch logs API."


def test_health_failures(clients: Clients) -> None:
    dead = Clients(  # a closed port on 127.0.0.1: nothing answers there
        f"http://127.0.0.1:{free_port()}")
    line = check_metrics_access(dead("us-east-1", "cloudwatch"), page_limit=5)
    assert not line.ok and line.message.startswith("CloudWatch metrics query failed:")
    logs = check_logs_access(dead("us-east-1", "logs"))
    assert logs.ok and logs.warning and logs.message.startswith("Warning: CloudWatch logs query failed:")
