"""The namespace data file (cloudwatch/data/namespaces.json) checked against itself and against AWS's naming rules,
and the routes against it (in process here; through the handshake in test_editor_routes.py)."""

from __future__ import annotations

import json
import re
from datetime import date
from importlib import resources

import pytest
from support.fake_aws import FakeAws
from support.routes import call_route

from cloudwatch_datasource.cloudwatch.namespaces import DATA_FILE, known_namespaces

RAW = json.loads(resources.files("cloudwatch_datasource.cloudwatch").joinpath(DATA_FILE).read_text())
# Names someone might be tempted to add that are not CloudWatch namespaces (Container Insights on EKS publishes
# to `ContainerInsights`; AWS/CloudWatch is not a namespace services publish to).
NOT_NAMESPACES = {"AWS/EKS/ContainerInsights", "AWS/ContainerInsights", "EKS/ContainerInsights", "AWS/CloudWatch"}
MUST_HAVE = {"AWS/EC2", "AWS/ElastiCache", "AWS/ApiGateway", "AWS/NATGateway", "CWAgent", "ContainerInsights",
             "ECS/ContainerInsights", "AWS/Lambda", "AWS/RDS", "AWS/Billing"}


def well_formed(name: str) -> bool:
    """AWS's rules for namespaces, metric and dimension names (PutMetricData / Dimension API reference): 1-255
    printable ASCII characters, no leading colon; and none of ours has leading or trailing blanks."""
    return 1 <= len(name) <= 255 and re.fullmatch(r"[\x20-\x7e]+", name) is not None and not name.startswith(":") \
        and name == name.strip()


def test_the_file_says_where_its_facts_come_from_and_when() -> None:
    assert "docs.aws.amazon.com" in RAW["_source"]
    assert date.fromisoformat(RAW["_retrieved"]) <= date.today()


def test_namespaces_are_sorted_unique_well_formed_and_real() -> None:
    names = list(RAW["namespaces"])
    assert names == sorted(names) and len(names) == len(set(names)) >= 140
    assert all(well_formed(n) for n in names), [n for n in names if not well_formed(n)]
    assert not NOT_NAMESPACES & set(names)
    assert MUST_HAVE <= set(names)
    # AWS's own namespaces start with AWS/ (a few documented exceptions: CWAgent, ContainerInsights, Glue, ...);
    # a lower-case aws/ would be a typo, SageMaker's /aws/sagemaker/ paths excepted.
    assert not [n for n in names if n.lower().startswith("aws/") and not n.startswith("AWS/")]


@pytest.mark.parametrize("namespace", sorted(RAW["namespaces"]))
def test_each_namespace_has_sorted_unique_well_formed_metrics_and_keys(namespace: str) -> None:
    entry = RAW["namespaces"][namespace]
    assert set(entry) == {"metrics", "dimensionKeys"}
    for kind in ("metrics", "dimensionKeys"):
        values = entry[kind]
        assert values == sorted(values) and len(values) == len(set(values)), (namespace, kind)
        assert all(well_formed(v) for v in values), (namespace, kind)
    assert entry["metrics"], f"{namespace} has no metrics"


def test_the_loaded_catalogue_is_the_file() -> None:
    known = known_namespaces()
    assert list(known) == list(RAW["namespaces"])
    for name, entry in RAW["namespaces"].items():
        assert known[name].metrics == tuple(entry["metrics"])
        assert known[name].dimension_keys == tuple(entry["dimensionKeys"])


def no_aws(region: str, service: str) -> object:
    raise AssertionError(f"known namespaces must not call AWS ({service} in {region})")


def test_routes_answer_every_known_namespace_from_the_file() -> None:
    known = known_namespaces()
    status = call_route("namespaces", clients=no_aws, custom_namespaces=("Team/Orders",)).status
    assert status == 200
    everything = json.loads(call_route("metrics", "region=us-east-1", clients=no_aws).body)
    assert everything == [{"value": {"name": m, "namespace": ns}} for ns in sorted(known) for m in known[ns].metrics]
    for name, entry in known.items():
        metrics = json.loads(call_route("metrics", f"region=us-east-1&namespace={name}", clients=no_aws).body)
        assert [m["value"]["name"] for m in metrics] == list(entry.metrics)
        if entry.dimension_keys:
            keys = json.loads(call_route("dimension-keys", f"region=us-east-1&namespace={name}",
                                         clients=no_aws).body)
            assert [k["value"] for k in keys] == list(entry.dimension_keys)


def test_a_known_namespace_without_listed_keys_asks_list_metrics(fake: FakeAws) -> None:
    assert not known_namespaces()["AWS/EC2/API"].dimension_keys
    response = call_route("dimension-keys", "region=us-east-1&namespace=AWS/EC2/API",
                          clients=lambda region, service: fake.client(region, service))
    assert (response.status, json.loads(response.body)) == (200, [{"value": "Service"}])
    assert fake.calls("ListMetrics")[-1]["Namespace"] == "AWS/EC2/API"
