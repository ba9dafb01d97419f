"""Metrics Insights GROUP BY labels, as Grafana sees them (issue 16): the plugin under grafana-server's own client
(the Go host, tests/support/grafana_host.py) and AWS played by the fake endpoint (tests/support/fake_aws.py), which
answers a GROUP BY query the way AWS does: one series per group, labelled with the group's values in GROUP BY
order and `Other` for metrics without a key.

Each series gets `Series` plus one label per GROUP BY key, so the dataplane readers (alerting's) see distinct label
sets that name the group; with a label of the user's set, AWS's labels name no group and only `Series` is set.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support.fake_aws import FakeAws
from support.grafana_host import GrafanaHost, StartGrafana, data_query, datasource, field_schema, field_values

START = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30)
END = START + timedelta(minutes=5)
INSIGHTS = {"region": "us-east-1", "period": "60", "metricQueryType": 1, "metricEditorMode": 0,
            "queryMode": "Metrics", "namespace": "AWS/EC2", "metricName": "CPUUtilization"}


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture
def fake() -> Iterator[FakeAws]:
    with FakeAws() as running:
        yield running


@pytest.fixture
def plugin(grafana: StartGrafana, isolated_aws_env: dict[str, str]) -> Iterator[GrafanaHost]:
    host = grafana(env={**isolated_aws_env, "GF_PLUGIN_AWS_MAX_ATTEMPTS": "1"})
    yield host
    stopped = host.kill()
    assert stopped["graceful"], stopped["hostLog"]


def settings(fake: FakeAws) -> dict[str, Any]:
    return datasource({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": fake.url},
                      {"accessKey": "AKIDINSIGHTS", "secretKey": "insights-secret"})


def labels_of(plugin: GrafanaHost, fake: FakeAws, models: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, str]]]:
    # One Metrics Insights query per GetMetricData call: each query gets a time range, hence a call, of its own.
    resp = plugin.query([data_query(ref, {**INSIGHTS, **model}, ms(START), ms(END + timedelta(minutes=n)))
                         for n, (ref, model) in enumerate(models.items())], settings(fake))
    out: dict[str, list[dict[str, str]]] = {}
    for ref in models:
        result = resp.results[ref]
        assert result["status"] == 200 and "error" not in result, (ref, result)
        report = resp.readers[ref]
        assert report["kind"] == "timeseries-multi" and not report.get("error"), (ref, report)
        frames = resp.frames(ref)
        out[ref] = [field_schema(f, "Value")["labels"] for f in frames]
        # The values are the fake's per group (1, 1.5, 2 for the first group, 2, 2.5, 3 for the second, ...).
        assert [field_values(f, "Value")[0] for f in frames] == [float(n) for n in range(1, len(frames) + 1)]
        # What alerting reads: the same labels, one distinct set per series.
        assert [s["labels"] for s in report["series"]] == out[ref]
        assert report["distinctLabelSets"], (ref, report["series"])
    return out


def test_group_by_keys_become_series_labels(plugin: GrafanaHost, fake: FakeAws) -> None:
    one_key = "SELECT AVG(CPUUtilization) FROM \"AWS/EC2\" GROUP BY InstanceType"
    two_keys = ("SELECT MAX(CPUUtilization) FROM \"AWS/EC2\" WHERE InstanceType != 'c5.xlarge' "
                "GROUP BY \"InstanceType\", InstanceId ORDER BY MAX() DESC LIMIT 3")
    labels = labels_of(plugin, fake, {
        "A": {"id": "bytype", "sqlExpression": one_key},
        "B": {"id": "bytypeandid", "sqlExpression": two_keys},
        "C": {"id": "nogroup", "sqlExpression": "SELECT AVG(CPUUtilization) FROM \"AWS/EC2\""},
        "D": {"id": "static", "sqlExpression": one_key, "label": "CPU"},
        "E": {"id": "dynamic", "sqlExpression": "SELECT AVG(CPUUtilization) FROM \"AWS/EC2\" GROUP BY InstanceId",
              "label": "${LABEL} avg"},
    })
    assert labels["A"] == [
        {"Series": "t3.micro", "InstanceType": "t3.micro"},
        {"Series": "m5.large", "InstanceType": "m5.large"},
        # A metric without the key is in AWS's `Other` group.
        {"Series": "Other", "InstanceType": "Other"},
    ]
    assert labels["B"] == [
        {"Series": "t3.micro i-1", "InstanceType": "t3.micro", "InstanceId": "i-1"},
        {"Series": "t3.micro i-2", "InstanceType": "t3.micro", "InstanceId": "i-2"},
        {"Series": "m5.large i-3", "InstanceType": "m5.large", "InstanceId": "i-3"},
    ]
    assert labels["C"] == [{"Series": "nogroup"}]  # no GROUP BY: one series, no key labels
    # A static label is the legend, not sent: AWS's group labels come back.
    assert labels["D"] == labels["A"]
    sent = {q["Id"]: q for call in fake.calls("GetMetricData") for q in call["MetricDataQueries"]}
    assert "Label" not in sent["static"]
    assert sent["bytypeandid"]["Expression"] == two_keys and sent["bytypeandid"]["Period"] == 60
    # A dynamic label is sent; AWS resolves it per group, and the plugin cannot tell the group from it: `Series` only.
    assert sent["dynamic"]["Label"] == "${LABEL} avg"
    assert labels["E"] == [{"Series": f"{group} avg"} for group in ("i-1", "i-2", "i-3", "Other")]
