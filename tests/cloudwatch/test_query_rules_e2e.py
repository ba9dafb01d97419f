"""Issue 13: Metrics Insights batching (case 1), duplicate refIds (case 6), the period rules and an endless
NextToken, through grafana-server's own plugin client (the Go host) against the one fake AWS endpoint, which
refuses what AWS refuses (more than one Insights query per call, duplicate Ids, periods AWS does not accept) and
records every GetMetricData request it was sent.
"""
from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import Any

import pytest
from support.fake_aws import FakeAws, expected_values
from support.grafana_host import GrafanaHost, StartGrafana, data_query, datasource, field_values

from cloudwatch_datasource.cloudwatch.execute import MAX_PAGES

pytestmark = pytest.mark.processes

HOUR_MS = 3600_000
DAY_MS = 24 * HOUR_MS


@pytest.fixture
def fake() -> Iterator[FakeAws]:
    with FakeAws() as server:
        yield server


@pytest.fixture
def plugin(grafana: StartGrafana) -> GrafanaHost:
    return grafana(env={"AWS_EC2_METADATA_DISABLED": "true", "GF_PLUGIN_AWS_MAX_ATTEMPTS": "1"})


def settings(fake: FakeAws) -> dict[str, Any]:
    return datasource({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": fake.url},
                      {"accessKey": "AKIDRULES", "secretKey": "rules-secret"})


def query(ref_id: str, instance: int, *, back_ms: int = HOUR_MS, span_ms: int = HOUR_MS, **model: Any
          ) -> dict[str, Any]:
    """A MetricStat query on i-<instance> (the fake answers it with expected_values(instance)) over
    [now - back_ms, now - back_ms + span_ms]."""
    now = int(time.time() * 1000)
    body = {"type": "timeSeriesQuery", "region": "default", "namespace": "AWS/EC2", "metricName": "CPUUtilization",
            "dimensions": {"InstanceId": [f"i-{instance}"]}, "statistic": "Average", "period": "60", **model}
    return data_query(ref_id, body, now - back_ms, now - back_ms + span_ms)


def sent_ids(fake: FakeAws) -> list[list[str]]:
    return [[q["Id"] for q in call["MetricDataQueries"]] for call in fake.calls("GetMetricData")]


def sent_periods(fake: FakeAws) -> list[int]:
    return [q["MetricStat"]["Period"] for call in fake.calls("GetMetricData") for q in call["MetricDataQueries"]]


# --- case 6: duplicate refIds ----------------------------------------------------------------------------------

def test_a_duplicated_ref_id_gets_one_error_naming_it_and_the_others_are_answered(plugin: GrafanaHost,
                                                                                   fake: FakeAws) -> None:
    answer = plugin.query([query("A", 1), query("B", 2), query("A", 3), query("C", 4, id="explicit_c")],
                          settings(fake))
    assert set(answer.results) == {"A", "B", "C"}
    a = answer.results["A"]
    assert a["status"] == 400 and a["errorSource"] == "plugin" and not a.get("frames")
    assert a["error"].startswith('refId "A" is used by 2 queries of this request')
    for ref_id, n in (("B", 2), ("C", 4)):
        result = answer.results[ref_id]
        assert result["status"] == 200 and not result.get("error"), result
        assert field_values(answer.frames(ref_id)[0], "Value") == expected_values(n)
    # Neither copy of A reached AWS; the call carried B and C once each.
    assert sent_ids(fake) == [["queryB", "explicit_c"]]


def test_a_request_of_only_duplicates_sends_nothing(plugin: GrafanaHost, fake: FakeAws) -> None:
    answer = plugin.query([query("X", 1), query("X", 2), query("X", 3)], settings(fake))
    assert list(answer.results) == ["X"] and "used by 3 queries" in answer.results["X"]["error"]
    assert fake.count("GetMetricData") == 0


# --- the period rules ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("period", "message"), [
    ("45", "period: 45 seconds is not a period CloudWatch accepts"),
    ("90", "period: 90 seconds is not a period CloudWatch accepts"),
    ("99999999999", "period: 99999999999 is longer than"),
    (1e300, "period: 1e+300 is longer than"),
    ("100000d", "period: 100000d is longer than"),
])
def test_periods_aws_refuses_fail_only_their_ref_id(plugin: GrafanaHost, fake: FakeAws, period: Any,
                                                    message: str) -> None:
    answer = plugin.query([query("A", 1, period=period), query("B", 2)], settings(fake))
    a = answer.results["A"]
    assert a["status"] == 400 and a["errorSource"] == "plugin" and a["error"].startswith(message), a
    assert answer.results["B"]["status"] == 200 and not answer.results["B"].get("error")
    assert sent_periods(fake) == [60]


@pytest.mark.parametrize(("period", "back_ms", "sent", "kept_for"), [
    ("10", 6 * HOUR_MS, 60, "3 hours"),          # more than 3 h back: a multiple of 60
    ("60", 20 * DAY_MS, 300, "15 days"),         # more than 15 days back: a multiple of 300
    ("120", 20 * DAY_MS, 300, "15 days"),
    ("300", 70 * DAY_MS, 3600, "63 days"),       # more than 63 days back: a multiple of 3600
])
def test_a_period_too_fine_for_the_range_start_is_rounded_up_with_a_notice(
        plugin: GrafanaHost, fake: FakeAws, period: str, back_ms: int, sent: int, kept_for: str) -> None:
    answer = plugin.query([query("A", 5, period=period, back_ms=back_ms)], settings(fake))
    a = answer.results["A"]
    assert a["status"] == 200 and not a.get("error"), a
    assert sent_periods(fake) == [sent]
    frame = answer.frames("A")[0]
    notices = [n["text"] for n in frame["schema"]["meta"].get("notices", [])]
    assert any(f"period {period} s was rounded up to {sent} s" in n and kept_for in n for n in notices), notices
    assert frame["schema"]["meta"]["custom"]["period"] == sent


def test_accepted_periods_are_sent_as_they_are(plugin: GrafanaHost, fake: FakeAws) -> None:
    answer = plugin.query([query("A", 1, period="1"), query("B", 2, period="30"), query("C", 3, period="5m")],
                          settings(fake))
    assert all(r["status"] == 200 and not r.get("error") for r in answer.results.values()), answer.results
    assert sorted(sent_periods(fake)) == [1, 30, 300]
    for ref_id in "ABC":
        assert not answer.frames(ref_id)[0]["schema"]["meta"].get("notices")


# --- an endless NextToken ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("tokens", ["repeated", "new every page"])
def test_an_endless_next_token_is_a_downstream_error(plugin: GrafanaHost, fake: FakeAws, tokens: str) -> None:
    pages = itertools.count(1)

    def endless(body: dict[str, Any]) -> dict[str, Any]:
        token = "again" if tokens == "repeated" else f"page-{next(pages)}"
        return {"MetricDataResults": [{"Id": "queryA", "Label": "x", "StatusCode": "PartialData",
                                       "Timestamps": [], "Values": []}], "NextToken": token}

    fake.handler("GetMetricData", endless)
    answer = plugin.query([query("A", 1)], settings(fake))
    a = answer.results["A"]
    assert a["status"] == 502 and a["errorSource"] == "downstream", a
    assert "NextToken" in a["error"]
    calls = fake.count("GetMetricData")
    assert calls == (2 if tokens == "repeated" else MAX_PAGES)


# --- case 1: Metrics Insights batching ------------------------------------------------------------------------

def insights_query(ref_id: str, sql: str) -> dict[str, Any]:
    now = int(time.time() * 1000)
    body = {"type": "timeSeriesQuery", "region": "default", "namespace": "", "metricName": "",
            "metricQueryType": 1, "metricEditorMode": 1, "queryMode": "Metrics", "sqlExpression": sql,
            "statistic": "Average", "period": "60"}
    return data_query(ref_id, body, now - HOUR_MS, now)


def test_two_insights_panels_and_a_metric_stat_are_all_answered(plugin: GrafanaHost, fake: FakeAws) -> None:
    """AWS takes one Metrics Insights query per GetMetricData call and refuses the whole call otherwise, naming no
    query (the fake does the same): two Insights queries of one request must go out in separate calls, and
    none of the three refIds may fail for it."""
    answer = plugin.query([insights_query("A", 'SELECT AVG(CPUUtilization) FROM "AWS/EC2"'), query("B", 2),
                           insights_query("C", 'SELECT MAX(NetworkIn) FROM "AWS/EC2"')], settings(fake))
    for ref_id in ("A", "B", "C"):
        result = answer.results[ref_id]
        assert result["status"] == 200 and not result.get("error"), (ref_id, result)
        assert answer.frames(ref_id), ref_id
    assert field_values(answer.frames("B")[0], "Value") == expected_values(2)
    insights_per_call = [sum(str(q.get("Expression", "")).startswith("SELECT") for q in call["MetricDataQueries"])
                         for call in fake.calls("GetMetricData")]
    assert max(insights_per_call) == 1 and sum(insights_per_call) == 2, insights_per_call
