"""query.py: every DataQuery field, legacy forms, errors naming the field, and the auto-period table."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from cloudwatch_datasource.cloudwatch.query import (
    MetricEditorMode,
    MetricQuery,
    MetricQueryType,
    auto_period,
    derive_id,
    migrate_alias,
    parse_query,
)
from cloudwatch_datasource.errors import ErrorSource, QueryError

from .helpers import NOW, data_query, metric_stat


def parse(model: dict[str, Any], ref_id: str = "A", **kw: Any) -> MetricQuery:
    return parse_query(data_query(ref_id, model, **kw), default_region="eu-west-1", now=NOW)


def test_metric_stat_fields() -> None:
    q = parse(metric_stat(id="cpu", label="CPU ${PROP('Dim.InstanceId')}", accountId="123",
                          timezoneUTCOffset="+0100"))
    assert (q.region, q.namespace, q.metric_name, q.statistic) == ("us-east-1", "AWS/EC2", "CPUUtilization",
                                                                   "Average")
    assert q.dimensions == (("InstanceId", ("i-1",)),)
    assert q.period == 60 and not q.period_is_auto
    assert q.id == "cpu" and q.label == "CPU ${PROP('Dim.InstanceId')}"
    assert q.account_id == "123" and q.timezone_utc_offset == "+0100"
    assert q.match_exact and q.return_data
    assert q.query_type is MetricQueryType.SEARCH and q.editor_mode is MetricEditorMode.BUILDER
    assert q.end - q.start == timedelta(hours=1)


@pytest.mark.parametrize("region", ["default", "", None])
def test_default_region(region: str | None) -> None:
    model = metric_stat()
    model["region"] = region
    assert parse(model).region == "eu-west-1"


def test_missing_default_region_names_region() -> None:
    with pytest.raises(QueryError, match="region: missing default region"):
        parse_query(data_query("A", metric_stat(region="default")), default_region="", now=NOW)


@pytest.mark.parametrize(("raw", "seconds", "auto"), [
    ("", 60, True), ("auto", 60, True), ("AUTO", 60, True), (None, 60, True),
    ("300", 300, False), ("15m", 900, False), ("2h45m", 9900, False), (300, 300, False), (60.0, 60, False),
])
def test_period_forms(raw: object, seconds: int, auto: bool) -> None:
    q = parse(metric_stat(period=raw))
    assert (q.period, q.period_is_auto) == (seconds, auto)


@pytest.mark.parametrize("raw", ["abc", "1.5", 0, -60, True, [60], "0"])
def test_bad_period_names_field(raw: object) -> None:
    with pytest.raises(QueryError, match="^period:"):
        parse(metric_stat(period=raw))


def test_period_auto_macro_replaced_in_expression() -> None:
    q = parse({"expression": "SEARCH('{AWS/EC2} x', 'Average', $__period_auto)"}, span=timedelta(days=2))
    assert q.expression == "SEARCH('{AWS/EC2} x', 'Average', 300)"
    assert q.editor_mode is MetricEditorMode.CODE  # missing metricEditorMode + expression → Code


def test_legacy_dimension_string_and_wildcard() -> None:
    q = parse(metric_stat(dimensions={"b": "x", "a": ["1", "2"], "c": ["*"]}))
    assert q.dimensions == (("a", ("1", "2")), ("b", ("x",)), ("c", ("*",)))
    assert q.is_inferred_search


@pytest.mark.parametrize("dims", [{"a": []}, {"a": 1}, {"a": [1]}, {"a": None}, ["a"]])
def test_bad_dimensions_name_field(dims: object) -> None:
    with pytest.raises(QueryError, match="^dimensions"):
        parse(metric_stat(dimensions=dims))


def test_statistic_legacy_and_missing() -> None:
    model = metric_stat(statistics=["Maximum", "Sum"])
    del model["statistic"]
    assert parse(model).statistic == "Maximum"
    model["statistics"] = []
    assert parse(model).statistic == "Average"
    del model["statistics"]
    with pytest.raises(QueryError, match="statistic: query must have either statistic or statistics"):
        parse(model)
    # Code-mode queries need no statistic.
    assert parse({"expression": "a*2", "metricEditorMode": 1}).statistic == "Average"


def test_match_exact_default_and_hide() -> None:
    model = metric_stat(hide=True)
    del model["matchExact"]
    q = parse(model)
    assert q.match_exact and not q.return_data
    # Alerting sends type "": data always comes back, hidden or not.
    assert parse(metric_stat(hide=True, type="")).return_data


def test_id_derived_deterministically_and_validated() -> None:
    assert parse(metric_stat()).id == "queryA"
    assert parse(metric_stat(), ref_id="A-1").id == parse(metric_stat(), ref_id="A-1").id
    assert parse(metric_stat(), ref_id="A-1").id.startswith("query_")
    assert derive_id("A-1") != derive_id("A_1")
    with pytest.raises(QueryError, match="^id:"):
        parse(metric_stat(id="Bad"))


@pytest.mark.parametrize(("alias", "label"), [
    ("{{metric}} {{stat}}", "${PROP('MetricName')} ${PROP('Stat')}"),
    ("{{namespace}}/{{period}}/{{region}}/{{label}}",
     "${PROP('Namespace')}/${PROP('Period')}/${PROP('Region')}/${LABEL}"),
    ("{{ InstanceId }}", "${PROP('Dim.InstanceId')}"),
])
def test_alias_migrated(alias: str, label: str) -> None:
    assert migrate_alias(alias) == label
    assert parse(metric_stat(alias=alias)).label == label


def test_label_wins_over_alias_even_empty() -> None:
    assert parse(metric_stat(alias="{{metric}}", label="")).label == ""


def test_insights_and_code_modes() -> None:
    q = parse({"metricQueryType": 1, "metricEditorMode": 1, "sqlExpression": "SELECT AVG(CPUUtilization) FROM x"})
    assert q.query_type is MetricQueryType.INSIGHTS
    with pytest.raises(QueryError, match="^sqlExpression"):
        parse({"metricQueryType": 1, "sqlExpression": ""})
    with pytest.raises(QueryError, match="^expression"):
        parse({"metricEditorMode": 1})
    with pytest.raises(QueryError, match="^metricQueryType"):
        parse(metric_stat(metricQueryType=7))
    with pytest.raises(QueryError, match="^metricEditorMode"):
        parse(metric_stat(metricEditorMode="1"))


@pytest.mark.parametrize(("field", "value"), [("namespace", ""), ("metricName", "")])
def test_builder_requires_namespace_and_metric(field: str, value: str) -> None:
    with pytest.raises(QueryError, match=f"^{field}"):
        parse(metric_stat(**{field: value}))


@pytest.mark.parametrize(("model", "match"), [
    ({"type": "logAction"}, "^type:.*not supported"),
    ({"type": "annotationQuery"}, "^type:.*not supported"),
    ({"queryMode": "Logs"}, "^queryMode:.*not supported"),
])
def test_non_metrics_queries_rejected(model: dict[str, object], match: str) -> None:
    with pytest.raises(QueryError, match=match):
        parse(metric_stat(**model))


def test_wrong_types_and_json() -> None:
    with pytest.raises(QueryError, match="^namespace: must be a string"):
        parse(metric_stat(namespace=5))
    with pytest.raises(QueryError, match="^matchExact"):
        parse(metric_stat(matchExact="yes"))
    with pytest.raises(QueryError, match="query JSON is invalid"):
        from cloudwatch_datasource.backend import DataQuery, TimeRange
        parse_query(DataQuery("A", TimeRange(0, 1000), b"{nope"), default_region="x")
    err = pytest.raises(QueryError, parse, metric_stat(namespace=5)).value
    assert err.status == 400 and err.source is ErrorSource.PLUGIN


def test_time_range_must_be_ordered() -> None:
    with pytest.raises(QueryError, match="invalid time range"):
        parse(metric_stat(), start=NOW, end=NOW)


@pytest.mark.parametrize(("span", "ago", "period"), [
    (timedelta(days=1), timedelta(0), 60),
    (timedelta(days=2), timedelta(0), 300),
    (timedelta(days=7), timedelta(0), 900),
    (timedelta(days=30), timedelta(0), 3600),
    (timedelta(days=90), timedelta(0), 21600),
    (timedelta(days=365), timedelta(0), 21600),
    (timedelta(days=730), timedelta(0), 86400),
    (timedelta(days=2), timedelta(days=14), 300),
    (timedelta(hours=1), timedelta(0), 60),
])
def test_auto_period_reference_examples(span: timedelta, ago: timedelta, period: int) -> None:
    end = NOW - ago
    assert auto_period(end - span, end, now=NOW) == period
    assert parse(metric_stat(period="auto"), start=end - span, end=end).period == period
