"""plan.py: exact SEARCH text, MetricDataQuery shapes, grouping, the 500 split, EndTime rounding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cloudwatch_datasource.cloudwatch.plan import (
    build_metric_data_query,
    build_plans,
    round_up_to_minute,
    search_expression,
    search_label,
)
from cloudwatch_datasource.cloudwatch.query import MetricQuery, parse_query

from .helpers import NOW, data_query, metric_stat


def q(model: dict[str, Any], ref_id: str = "A", **kw: Any) -> MetricQuery:
    return parse_query(data_query(ref_id, model, **kw), default_region="us-east-1", now=NOW)


def test_search_exact_with_known_multi_and_wildcard() -> None:
    query = q(metric_stat(dimensions={"lb2": ["v"], "lb1": ["a", "b"], "lb3": ["*"]}, period="300"))
    assert search_expression(query) == (
        "REMOVE_EMPTY(SEARCH('{\"AWS/EC2\",\"lb1\",\"lb2\",\"lb3\"} MetricName=\"CPUUtilization\" "
        "\"lb1\"=(\"a\" OR \"b\") \"lb2\"=\"v\"', 'Average', 300))")


def test_search_exact_single_values() -> None:
    query = q(metric_stat(dimensions={"lb1": ["lb1"], "lb2": ["lb2"], "lb3": ["lb3"]}, period="300",
                          matchExact=True, accountId="all"))
    assert search_expression(query) == (
        "REMOVE_EMPTY(SEARCH('{\"AWS/EC2\",\"lb1\",\"lb2\",\"lb3\"} MetricName=\"CPUUtilization\" "
        "\"lb1\"=\"lb1\" \"lb2\"=\"lb2\" \"lb3\"=\"lb3\"', 'Average', 300))")


def test_search_not_exact_wildcards_appended_bare() -> None:
    query = q(metric_stat(dimensions={"lb1": ["lb1"], "lb2": ["lb2"], "lb3": ["*"]}, period="300",
                          matchExact=False))
    assert search_expression(query) == (
        "REMOVE_EMPTY(SEARCH('Namespace=\"AWS/EC2\" MetricName=\"CPUUtilization\" \"lb1\"=\"lb1\" "
        "\"lb2\"=\"lb2\" \"lb3\"', 'Average', 300))")


def test_search_not_exact_without_dimensions() -> None:
    query = q(metric_stat(dimensions={}, matchExact=False, statistic="p99"))
    assert search_expression(query) == (
        "REMOVE_EMPTY(SEARCH('Namespace=\"AWS/EC2\" MetricName=\"CPUUtilization\"', 'p99', 60))")


def test_search_account_filter_and_escaping() -> None:
    query = q(metric_stat(dimensions={"lb4": ['it"s', "o'k"]}, accountId="123456789012", period="300"))
    assert search_expression(query) == (
        "REMOVE_EMPTY(SEARCH('{\"AWS/EC2\",\"lb4\"} MetricName=\"CPUUtilization\" "
        "\"lb4\"=(\"it\\\"s\" OR \"o\\'k\") :aws.AccountId=\"123456789012\"', 'Average', 300))")


def test_search_label_suffixes_in_sorted_order() -> None:
    query = q(metric_stat(dimensions={"b": ["*"], "a": ["1", "2"], "c": ["x"]}))
    assert search_label(query) == "${LABEL}|&|${PROP('Dim.a')}|&|${PROP('Dim.b')}"
    labelled = q(metric_stat(dimensions={"b": ["*"]}, label="my ${PROP('Stat')}"))
    assert search_label(labelled) == "my ${PROP('Stat')}|&|${PROP('Dim.b')}"


def test_metric_stat_shape() -> None:
    planned = build_metric_data_query(q(metric_stat(id="m1", label="cpu", accountId="111", hide=True,
                                                    dimensions={"InstanceId": ["i-1"], "AZ": "a"})))
    assert planned.metric_data_query == {
        "Id": "m1", "ReturnData": False, "Label": "cpu", "AccountId": "111",
        "MetricStat": {"Metric": {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization",
                                  "Dimensions": [{"Name": "AZ", "Value": "a"}, {"Name": "InstanceId", "Value": "i-1"}]},
                       "Period": 60, "Stat": "Average"},
    }
    assert planned.used_expression == ""


def test_inferred_search_shape() -> None:
    planned = build_metric_data_query(q(metric_stat(dimensions={"InstanceId": ["*"]})))
    mdq = planned.metric_data_query
    assert set(mdq) == {"Id", "ReturnData", "Expression", "Label"}
    assert mdq["Expression"] == planned.used_expression
    assert mdq["Label"] == "${LABEL}|&|${PROP('Dim.InstanceId')}"


def test_math_and_sql_shapes() -> None:
    math = build_metric_data_query(q({"expression": "m1 * 2", "id": "e1", "period": "300", "label": "x"}))
    assert math.metric_data_query == {"Id": "e1", "ReturnData": True, "Expression": "m1 * 2", "Period": 300,
                                      "Label": "x"}
    sql = build_metric_data_query(q({"metricQueryType": 1, "metricEditorMode": 1,
                                     "sqlExpression": "SELECT MAX(x) FROM y", "period": "60"}))
    assert sql.metric_data_query == {"Id": "queryA", "ReturnData": True, "Expression": "SELECT MAX(x) FROM y",
                                     "Period": 60}


def test_end_time_rounded_up_once_per_plan() -> None:
    end = datetime(2026, 6, 1, 11, 59, 30, 500000, tzinfo=UTC)
    assert round_up_to_minute(end) == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert round_up_to_minute(datetime(2026, 6, 1, 12, 0, tzinfo=UTC)) == datetime(2026, 6, 1, 12, 1, tzinfo=UTC)
    [plan] = build_plans([q(metric_stat(), end=end)])
    request = plan.request()
    assert request["EndTime"] == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert request["StartTime"] == end - timedelta(hours=1)
    assert request["ScanBy"] == "TimestampAscending" and "LabelOptions" not in request


def test_grouping_by_region_range_and_timezone() -> None:
    queries = [
        q(metric_stat(), "A"), q(metric_stat(region="eu-west-1"), "B"), q(metric_stat(), "C"),
        q(metric_stat(), "D", span=timedelta(hours=6)), q(metric_stat(timezoneUTCOffset="+0100"), "E"),
    ]
    plans = build_plans(queries)
    assert [[p.query.ref_id for p in plan.queries] for plan in plans] == [["A", "C"], ["B"], ["D"], ["E"]]
    assert plans[3].request()["LabelOptions"] == {"Timezone": "+0100"}
    assert plans[1].region == "eu-west-1"


@pytest.mark.parametrize(("count", "calls"), [(500, 1), (501, 2), (1000, 2), (2000, 4)])
def test_split_at_500(count: int, calls: int) -> None:
    queries = [q(metric_stat(id=f"m{i}"), f"R{i}") for i in range(count)]
    plans = build_plans(queries)
    assert len(plans) == calls
    assert all(len(p.queries) <= 500 for p in plans)
    assert [p.query.id for plan in plans for p in plan.queries] == [f"m{i}" for i in range(count)]


def test_math_expression_kept_with_what_it_references() -> None:
    queries = [q(metric_stat(id=f"m{i}", hide=True), f"R{i}") for i in range(499)]
    queries.append(q({"expression": "m0 + m498", "id": "e1"}, "E1"))
    queries.append(q(metric_stat(id="m499"), "R499"))
    queries.append(q({"expression": "m499 * 2", "id": "e2"}, "E2"))
    plans = build_plans(queries)
    where = {p.query.id: i for i, plan in enumerate(plans) for p in plan.queries}
    assert where["e1"] == where["m0"] == where["m498"]
    assert where["e2"] == where["m499"]
    assert all(len(p.queries) <= 500 for p in plans)


def test_metrics_function_keeps_group_together() -> None:
    queries = [q(metric_stat(id=f"m{i}"), f"R{i}") for i in range(10)]
    queries.append(q({"expression": "SUM(METRICS())", "id": "total"}, "T"))
    assert len(build_plans(queries)) == 1


def insights(query_id: str, sql: str = 'SELECT AVG(CPUUtilization) FROM "AWS/EC2"') -> dict[str, Any]:
    return {"metricQueryType": 1, "metricEditorMode": 1, "sqlExpression": sql, "id": query_id, "period": "300"}


def test_one_metrics_insights_query_per_call() -> None:
    # AWS: "If you include a Metrics Insights query, each GetMetricData operation can include only one query."
    queries = [q(insights("s1"), "S1"), q(metric_stat(id="m1"), "M1"), q(insights("s2"), "S2"),
               q({"expression": "s2 * 2", "id": "e1"}, "E1"), q(insights("s3"), "S3")]
    plans = build_plans(queries)
    per_plan = [[p.query.id for p in plan.queries] for plan in plans]
    assert per_plan == [["s1", "m1"], ["s2", "e1"], ["s3"]]  # math stays with the query it names


def test_a_unit_with_two_insights_queries_is_not_split() -> None:
    # Math over two SQL queries cannot be answered in one call or split: one plan, and AWS's error for it.
    queries = [q(insights("s1"), "S1"), q(insights("s2"), "S2"), q({"expression": "s1 + s2", "id": "e1"}, "E1")]
    assert [[p.query.id for p in plan.queries] for plan in build_plans(queries)] == [["s1", "s2", "e1"]]
