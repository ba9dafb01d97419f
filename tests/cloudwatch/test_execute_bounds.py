"""execute.py's bounds against the in-process fake CloudWatch: the point budget across pages, an endless NextToken
(downstream), and a RequestScope that has ended (no call sent, a 504 on the refIds)."""

from __future__ import annotations

from typing import Any

from support.fake_aws import FakeAws, get_metric_data_answer

from cloudwatch_datasource import deadlines
from cloudwatch_datasource.cloudwatch.execute import PointBudget
from cloudwatch_datasource.cloudwatch.pipeline import run_metric_queries
from cloudwatch_datasource.deadlines import RequestScope

from .helpers import NOW, data_query, metric_stat


def run(fake: FakeAws, queries: list[Any], **kw: Any) -> dict[str, Any]:
    client = fake.client("us-east-1")
    return run_metric_queries(queries, default_region="us-east-1", client_for_region=lambda r, s: client, now=NOW,
                              **kw)


def test_per_query_limit_counts_across_pages_and_fails_only_that_refid(fake: FakeAws) -> None:
    fake.page_datapoints = 100
    fake.handler("GetMetricData", lambda body: {"MetricDataResults": [
        *get_metric_data_answer({**body, "MetricDataQueries": body["MetricDataQueries"][:1]}, 250)[
            "MetricDataResults"],
        *get_metric_data_answer({**body, "MetricDataQueries": body["MetricDataQueries"][1:]}, 40)[
            "MetricDataResults"]]})
    answers = run(fake, [data_query("A", metric_stat(id="a")), data_query("B", metric_stat(id="b"))],
                  budget=PointBudget(per_query=200, per_request=1000))
    assert answers["A"].status == 413 and "200 datapoints" in (answers["A"].error or "")
    assert not answers["B"].error and len(answers["B"].frames) == 1
    assert len(fake.calls("GetMetricData")) == 3  # 290 points at 100 a page: every page read, A's dropped


def test_per_request_limit_stops_paging(fake: FakeAws) -> None:
    fake.page_datapoints = 100
    fake.points_per_series = 1000
    answers = run(fake, [data_query("A", metric_stat())], budget=PointBudget(per_query=10_000, per_request=300))
    assert answers["A"].status == 413 and "max_points_per_request" in (answers["A"].error or "")
    assert len(fake.calls("GetMetricData")) <= 4  # not the 10 pages of the whole answer


def test_repeated_next_token_is_a_downstream_error(fake: FakeAws) -> None:
    fake.script("GetMetricData", [{"MetricDataResults": [], "NextToken": "again"}])
    answers = run(fake, [data_query("A", metric_stat())])
    answer = answers["A"]
    assert answer.status == 502 and answer.error_source == "downstream", answer
    assert "same NextToken twice" in (answer.error or "")


def test_an_ended_scope_sends_nothing_and_answers_504(fake: FakeAws) -> None:
    scope = RequestScope()
    scope.stop("time limit")
    token = deadlines.current.set(scope)
    try:
        answers = run(fake, [data_query("A", metric_stat()), data_query("B", metric_stat(region="eu-west-1"))])
    finally:
        deadlines.current.reset(token)
    assert fake.calls("GetMetricData") == []
    for answer in answers.values():
        assert answer.status == 504 and answer.error_source == "downstream", answer
