"""insights.py: the GROUP BY keys of a Metrics Insights query, each grouped series' values of them, and which label
is sent (plan.py) and read back (frames.py)."""

from __future__ import annotations

import pytest

from cloudwatch_datasource.cloudwatch.frames import series_name_and_labels
from cloudwatch_datasource.cloudwatch.insights import group_by_keys, group_labels
from cloudwatch_datasource.cloudwatch.plan import build_metric_data_query
from cloudwatch_datasource.cloudwatch.query import MetricQuery, parse_query

from .helpers import NOW, data_query


@pytest.mark.parametrize(("sql", "keys"), [
    ('SELECT AVG(CPUUtilization) FROM SCHEMA("AWS/EC2", InstanceId) GROUP BY InstanceId', ("InstanceId",)),
    ('select sum(x) from "A/B" group by "Type", Instance-Group order by sum() desc limit 3',
     ("Type", "Instance-Group")),
    ("SELECT AVG(x) FROM y GROUP BY $key LIMIT 5", ("$key",)),
    ("SELECT AVG(x) FROM y WHERE a = 'GROUP BY z'", ()),  # inside a value: not a clause
    ("SELECT AVG(x) FROM y", ()),
    ("SELECT AVG(x) FROM y GROUP BY", ()),
    ("SELECT AVG(x) FROM y GROUP BY a b", ()),  # not a key list: no labels rather than wrong ones
    ("SELECT AVG(x) FROM y GROUP BY a,", ()),
])
def test_group_by_keys(sql: str, keys: tuple[str, ...]) -> None:
    assert group_by_keys(sql) == keys


def test_group_labels_split_only_when_certain() -> None:
    assert group_labels(("InstanceType",), "t3.micro") == {"InstanceType": "t3.micro"}
    assert group_labels(("Name",), "web server") == {"Name": "web server"}  # one key: the whole label
    assert group_labels(("A", "B"), "x Other") == {"A": "x", "B": "Other"}
    assert group_labels(("A", "B"), "x y z") == {}  # a value with a space: ambiguous, no labels
    assert group_labels((), "anything") == {}


def _insights(sql: str, label: str = "") -> MetricQuery:
    model = {"metricQueryType": 1, "metricEditorMode": 0, "sqlExpression": sql, "period": "60", "label": label}
    return parse_query(data_query("A", model), default_region="us-east-1", now=NOW)


GROUPED = "SELECT AVG(CPUUtilization) FROM \"AWS/EC2\" GROUP BY InstanceType, InstanceId"


@pytest.mark.parametrize(("query", "sent", "labels"), [
    # No label: AWS's group label comes back and splits into the keys.
    (_insights(GROUPED), None, {"Series": "t3.micro i-1", "InstanceType": "t3.micro", "InstanceId": "i-1"}),
    # A static label is the legend, not sent: the group labels still come back.
    (_insights(GROUPED, "CPU"), None, {"Series": "t3.micro i-1", "InstanceType": "t3.micro", "InstanceId": "i-1"}),
    # A dynamic label is sent; what AWS returns for it names no group.
    (_insights(GROUPED, "${LABEL} avg"), "${LABEL} avg", {"Series": "t3.micro i-1"}),
    # Without GROUP BY a static label is sent as before.
    (_insights("SELECT AVG(CPUUtilization) FROM \"AWS/EC2\"", "CPU"), "CPU", {"Series": "t3.micro i-1"}),
])
def test_labels_sent_and_read_back(query: MetricQuery, sent: str | None, labels: dict[str, str]) -> None:
    assert build_metric_data_query(query).metric_data_query.get("Label") == sent
    name, got = series_name_and_labels(query, "t3.micro i-1")
    assert got == labels
    assert name == (query.label if query.label == "CPU" else "t3.micro i-1")
