"""insights.py: the GROUP BY keys of a Metrics Insights query and each grouped series' values of them."""

from __future__ import annotations

import pytest

from cloudwatch_datasource.cloudwatch.insights import group_by_keys, group_labels


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
