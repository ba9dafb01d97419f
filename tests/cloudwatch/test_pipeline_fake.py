"""run_metric_queries against the local fake CloudWatch: the exact requests sent (SEARCH text, Ids, Period,
Label, EndTime on every page) and frames built from what moto can't produce (paging, PartialData, Messages,
ArithmeticError, throttling, slow or failing regions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from support.fake_aws import FakeAws, RawBody, get_metric_data_answer

from cloudwatch_datasource import metrics
from cloudwatch_datasource.cloudwatch.pipeline import run_metric_queries
from cloudwatch_datasource.errors import ErrorSource, PluginError

from .helpers import NOW, data_query, epoch_ns, metric_stat, numbers

T0 = datetime(2026, 6, 1, 11, 0, tzinfo=UTC)



def run(fake: FakeAws, queries: list[Any], **kw: Any) -> dict[str, Any]:
    # One client per region, built up front: client creation is slow enough to blur the concurrency test.
    clients = {r: fake.client(r) for r in ("us-east-1", "eu-west-1")}
    return run_metric_queries(queries, default_region="us-east-1",
                              client_for_region=lambda region, service: clients[region], now=NOW, **kw)


def ts(*minutes: int) -> list[datetime]:
    return [T0 + timedelta(minutes=m) for m in minutes]


def test_paging_partial_data_and_messages(fake: FakeAws) -> None:
    fake.script("GetMetricData", [
        {"MetricDataResults": [
            {"Id": "queryA", "Label": "CPU|&|i-1", "Timestamps": ts(0, 1), "Values": [1.0, 2.0],
             "StatusCode": "PartialData"},
            {"Id": "queryA", "Label": "CPU|&|i-2", "Timestamps": ts(0), "Values": [5.0], "StatusCode": "Complete"},
        ], "NextToken": "page2", "Messages": [{"Code": "MaxMetricsExceeded", "Value": "limited"}]},
        {"MetricDataResults": [
            {"Id": "queryA", "Label": "CPU|&|i-1", "Timestamps": ts(2), "Values": [3.0], "StatusCode": "Complete"},
        ]},
    ])
    end = datetime(2026, 6, 1, 11, 59, 31, tzinfo=UTC)
    model = metric_stat(dimensions={"InstanceId": ["i-1", "i-2"]}, period="300", statistic="p99")
    answers = run(fake, [data_query("A", model, end=end)])

    calls = fake.calls("GetMetricData")
    assert len(calls) == 2
    assert calls[0]["MetricDataQueries"] == [{
        "Id": "queryA", "ReturnData": True, "Label": "${LABEL}|&|${PROP('Dim.InstanceId')}",
        "Expression": "REMOVE_EMPTY(SEARCH('{\"AWS/EC2\",\"InstanceId\"} MetricName=\"CPUUtilization\" "
                      "\"InstanceId\"=(\"i-1\" OR \"i-2\")', 'p99', 300))",
    }]
    # EndTime rounded up once, and the same on every page; only NextToken differs.
    assert [c["EndTime"] for c in calls] == [datetime(2026, 6, 1, 12, 0, tzinfo=UTC).timestamp()] * 2
    assert "NextToken" not in calls[0] and calls[1]["NextToken"] == "page2"
    assert {k: v for k, v in calls[1].items() if k != "NextToken"} == calls[0]
    assert calls[0]["ScanBy"] == "TimestampAscending"

    resp = answers["A"]
    assert resp.status == 200 and not resp.error
    by_instance = {f.fields[1].labels["InstanceId"]: f for f in resp.frames}
    assert numbers(by_instance["i-1"].fields[1]) == [1.0, 2.0, 3.0]
    assert epoch_ns(by_instance["i-1"].fields[0]) == [int(t.timestamp()) * 10**9
                                                                     for t in ts(0, 1, 2)]
    notices = [n.text for n in by_instance["i-2"].meta["notices"]]
    assert notices == ["cloudwatch GetMetricData error: Maximum number of allowed metrics exceeded. "
                       "Your search may have been limited"]


def test_math_hidden_inputs_and_arithmetic_error(fake: FakeAws) -> None:
    fake.script("GetMetricData", [{"MetricDataResults": [
        {"Id": "m1", "Label": "m1", "Timestamps": ts(0), "Values": [1.0], "StatusCode": "Complete"},
        {"Id": "e1", "Label": "ratio", "Timestamps": ts(0), "Values": [0.5], "StatusCode": "Complete",
         "Messages": [{"Code": "ArithmeticError", "Value": "division by zero at 11:01"}]},
    ]}])
    answers = run(fake, [
        data_query("A", metric_stat(id="m1", hide=True)),
        data_query("B", {"type": "timeSeriesQuery", "expression": "m1 / 0", "id": "e1", "label": "ratio",
                         "period": "60"}),
    ])
    [call] = fake.calls("GetMetricData")
    assert [m["Id"] for m in call["MetricDataQueries"]] == ["m1", "e1"]
    assert call["MetricDataQueries"][0]["ReturnData"] is False
    assert call["MetricDataQueries"][1] == {"Id": "e1", "ReturnData": True, "Expression": "m1 / 0",
                                            "Period": 60, "Label": "ratio"}
    assert answers["A"].frames == [] and answers["A"].status == 200
    assert answers["B"].error == 'ArithmeticError in query "B": division by zero at 11:01'
    assert answers["B"].frames[0].meta["executedQueryString"] == "m1 / 0"


def test_throttled_plan_fails_only_its_refids(fake: FakeAws) -> None:
    fake.script("GetMetricData", [{"MetricDataResults": [
        {"Id": "queryB", "Label": "x", "Timestamps": ts(0), "Values": [1.0], "StatusCode": "Complete"}]}])
    fake.fail("GetMetricData", status=400, code="Throttling", message="Rate exceeded")
    before = metrics.AWS_THROTTLES.labels("ds1", "us-east-1", "GetMetricData")._value.get()
    answers = run(fake, [data_query("A", metric_stat()), data_query("B", metric_stat(), span=timedelta(hours=2))],
                  max_workers=1, datasource="ds1")
    assert answers["A"].error.startswith(("Throttling:", "Rate exceeded"))
    assert answers["A"].error_source is ErrorSource.DOWNSTREAM
    assert answers["B"].status == 200 and answers["B"].frames
    assert metrics.AWS_THROTTLES.labels("ds1", "us-east-1", "GetMetricData")._value.get() == before + 1


def test_client_factory_error_only_fails_that_region(fake: FakeAws) -> None:
    def factory(region: str, service: str) -> Any:
        if region == "eu-west-1":
            raise PluginError("assume role denied", status=403)
        return fake.client(region)

    answers = run_metric_queries(
        [data_query("A", metric_stat(region="eu-west-1")), data_query("B", metric_stat()),
         data_query("C", metric_stat(namespace=""))],
        default_region="us-east-1", client_for_region=factory, now=NOW)
    assert (answers["A"].error, answers["A"].status) == ("assume role denied", 403)
    assert answers["B"].status == 200 and not answers["B"].error
    assert answers["C"].error.startswith("namespace:")


def test_duplicate_ids_fail_only_the_later_query(fake: FakeAws) -> None:
    answers = run(fake, [data_query("A", metric_stat(id="m1")), data_query("B", metric_stat(id="m1"))])
    assert not answers["A"].error
    assert answers["B"].error.startswith("id: 'm1' is already used by query \"A\"")
    assert [m["Id"] for m in fake.calls("GetMetricData")[0]["MetricDataQueries"]] == ["m1"]


def test_plans_run_concurrently(fake: FakeAws) -> None:
    fake.delay_s = 0.5  # each answer waits, so calls made one after the other never overlap
    queries = [data_query(f"R{i}", metric_stat(), span=timedelta(hours=i + 1)) for i in range(4)]
    answers = run(fake, queries, max_workers=4)
    assert len(fake.calls("GetMetricData")) == 4 and all(a.status == 200 for a in answers.values())
    assert fake.max_in_flight >= 2  # counted by the fake: no wall-clock bound to miss on a busy machine


def test_label_timezone_and_metric_stat_request(fake: FakeAws) -> None:
    run(fake, [data_query("A", metric_stat(timezoneUTCOffset="+0130", label="${PROP('Dim.InstanceId')}",
                                           accountId="123456789012", period="5m"))])
    [call] = fake.calls("GetMetricData")
    assert call["LabelOptions"] == {"Timezone": "+0130"}
    assert call["MetricDataQueries"] == [{
        "Id": "queryA", "ReturnData": True, "Label": "${PROP('Dim.InstanceId')}", "AccountId": "123456789012",
        "MetricStat": {"Metric": {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization",
                                  "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}]},
                       "Period": 300, "Stat": "Average"},
    }]


def test_query_aws_rejects_fails_alone_and_the_rest_of_the_call_is_answered(fake: FakeAws) -> None:
    fake.script("GetMetricData", [{"MetricDataResults": [
        {"Id": "a", "Label": "a", "Timestamps": ts(0), "Values": [1.0], "StatusCode": "Complete"},
        {"Id": "c", "Label": "c", "Timestamps": ts(0), "Values": [3.0], "StatusCode": "Complete"}]}])
    fake.fail("GetMetricData", status=400, code="ValidationError",
              message="Error in expression 'b': Unrecognized function FOO")
    answers = run(fake, [data_query("A", metric_stat(id="a")),
                         data_query("B", {**metric_stat(id="b"), "metricEditorMode": 1, "expression": "FOO(a)"}),
                         data_query("C", metric_stat(id="c"))])
    assert answers["B"].status == 400 and "Unrecognized function FOO" in answers["B"].error
    assert answers["B"].error_source is ErrorSource.DOWNSTREAM
    assert [a.status for a in (answers["A"], answers["C"])] == [200, 200]
    assert answers["A"].frames and answers["C"].frames and not answers["A"].error
    calls = fake.calls("GetMetricData")
    assert [[m["Id"] for m in c["MetricDataQueries"]] for c in calls] == [["a", "b", "c"], ["a", "c"]]


def test_positional_validation_error_blames_that_member_only_once(fake: FakeAws) -> None:
    fake.fail("GetMetricData", status=400, code="ValidationError", times=2,
              message="1 validation error detected: Value 'Bogus' at 'metricDataQueries.2.member.metricStat.stat' "
                      "failed to satisfy constraint")
    answers = run(fake, [data_query("A", metric_stat(id="a")), data_query("B", metric_stat(id="b", statistic="x")),
                         data_query("C", metric_stat(id="c"))])
    assert "metricStat.stat" in answers["B"].error
    # The retry failed too (AWS said the same again): no second isolation round, the rest get that error.
    assert answers["A"].error and answers["C"].error and answers["A"].status == 400
    assert len(fake.calls("GetMetricData")) == 2


# --- AWS's GetMetricData limits, as the fake enforces them (tests/support/fake_aws.py) --------------------------

def insights(**overrides: Any) -> dict[str, Any]:
    return {"type": "timeSeriesQuery", "region": "us-east-1", "metricQueryType": 1, "metricEditorMode": 1,
            "sqlExpression": 'SELECT AVG(CPUUtilization) FROM "AWS/EC2"', "period": "300", **overrides}


def test_two_metrics_insights_queries_of_one_panel_are_both_answered(fake: FakeAws) -> None:
    # AWS takes one Metrics Insights query per GetMetricData call ("Maximum number of queries (1) exceeded").
    answers = run(fake, [data_query("A", insights()), data_query("B", metric_stat()),
                         data_query("C", insights(sqlExpression='SELECT MAX(NetworkIn) FROM "AWS/EC2"'))])
    assert {ref: (a.status, a.error) for ref, a in answers.items()} == {
        "A": (200, ""), "B": (200, ""), "C": (200, "")}
    calls = fake.calls("GetMetricData")
    insights_per_call = [sum("Expression" in q and q["Expression"].startswith("SELECT")
                             for q in c["MetricDataQueries"]) for c in calls]
    assert insights_per_call and max(insights_per_call) == 1 and sum(insights_per_call) == 2


def test_pages_the_endpoint_cuts_at_its_datapoint_limit_are_followed(fake: FakeAws) -> None:
    # AWS returns at most 100,800 datapoints per call and pages the rest; the fake pages at 10 here so the
    # answer stays small. 4 series × 3 points: pages of 10 cut one series in two.
    fake.page_datapoints = 10
    answers = run(fake, [data_query(ref, metric_stat(dimensions={"InstanceId": [f"i-{n}"]}))
                         for ref, n in (("A", 1), ("B", 2), ("C", 3), ("D", 4))])
    assert len(fake.calls("GetMetricData")) == 2
    for ref, n in (("A", 1), ("B", 2), ("C", 3), ("D", 4)):
        assert answers[ref].status == 200 and not answers[ref].error
        [frame] = answers[ref].frames
        assert numbers(frame.fields[1]) == [n, n + 0.5, n + 1.0]


def test_unequal_lists_pair_per_result_across_pages_and_non_finite_strings_are_numbers(fake: FakeAws) -> None:
    fake.script("GetMetricData", [
        {"MetricDataResults": [{"Id": "queryA", "Label": "CPU", "Timestamps": ts(0, 1, 2), "Values": [1.0, 2.0],
                                "StatusCode": "PartialData"}], "NextToken": "page2"},
        # Smithy's awsJson sends non-finite doubles as strings; the pairs of this page must not shift.
        {"MetricDataResults": [{"Id": "queryA", "Label": "CPU", "Timestamps": ts(3, 4),
                                "Values": ["NaN", "Infinity", "-Infinity"], "StatusCode": "Complete"}]},
    ])
    [frame] = run(fake, [data_query("A", metric_stat())])["A"].frames
    assert epoch_ns(frame.fields[0]) == [int(t.timestamp()) * 10**9 for t in ts(0, 1, 3, 4)]
    values = numbers(frame.fields[1])
    assert values[:2] == [1.0, 2.0] and values[2] != values[2] and values[3] == float("inf")
    assert any("1 timestamps without a value and 1 values without a timestamp" in n.text
               for n in frame.meta["notices"])


def test_a_call_whose_queries_are_all_hidden_needs_no_results(fake: FakeAws) -> None:
    fake.script("GetMetricData", [{}])
    answers = run(fake, [data_query("A", metric_stat(hide=True, type="timeSeriesQuery"))])
    assert answers["A"].status == 200 and not answers["A"].error and not answers["A"].frames


def test_a_bad_answer_is_downstream_and_keeps_the_other_call(fake: FakeAws) -> None:
    def answer(request: dict[str, Any]) -> Any:
        if request["MetricDataQueries"][0]["Id"] == "bad":
            return RawBody(b'{"MetricDataResults": [{"Id": "bad", "Values": [1, }')
        return get_metric_data_answer(request)

    fake.handler("GetMetricData", answer)
    answers = run(fake, [data_query("A", metric_stat(id="bad")), data_query("B", metric_stat(region="eu-west-1"))])
    assert (answers["A"].status, answers["A"].error_source) == (502, ErrorSource.DOWNSTREAM)
    assert "no MetricDataResults" in answers["A"].error
    assert answers["B"].status == 200 and numbers(answers["B"].frames[0].fields[1]) == [1.0, 1.5, 2.0]


def test_a_period_aws_refuses_fails_only_its_query(fake: FakeAws) -> None:
    # Periods are 1, 5, 10, 20, 30 or a multiple of 60 (MetricStat): query.py refuses any other before AWS is
    # asked, so the rest of the call goes out once, without it.
    answers = run(fake, [data_query("A", metric_stat(period="45")), data_query("B", metric_stat(id="m2"))])
    assert answers["A"].status == 400 and "period: 45 seconds is not a period CloudWatch accepts" in \
        answers["A"].error
    assert answers["B"].status == 200 and not answers["B"].error and answers["B"].frames
    assert len(fake.calls("GetMetricData")) == 1
