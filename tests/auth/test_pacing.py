"""GetMetricData pacing (aws/pacing.py) in units: the token buckets, the estimate, the identity, the settings. The
clock is injected: nothing here sleeps or measures time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from support.clock import ManualClock

from cloudwatch_datasource import deadlines
from cloudwatch_datasource.aws.pacing import (
    MAX_DATAPOINTS_PER_CALL,
    PacedOperation,
    Pacer,
    PacingLimits,
    PacingRefused,
    datapoints_returned,
    estimate_datapoints,
    is_recent,
    pacing_identity,
)
from cloudwatch_datasource.aws.sessions import pacing_limits
from cloudwatch_datasource.backend import DataSourceInstance
from cloudwatch_datasource.errors import ErrorSource, SettingsError
from cloudwatch_datasource.policy import ClientTuning
from cloudwatch_datasource.settings import parse_settings

KEY = ("identity", "us-east-1")
LIMITS = PacingLimits(calls_per_second=4, datapoints_per_second_recent=1000, datapoints_per_second_historic=3000)



def test_calls_leave_in_order_each_waiting_its_turn() -> None:
    clock = ManualClock()
    pacer = Pacer(clock)
    # A bucket holds one second's calls: 4 go at once, then one every 1/4 s, in the order they asked.
    waits = [pacer.reserve(KEY, LIMITS, 1, recent=True) for _ in range(7)]
    assert waits == [0, 0, 0, 0, 0.25, 0.5, 0.75]
    clock.now += 0.75  # the reserved turns come; the next call queues behind them
    assert pacer.reserve(KEY, LIMITS, 1, recent=True) == pytest.approx(0.25)
    clock.now += 60  # idle: the bucket refills to one second's worth, no more
    assert [pacer.reserve(KEY, LIMITS, 1, recent=True) for _ in range(5)] == [0, 0, 0, 0, 0.25]


def test_datapoints_are_paced_by_how_far_back_the_start_is() -> None:
    pacer = Pacer(ManualClock())
    assert pacer.reserve(KEY, LIMITS, 800, recent=True) == 0
    assert pacer.reserve(KEY, LIMITS, 800, recent=True) == pytest.approx(0.6)  # 600 short at 1000/s
    # Older data has its own (larger) quota: its bucket is untouched by the recent calls.
    assert pacer.reserve(KEY, LIMITS, 3000, recent=False) == 0
    assert pacer.reserve(KEY, LIMITS, 1500, recent=False) == pytest.approx(0.5)
    # A call larger than a second's worth waits for the tokens it lacks (it is never refused for its size).
    big = Pacer(ManualClock())
    assert big.reserve(KEY, LIMITS, 2500, recent=True) == pytest.approx(1.5)


def test_an_answer_larger_than_its_estimate_is_charged_to_the_next_calls() -> None:
    pacer = Pacer(ManualClock())
    assert pacer.reserve(KEY, LIMITS, 100, recent=True) == 0
    pacer.charge(KEY, 1900, recent=True)  # a SEARCH returned 2,000 points, not 100
    assert pacer.reserve(KEY, LIMITS, 1, recent=True) == pytest.approx(1.001)


def test_identities_and_regions_have_their_own_buckets_and_zero_means_no_limit() -> None:
    pacer = Pacer(ManualClock())
    for _ in range(4):
        pacer.reserve(KEY, LIMITS, 1, recent=True)
    assert pacer.reserve(KEY, LIMITS, 1, recent=True) > 0
    assert pacer.reserve(("identity", "eu-west-1"), LIMITS, 1, recent=True) == 0
    assert pacer.reserve(("other", "us-east-1"), LIMITS, 1, recent=True) == 0
    unlimited = PacingLimits(0, 0, 0)
    assert {pacer.reserve(("free", "us-east-1"), unlimited, 10**9, recent=True) for _ in range(100)} == {0}


def test_a_turn_after_the_deadline_is_refused_without_reserving() -> None:
    pacer = Pacer(ManualClock())
    for _ in range(4):
        pacer.reserve(KEY, LIMITS, 1, recent=True, remaining_s=0.1)  # no wait: the deadline does not matter
    with pytest.raises(PacingRefused) as refused:
        pacer.reserve(KEY, LIMITS, 1, recent=True, remaining_s=0.25)
    error = refused.value
    assert error.status == 429 and error.source is ErrorSource.DOWNSTREAM
    assert "GetMetricData was not sent" in error.message and "4 calls/s" in error.message
    assert "0.2 s left" in error.message or "0.3 s left" in error.message
    # Nothing was reserved by the refused call: the next one gets the same turn.
    assert pacer.reserve(KEY, LIMITS, 1, recent=True, remaining_s=10) == pytest.approx(0.25)


def test_the_least_recently_used_identities_are_forgotten() -> None:
    pacer = Pacer(ManualClock(), max_keys=2)
    for _ in range(4):
        pacer.reserve(("a", "r"), LIMITS, 1, recent=True)
    pacer.reserve(("b", "r"), LIMITS, 1, recent=True)
    pacer.reserve(("c", "r"), LIMITS, 1, recent=True)  # "a" goes: its next call starts with a full bucket
    assert pacer.reserve(("a", "r"), LIMITS, 1, recent=True) == 0


NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def stat(period: int) -> dict[str, object]:
    return {"Id": "q", "MetricStat": {"Metric": {"MetricName": "m"}, "Period": period, "Stat": "Average"}}


def test_the_estimate_counts_one_series_per_query_up_to_one_answer() -> None:
    hour = {"StartTime": NOW - timedelta(hours=1), "EndTime": NOW}
    assert estimate_datapoints({**hour, "MetricDataQueries": [stat(60), stat(300)]}) == 60 + 12
    assert estimate_datapoints({**hour, "MetricDataQueries": [{"Id": "e", "Expression": "SEARCH(...)",
                                                               "Period": 10}]}) == 360
    assert estimate_datapoints({**hour, "MetricDataQueries": [{"Id": "e", "Expression": "m1*2"}]}) == 60
    year = {"StartTime": NOW - timedelta(days=365), "EndTime": NOW}
    assert estimate_datapoints({**year, "MetricDataQueries": [stat(60)] * 3}) == MAX_DATAPOINTS_PER_CALL
    assert estimate_datapoints({**year, "MetricDataQueries": [stat(60)], "MaxDatapoints": 500}) == 500
    assert estimate_datapoints({"StartTime": "garbage", "EndTime": NOW, "MetricDataQueries": [stat(60)]}) == 1
    assert estimate_datapoints({**hour, "MetricDataQueries": [stat(0), "bad"]}) == 60  # default period


def test_recent_means_a_start_at_most_three_hours_back() -> None:
    now = NOW.timestamp()
    assert is_recent({"StartTime": NOW - timedelta(hours=3)}, now)
    assert not is_recent({"StartTime": NOW - timedelta(hours=3, seconds=1)}, now)


def test_datapoints_returned_counts_every_result() -> None:
    parsed = {"MetricDataResults": [{"Values": [1.0, 2.0]}, {"Values": [3.0]}, {"Id": "no values"}, "bad"]}
    assert datapoints_returned(parsed) == 3 and datapoints_returned(None) == 0


def test_the_identity_is_the_account_of_a_role_else_the_credentials_source() -> None:
    def identity(**changes: str) -> str:
        base = {"auth_type": "keys", "access_key": "AKIDA", "profile": "", "assume_role_arn": "", "endpoint": ""}
        return pacing_identity(**{**base, **changes})

    role_a = identity(assume_role_arn="arn:aws:iam::111122223333:role/a")
    assert role_a == identity(assume_role_arn="arn:aws:iam::111122223333:role/b", access_key="AKIDB")
    assert role_a != identity(assume_role_arn="arn:aws:iam::444455556666:role/a")
    assert identity() != identity(access_key="AKIDB") != identity(auth_type="default", access_key="")
    assert identity() != identity(endpoint="http://127.0.0.1:4566")
    assert "AKIDA" not in identity() and len(identity()) == 24


def test_the_wait_is_cut_short_when_the_request_ends() -> None:
    # A 1 call/s limit, the second call's turn 1 s away; its scope ends first, so the wait ends with the scope's
    # own error (no timing: the scope is stopped before the wait starts).
    operation = PacedOperation("GetMetricData", "ident", "us-east-1", PacingLimits(1, 0, 0), "ds",
                               pacer=Pacer(ManualClock()))
    params = {"StartTime": NOW - timedelta(minutes=5), "EndTime": NOW, "MetricDataQueries": [stat(60)]}
    context: dict[str, object] = {}
    operation.before_parameter_build(params=params, context=context)
    assert context  # the estimate travels to after_call
    operation.after_call(parsed={"MetricDataResults": [{"Values": [1.0] * 5}]}, context=context)
    assert not context
    scope = deadlines.RequestScope(limit_s=30)
    token = deadlines.current.set(scope)
    try:
        scope.stop("cancelled")
        with pytest.raises(deadlines.RequestStopped, match="cancelled"):
            operation.before_parameter_build(params=params, context={})
    finally:
        deadlines.current.reset(token)
        scope.finish()


def instance(json_data: dict[str, object]) -> DataSourceInstance:
    return DataSourceInstance(uid="u", json_data=json.dumps({"defaultRegion": "us-east-1", **json_data}).encode())


def test_limits_come_from_the_datasource_else_the_operator() -> None:
    tuning = ClientTuning.from_env({"GF_PLUGIN_GETMETRICDATA_CALLS_PER_SECOND": "10",
                                    "GF_PLUGIN_GETMETRICDATA_DATAPOINTS_PER_SECOND": "not a number",
                                    "GF_PLUGIN_GETMETRICDATA_HISTORIC_DATAPOINTS_PER_SECOND": "0"})
    assert pacing_limits(parse_settings(instance({})), tuning) == PacingLimits(10, 144_000, 0)
    assert pacing_limits(parse_settings(instance({})), ClientTuning()) == PacingLimits()  # 80% of AWS's quotas
    own = parse_settings(instance({"getMetricDataCallsPerSecond": "5", "getMetricDataDatapointsPerSecond": 0,
                                   "getMetricDataHistoricDatapointsPerSecond": ""}))
    assert pacing_limits(own, tuning) == PacingLimits(5, 0, 0)
    for bad in ("-1", "many", True, "inf"):
        with pytest.raises(SettingsError, match="getMetricDataCallsPerSecond"):
            parse_settings(instance({"getMetricDataCallsPerSecond": bad}))


def test_calls_whose_request_ends_while_waiting_give_their_tokens_back() -> None:
    """Reviewer (issue 15): 200 calls cancelled while waiting for their turn kept their tokens, so a new
    request 20 s of turns later was refused although AWS had seen one call."""
    clock = ManualClock()
    pacer = Pacer(clock)
    limits = PacingLimits(calls_per_second=10, datapoints_per_second_recent=1000, datapoints_per_second_historic=0)
    operation = PacedOperation("GetMetricData", "ident", "us-east-1", limits, "ds", pacer=pacer)
    params = {"StartTime": NOW - timedelta(minutes=5), "EndTime": NOW, "MetricDataQueries": [stat(60)]}
    for index in range(200):
        scope = deadlines.RequestScope(limit_s=30)
        token = deadlines.current.set(scope)
        try:
            if index >= 10:  # a second's burst is sent at once; the others' request is cancelled while they wait
                scope.stop("cancelled")
                with pytest.raises(deadlines.RequestStopped):
                    operation.before_parameter_build(params=params, context={})
            else:
                operation.before_parameter_build(params=params, context={})
        finally:
            deadlines.current.reset(token)
            scope.finish()
    # Ten calls went to AWS: the next one waits a tenth of a second for the calls bucket, as if alone.
    assert pacer.reserve(("ident", "us-east-1"), limits, 5, recent=True, remaining_s=15) == pytest.approx(0.1)
    clock.advance(1.0)
    assert pacer.reserve(("ident", "us-east-1"), limits, 5, recent=True, remaining_s=15) == pytest.approx(0.0)
