"""The metrics-requested rule (cloudwatch/billing.py, docs/queries.md "Metrics requested and cost") on plans as
plan.py builds them: MetricStat once per answered call, math nothing, SEARCH and Metrics Insights the series they
returned."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from cloudwatch_datasource.backend import DataQuery, TimeRange
from cloudwatch_datasource.cloudwatch.billing import BilledAs, billed_as, estimated_cost, requested_by_query
from cloudwatch_datasource.cloudwatch.execute import PlanOutcome
from cloudwatch_datasource.cloudwatch.plan import build_plans
from cloudwatch_datasource.cloudwatch.query import parse_query
from cloudwatch_datasource.policy import ClientTuning

END = datetime(2026, 1, 1, 12, tzinfo=UTC)
RANGE = TimeRange(int((END - timedelta(hours=1)).timestamp() * 1000), int(END.timestamp() * 1000))
BASE = {"namespace": "AWS/EC2", "metricName": "CPUUtilization", "statistic": "Average", "period": "60",
        "region": "us-east-1", "metricQueryType": 0, "metricEditorMode": 0, "dimensions": {"InstanceId": ["i-1"]},
        "matchExact": True}


def plan_of(**models: dict[str, object]) -> PlanOutcome:
    queries = [parse_query(DataQuery(ref_id=ref, time_range=RANGE,
                                     json=json.dumps({**BASE, "id": ref.lower(), **model}).encode()),
                           default_region="us-east-1", now=END)
               for ref, model in models.items()]
    [plan] = build_plans(queries)
    return PlanOutcome(plan=plan)


def test_each_kind_is_billed_by_its_rule() -> None:
    outcome = plan_of(
        A={},
        B={"metricEditorMode": 1, "expression": "a * 2"},
        C={"metricEditorMode": 1, "expression": "SEARCH('{AWS/EC2,InstanceId} CPUUtilization', 'Average', 60)"},
        D={"dimensions": {"InstanceId": ["i-1", "i-2"]}},
    )
    kinds = [billed_as(p) for p in outcome.plan.queries]
    assert kinds == [BilledAs.METRIC_STAT, BilledAs.MATH, BilledAs.SEARCH, BilledAs.SEARCH]
    assert requested_by_query(outcome) == {"a": 0, "b": 0, "c": 0, "d": 0}  # nothing answered, nothing billed
    outcome.pages = 2  # two answered pages: the MetricStat was sent twice
    outcome.series_returned = {"b": 5, "c": 7, "d": 2}
    assert requested_by_query(outcome) == {"a": 2, "b": 0, "c": 7, "d": 2}


def test_insights_counts_the_series_it_returned() -> None:
    outcome = plan_of(F={"metricQueryType": 1, "metricEditorMode": 1,
                         "sqlExpression": "SELECT AVG(CPUUtilization) FROM SCHEMA(\"AWS/EC2\", InstanceId)"})
    assert [billed_as(p) for p in outcome.plan.queries] == [BilledAs.INSIGHTS]
    outcome.pages, outcome.series_returned = 1, {"f": 3}
    assert requested_by_query(outcome) == {"f": 3}


def test_price_setting_and_estimate() -> None:
    assert ClientTuning.from_env({}).price_per_1000_metrics == 0.01
    assert ClientTuning.from_env({"GF_PLUGIN_PRICE_PER_1000_METRICS": "0"}).price_per_1000_metrics == 0.0
    assert ClientTuning.from_env({"GF_PLUGIN_PRICE_PER_1000_METRICS": "-1"}).price_per_1000_metrics == 0.01
    assert ClientTuning.from_env({"GF_PLUGIN_PRICE_PER_1000_METRICS": "nan"}).price_per_1000_metrics == 0.01
    assert estimated_cost(2000, 0.01) == 0.02
