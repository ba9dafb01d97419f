"""The fake AWS endpoint (tests/support/fake_aws.py) refuses what AWS refuses, with AWS's error shapes, and pages
what AWS pages: checked through botocore, the client the plugin uses, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
import pytest
from botocore.exceptions import ClientError
from support.fake_aws import MAX_DATAPOINTS, FakeAws, expected_values

# Two days back, on the hour: CloudWatch rounds such a StartTime to the minute (older ones more coarsely).
START = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
END = START + timedelta(hours=1)



def stat(query_id: str, period: int = 60, instance: str = "i-1") -> dict[str, Any]:
    return {"Id": query_id, "MetricStat": {"Metric": {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization",
                                                      "Dimensions": [{"Name": "InstanceId", "Value": instance}]},
                                           "Period": period, "Stat": "Average"}}


def insights(query_id: str) -> dict[str, Any]:
    return {"Id": query_id, "Expression": 'SELECT AVG(CPUUtilization) FROM "AWS/EC2"', "Period": 300}


def get(fake: FakeAws, queries: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    result: dict[str, Any] = fake.client().get_metric_data(MetricDataQueries=queries, StartTime=START, EndTime=END,
                                                           **kw)
    return result


def refused(fake: FakeAws, queries: list[dict[str, Any]], **kw: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        get(fake, queries, **kw)
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def test_at_most_500_queries_per_call(fake: FakeAws) -> None:
    assert len(get(fake, [stat(f"m{i}") for i in range(500)])["MetricDataResults"]) == 500
    status, code, message = refused(fake, [stat(f"m{i}") for i in range(501)])
    assert (status, code) == (400, "ValidationError") and "less than or equal to 500" in message


def test_ids_must_be_unique(fake: FakeAws) -> None:
    assert refused(fake, [stat("m1"), stat("m2"), stat("m1")]) == (
        400, "ValidationError", "The values for parameter id in MetricDataQueries are not unique.")


@pytest.mark.parametrize("bad", ["A", "1a", "a-b", "_a", "aé"])
def test_ids_must_match_the_pattern(fake: FakeAws, bad: str) -> None:
    status, code, message = refused(fake, [stat("ok"), stat(bad)])
    assert (status, code) == (400, "ValidationError")
    assert message == (f"The value {bad} for parameter MetricDataQueries.member.2.Id is not matching the expected "
                       "pattern ^[a-z][a-zA-Z0-9_]*$.")


def test_one_metrics_insights_query_per_call(fake: FakeAws) -> None:
    # one Insights query beside metrics and math is fine
    answer = get(fake, [insights("q1"), stat("m1"), {"Id": "e1", "Expression": "m1 * 2"}])
    assert [r["Id"] for r in answer["MetricDataResults"]] == ["q1", "m1", "e1"]
    assert refused(fake, [insights("q1"), stat("m1"), insights("q2")]) == (
        400, "ValidationError", "Maximum number of queries (1) exceeded")


@pytest.mark.parametrize("period", [1, 5, 10, 20, 30, 60, 120, 3600, 86400])
def test_valid_periods(fake: FakeAws, period: int) -> None:
    assert len(get(fake, [stat("m1", period)])["MetricDataResults"]) == 1


@pytest.mark.parametrize("period", [2, 15, 45, 59, 61, 90, 100])
def test_other_periods_are_refused_naming_the_query(fake: FakeAws, period: int) -> None:
    status, code, message = refused(fake, [stat("m1"), stat("m2", period)])
    assert (status, code) == (400, "ValidationError") and "MetricDataQueries.member.2.MetricStat.Period" in message
    status, code, message = refused(fake, [{"Id": "e1", "Expression": "SEARCH('x', 'Sum')", "Period": period}])
    assert (status, code) == (400, "ValidationError") and "MetricDataQueries.member.1.Period" in message


def test_max_datapoints_must_be_positive(fake: FakeAws) -> None:
    status, code, _ = refused(fake, [stat("m1")], MaxDatapoints=0)
    assert (status, code) == (400, "ValidationError")


def test_more_than_100800_datapoints_are_paged(fake: FakeAws) -> None:
    # In process (fake.answer), without 112,500 points through HTTP and botocore: the wire paging is the same code,
    # checked with small pages below.
    fake.points_per_series = 250
    queries = [stat(f"m{i}", instance=f"i-{i}") for i in range(450)]  # 112,500 points in all
    request = {"MetricDataQueries": queries, "StartTime": START.timestamp(), "EndTime": END.timestamp()}
    first = fake.answer("GetMetricData", request)
    assert isinstance(first, dict)
    assert sum(len(r["Values"]) for r in first["MetricDataResults"]) == MAX_DATAPOINTS
    # 100,800 = 403 series + 50 points: the cut series is PartialData and continues on the next page
    assert first["MetricDataResults"][-1]["Id"] == "m403" and len(first["MetricDataResults"][-1]["Values"]) == 50
    assert first["MetricDataResults"][-1]["StatusCode"] == "PartialData"
    second = fake.answer("GetMetricData", {**request, "NextToken": first["NextToken"]})
    assert isinstance(second, dict) and "NextToken" not in second
    values: dict[str, list[float]] = {}
    for page in (first, second):
        for result in page["MetricDataResults"]:
            values.setdefault(result["Id"], []).extend(result["Values"])
    assert len(values) == 450 and all(len(v) == 250 for v in values.values())
    assert values["m403"] == expected_values(403, 250)


def test_max_datapoints_pages_smaller(fake: FakeAws) -> None:
    pages = list(fake.client().get_paginator("get_metric_data").paginate(
        MetricDataQueries=[stat(f"m{i}") for i in range(10)], StartTime=START, EndTime=END, MaxDatapoints=7))
    assert [sum(len(r["Values"]) for r in p["MetricDataResults"]) for p in pages] == [7, 7, 7, 7, 2]


def test_unknown_or_replayed_next_token_is_invalid(fake: FakeAws) -> None:
    assert refused(fake, [stat("m1")], NextToken="made-up") == (
        400, "InvalidNextToken", "The next token specified is invalid.")
    fake.points_per_series = 10
    token = get(fake, [stat("m1"), stat("m2")], MaxDatapoints=10)["NextToken"]
    assert refused(fake, [stat("m1"), stat("m3")], NextToken=token)[1] == "InvalidNextToken"  # other queries
    fake.points_per_series = 10
    token = get(fake, [stat("m1"), stat("m2")], MaxDatapoints=10)["NextToken"]
    assert get(fake, [stat("m1"), stat("m2")], MaxDatapoints=10, NextToken=token)["MetricDataResults"]
    assert refused(fake, [stat("m1"), stat("m2")], MaxDatapoints=10, NextToken=token)[1] == "InvalidNextToken"


def test_scripted_answers_are_checked_and_paged_too(fake: FakeAws) -> None:
    fake.script("GetMetricData", [{"MetricDataResults": [
        {"Id": "m1", "Label": "big", "Timestamps": [float(i) for i in range(6)], "Values": [float(i) for i in range(6)],
         "StatusCode": "Complete"}]}])
    assert refused(fake, [stat("m1", 45)])[1] == "ValidationError"
    pages = list(fake.client().get_paginator("get_metric_data").paginate(
        MetricDataQueries=[stat("m1")], StartTime=START, EndTime=END, MaxDatapoints=4))
    assert [p["MetricDataResults"][0]["Values"] for p in pages] == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0]]


def test_a_scripted_answers_own_next_token_comes_after_the_fakes_pages(fake: FakeAws) -> None:
    fake.script("GetMetricData", [
        {"MetricDataResults": [{"Id": "m1", "Label": "x", "Timestamps": [1.0, 2.0, 3.0], "Values": [1.0, 2.0, 3.0],
                                "StatusCode": "PartialData"}], "NextToken": "scripted-2"},
        {"MetricDataResults": [{"Id": "m1", "Label": "x", "Timestamps": [4.0], "Values": [4.0],
                                "StatusCode": "Complete"}]},
    ])
    pages = list(fake.client().get_paginator("get_metric_data").paginate(
        MetricDataQueries=[stat("m1")], StartTime=START, EndTime=END, MaxDatapoints=2))
    assert [p["MetricDataResults"][0]["Values"] for p in pages] == [[1.0, 2.0], [3.0], [4.0]]
    assert [c.get("NextToken", "") for c in fake.calls("GetMetricData")][2] == "scripted-2"


def test_error_shape_on_the_wire_is_awsjson_with_the_query_error_header(fake: FakeAws) -> None:
    body = json.dumps({"MetricDataQueries": [stat("Bad")], "StartTime": 0, "EndTime": 60}).encode()
    request = urllib.request.Request(fake.url, data=body, method="POST", headers={
        "X-Amz-Target": "GraniteServiceVersion20100801.GetMetricData", "Content-Type": "application/x-amz-json-1.0"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 400
    assert caught.value.headers["x-amzn-query-error"] == "ValidationError;Sender"
    assert caught.value.headers["Content-Type"] == "application/x-amz-json-1.0"
    error = json.loads(caught.value.read())
    assert error["__type"].endswith("#ValidationError") and "member.1.Id" in error["message"]


def test_cbor_requests_get_cbor_answers_and_errors(fake: FakeAws) -> None:
    """smithy-rpc-v2-cbor, which aws-sdk-go-v2 (the benchmarks' Go reference plugin) speaks: timestamps as tag 1."""
    def post(queries: list[dict[str, Any]]) -> tuple[int, dict[str, str], Any]:
        body = cbor2.dumps({"MetricDataQueries": queries, "StartTime": cbor2.CBORTag(1, START.timestamp()),
                            "EndTime": cbor2.CBORTag(1, END.timestamp())})
        request = urllib.request.Request(fake.url + "/service/GraniteServiceVersion20100801/operation/GetMetricData",
                                         data=body, method="POST", headers={"Content-Type": "application/cbor",
                                                                            "smithy-protocol": "rpc-v2-cbor"})
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return resp.status, dict(resp.headers), cbor2.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), cbor2.loads(err.read())

    status, _, answer = post([stat("m1", instance="i-4")])
    [result] = answer["MetricDataResults"]
    assert status == 200 and result["Values"] == [4.0, 4.5, 5.0]
    assert result["Timestamps"][0] == START  # tag 1, decoded by cbor2 as a datetime
    status, headers, error = post([insights("q1"), insights("q2")])
    assert status == 400 and headers["x-amzn-query-error"] == "ValidationError;Sender"
    assert error["__type"].endswith("#ValidationError") and error["message"] == "Maximum number of queries (1) exceeded"


def test_faults_scripts_and_records(fake: FakeAws) -> None:
    fake.fail("ListMetrics", status=400, code="Throttling", message="Rate exceeded", times=1)
    client = fake.client()
    with pytest.raises(ClientError) as caught:
        client.list_metrics()
    assert caught.value.response["Error"]["Code"] == "Throttling"
    assert client.list_metrics()["Metrics"][0]["MetricName"] == "Requests"  # then the default answer again
    fake.handler("ListMetrics", lambda request: {"Metrics": [{"MetricName": request.get("Namespace", "-")}]})
    assert client.list_metrics(Namespace="N")["Metrics"] == [{"MetricName": "N"}]
    assert [b.get("Namespace") for b in fake.calls("ListMetrics")] == [None, None, "N"]
    assert fake.keys_seen() == {"AKIDFAKE"} and fake.count("ListMetrics") == 3
    with pytest.raises(ClientError) as caught:
        client.list_dashboards()
    assert caught.value.response["Error"]["Code"] == "UnknownOperationException"


def test_a_tps_quota_throttles_beyond_one_seconds_calls(fake: FakeAws) -> None:
    # A bucket of one second's calls, as AWS's TPS quotas: 2 at once pass, the next ones (within the same few
    # milliseconds) are throttled with AWS's code; each request's arrival is recorded, in order.
    fake.quota("GetMetricData", 2)
    client = fake.client()  # no retries
    outcomes = []
    for _ in range(4):
        try:
            client.get_metric_data(MetricDataQueries=[stat("m1")], StartTime=START, EndTime=END)
            outcomes.append("ok")
        except ClientError as exc:
            outcomes.append(f'{exc.response["ResponseMetadata"]["HTTPStatusCode"]} {exc.response["Error"]["Code"]}')
    assert outcomes == ["ok", "ok", "400 Throttling", "400 Throttling"]
    assert fake.throttled("GetMetricData") == 2 and fake.count("GetMetricData") == 4
    arrivals = fake.arrivals("GetMetricData")
    assert arrivals == sorted(arrivals) and len(arrivals) == 4
    fake.clear()
    assert get(fake, [stat("m1")])["MetricDataResults"]


def test_window_answers_cover_exactly_the_window_and_agree_where_windows_overlap(fake: FakeAws) -> None:
    """Window mode: one point per period from StartTime (rounded down as AWS does by its age) to before EndTime,
    each value a function of series, period and timestamp only; the datapoints served are counted."""
    fake.window_answers = True
    client = fake.client()
    whole = client.get_metric_data(MetricDataQueries=[stat("a", 300, "i-7")], StartTime=START + timedelta(seconds=30),
                                   EndTime=END)["MetricDataResults"][0]
    assert whole["Timestamps"][0] == START and len(whole["Timestamps"]) == 12
    assert whole["Timestamps"][-1] == END - timedelta(minutes=5)
    part = client.get_metric_data(MetricDataQueries=[stat("a", 300, "i-7")], StartTime=START + timedelta(minutes=40),
                                  EndTime=END)["MetricDataResults"][0]
    assert part["Values"] == whole["Values"][8:] and part["Timestamps"] == whole["Timestamps"][8:]
    assert len(set(whole["Values"])) == 12
    assert fake.datapoints_served == 16
    fake.filling_since, fake.filling_bump = (END - timedelta(minutes=5)).timestamp(), 0.25
    bumped = client.get_metric_data(MetricDataQueries=[stat("a", 300, "i-7")], StartTime=START,
                                    EndTime=END)["MetricDataResults"][0]
    assert bumped["Values"][:-1] == whole["Values"][:-1] and bumped["Values"][-1] == whole["Values"][-1] + 0.25
    # Past 15 days AWS rounds the StartTime to 5 minutes, past 63 days to the hour (GetMetricData, StartTime).
    for days, rounding in ((20, 300), (70, 3600)):
        old = START - timedelta(days=days) + timedelta(minutes=37, seconds=12)
        first = client.get_metric_data(MetricDataQueries=[stat("a", 60, "i-7")], StartTime=old,
                                       EndTime=old + timedelta(hours=1))["MetricDataResults"][0]["Timestamps"][0]
        assert first.timestamp() == old.timestamp() - old.timestamp() % rounding
