"""The editor's routes through the handshake (issue 16): the namespace catalogue (cloudwatch/data/namespaces.json),
botocore's regions, the picker cache and `dimensionFilters` wildcards, as grafana-server's own client sees them.

The plugin runs under the Go host (tests/support/grafana_host.py); AWS is the one fake endpoint
(tests/support/fake_aws.py), which records every request it receives, so "no AWS call" is read at the endpoint.
botocore retries are off, so one API call is one request.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.fake_aws import FakeAws
from support.grafana_host import GrafanaHost, StartGrafana, datasource

from cloudwatch_datasource.cloudwatch.namespaces import known_namespaces

NEWER_REGIONS = ("ap-east-2", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-west-1", "mx-central-1")


def start(grafana: StartGrafana, env: dict[str, str], **extra: str) -> GrafanaHost:
    """The plugin under the Go host, botocore retries off (one API call is one request at the fake); the `grafana`
    fixture stops it."""
    return grafana(env={**env, "GF_PLUGIN_AWS_MAX_ATTEMPTS": "1", **extra})


@pytest.fixture
def plugin(grafana: StartGrafana, isolated_aws_env: dict[str, str]) -> GrafanaHost:
    return start(grafana, isolated_aws_env)


def settings(fake: FakeAws, *, access_key: str = "AKIDEDITOR", region: str = "us-east-1",
             custom: str = "") -> dict[str, Any]:
    return datasource({"authType": "keys", "defaultRegion": region, "endpoint": fake.url,
                       "customMetricsNamespaces": custom},
                      {"accessKey": access_key, "secretKey": "editor-secret"}, uid="ds-editor")


def get(plugin: GrafanaHost, ds: dict[str, Any], path: str, query: str = "") -> tuple[int, Any]:
    answer = plugin.call_resource(path, ds, query=query)
    return answer["status"], json.loads(answer["body"])


def test_namespaces_metrics_and_keys_come_from_the_data_file(plugin: GrafanaHost, fake: FakeAws) -> None:
    ds = settings(fake, custom="Team/Orders")
    known = known_namespaces()
    status, namespaces = get(plugin, ds, "namespaces")
    assert status == 200 and [n["value"] for n in namespaces] == sorted({*known, "Team/Orders"})
    for name in ("AWS/ElastiCache", "AWS/ApiGateway", "AWS/NATGateway", "CWAgent", "ContainerInsights",
                 "ECS/ContainerInsights"):
        status, metrics = get(plugin, ds, "metrics", f"region=default&namespace={name}")
        assert status == 200 and metrics == [{"value": {"name": m, "namespace": name}} for m in known[name].metrics]
        status, keys = get(plugin, ds, "dimension-keys", f"region=us-east-1&namespace={name}")
        assert status == 200 and keys == [{"value": k} for k in known[name].dimension_keys]
    assert fake.count("ListMetrics") == 0  # known namespaces never ask AWS

    # Not a CloudWatch namespace: not offered, and asked of ListMetrics like any custom one.
    assert {"value": "AWS/EKS/ContainerInsights"} not in namespaces
    status, metrics = get(plugin, ds, "metrics", "region=us-east-1&namespace=AWS/EKS/ContainerInsights")
    assert status == 200 and fake.calls("ListMetrics")[-1]["Namespace"] == "AWS/EKS/ContainerInsights"
    status, metrics = get(plugin, ds, "metrics", "region=us-east-1&namespace=Team/Orders")
    assert metrics == [{"value": {"name": "Requests", "namespace": "Team/Orders"}}]
    assert fake.count("ListMetrics") == 2


def test_regions_are_botocores_for_the_partition_even_when_describe_regions_fails(plugin: GrafanaHost,
                                                                                 fake: FakeAws) -> None:
    fake.fail("DescribeRegions", status=403, code="UnauthorizedOperation", message="not allowed", times=None)
    status, regions = get(plugin, settings(fake), "regions")
    names = [r["value"]["name"] for r in regions]
    assert status == 200 and names == sorted(names)
    assert set(NEWER_REGIONS) <= set(names) and "cn-north-1" not in names and "us-gov-west-1" not in names
    status, regions = get(plugin, settings(fake, region="cn-north-1"), "regions")
    assert status == 200 and [r["value"]["name"] for r in regions] == ["cn-north-1", "cn-northwest-1"]


def test_a_pickers_second_call_does_not_reach_aws(plugin: GrafanaHost, fake: FakeAws) -> None:
    fake.handler("ListMetrics", lambda request: {"Metrics": [
        {"Namespace": "Team/Orders", "MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": v}]}
        for v in ("web", "api")]})
    ds = settings(fake)
    query = "region=us-east-1&namespace=Team/Orders&metricName=Latency&dimensionKey=Service"
    first = get(plugin, ds, "dimension-values", query)
    assert first == (200, [{"value": "api"}, {"value": "web"}]) and fake.count("ListMetrics") == 1
    assert get(plugin, ds, "dimension-values", query) == first
    assert fake.count("ListMetrics") == 1  # answered from the picker cache

    # Another AWS identity (new keys: a new settings fingerprint) never shares the entry; nor does another region.
    assert get(plugin, settings(fake, access_key="AKIDOTHER"), "dimension-values", query) == first
    assert fake.count("ListMetrics") == 2
    assert get(plugin, ds, "dimension-values", query.replace("us-east-1", "eu-west-1")) == first
    assert fake.count("ListMetrics") == 3
    assert {call["Dimensions"][0]["Name"] for call in fake.calls("ListMetrics")} == {"Service"}

    # An error is not kept: the next call asks again and gets the answer.
    fake.fail("ListMetrics", status=400, code="Throttling", message="Rate exceeded", times=1)
    assert get(plugin, ds, "dimension-keys", "region=us-east-1&namespace=Team/Orders")[0] == 429
    assert get(plugin, ds, "dimension-keys", "region=us-east-1&namespace=Team/Orders") == (200, [{"value": "Service"}])
    assert fake.count("ListMetrics") == 5


def test_picker_cache_can_be_turned_off(grafana: StartGrafana, isolated_aws_env: dict[str, str],
                                        fake: FakeAws) -> None:
    host = start(grafana, isolated_aws_env, GF_PLUGIN_PICKER_CACHE_TTL="0")
    for _ in range(2):
        assert get(host, settings(fake), "metrics", "region=us-east-1&namespace=Team/Orders")[0] == 200
    assert fake.count("ListMetrics") == 2


WILDCARDS = [  # dimensionFilters → the ListMetrics filter sent, and the values answered
    ({"Stage": "*"}, [{"Name": "Stage"}], ["a", "b", "c"]),
    ({"Stage": ""}, [{"Name": "Stage"}], ["a", "b", "c"]),
    ({"Stage": None}, [{"Name": "Stage"}], ["a", "b", "c"]),
    ({"Stage": []}, [{"Name": "Stage"}], ["a", "b", "c"]),
    ({"Stage": ["prod", "*"]}, [{"Name": "Stage"}], ["a", "b", "c"]),
    ({"Stage": "prod"}, [{"Name": "Stage", "Value": "prod"}], ["a", "b"]),
    ({"Stage": ["prod", "dev"]}, [{"Name": "Stage"}], ["a", "b", "c"]),
    ({"Stage": ["prod", "test"]}, [{"Name": "Stage"}], ["a", "b"]),
]


@pytest.mark.parametrize(("filters", "sent", "values"), WILDCARDS)
def test_dimension_values_with_wildcard_filters(plugin: GrafanaHost, fake: FakeAws, filters: dict[str, Any],
                                                sent: list[dict[str, str]], values: list[str]) -> None:
    def answer(request: dict[str, Any]) -> dict[str, Any]:
        # What AWS does with the filters it is sent: name must be present, value must equal when given.
        metrics = [(x, stage) for x, stage in (("a", "prod"), ("b", "prod"), ("c", "dev"), ("d", None))]
        wanted = {f["Name"]: f.get("Value") for f in request.get("Dimensions", [])}
        out = []
        for x, stage in metrics:
            dims = {"Host": x, **({"Stage": stage} if stage else {})}
            if all(k in dims and (v is None or dims[k] == v) for k, v in wanted.items()):
                out.append({"Namespace": "Team/Orders", "MetricName": "Latency",
                            "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()]})
        return {"Metrics": out}

    fake.handler("ListMetrics", answer)
    query = ("region=us-east-1&namespace=Team/Orders&metricName=Latency&dimensionKey=Host&dimensionFilters="
             + json.dumps(filters))
    status, body = get(plugin, settings(fake), "dimension-values", query)
    assert status == 200 and body == [{"value": v} for v in values]
    assert fake.calls("ListMetrics")[-1]["Dimensions"] == [{"Name": "Host"}, *sent]


def test_too_many_dimension_filters_fail_clearly(plugin: GrafanaHost, fake: FakeAws) -> None:
    filters = json.dumps({f"K{i}": "*" for i in range(11)})
    status, body = get(plugin, settings(fake), "dimension-keys", f"region=us-east-1&namespace=Team/Orders"
                                                                 f"&dimensionFilters={filters}")
    assert status == 400 and "at most 10 dimension filters" in body["Error"] and fake.count("ListMetrics") == 0
