"""The result cache between plan and execute (cloudwatch/result_cache.py), run with the real pipeline against the
fake endpoint in window mode (datapoints for exactly the requested window and period): cached, coalesced and
incremental answers equal a fresh call's; the whole-window list is fetched whole, entry by entry; alert
evaluations never read the cache; answers count against the request's point budget. The handshake suite
(test_result_cache_e2e.py) shows the same through grafana-server's own client."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support.fake_aws import FakeAws, window_value

from cloudwatch_datasource import deadlines
from cloudwatch_datasource.aws.pacing import PacedOperation, Pacer, PacingLimits
from cloudwatch_datasource.backend import DataResponse
from cloudwatch_datasource.cloudwatch import result_cache
from cloudwatch_datasource.cloudwatch.execute import PointBudget
from cloudwatch_datasource.cloudwatch.incremental import WHOLE_WINDOW
from cloudwatch_datasource.cloudwatch.pipeline import run_metric_queries
from cloudwatch_datasource.cloudwatch.result_cache import CacheSession, ResultCache
from cloudwatch_datasource.cloudwatch.result_store import AwsIdentity, encode_value
from cloudwatch_datasource.metrics import REGISTRY
from cloudwatch_datasource.settings import CacheSettings

from .helpers import data_query, epoch_ns, metric_stat, numbers

IDENTITY = AwsIdentity(principal="key:AKIDCACHE", endpoint="", region="us-east-1", org_id=1, settings_version="v1")


def live_end() -> datetime:
    """Now, at second 20 of its minute: a few seconds either way stay in the same aligned window."""
    return datetime.now(UTC).replace(second=20, microsecond=0)


@pytest.fixture
def window_fake(fake: FakeAws) -> FakeAws:
    fake.window_answers = True
    return fake


def session(cache: ResultCache, identity: AwsIdentity = IDENTITY, *, read: bool = True,
            settings: CacheSettings | None = None) -> CacheSession:
    return cache.session(owner=(identity.org_id, "ds"), settings=settings or CacheSettings(),
                         identity_for=lambda region: identity, datasource="ds", read=read)


def ask(fake: FakeAws, queries: list[Any], runner: CacheSession | None, **kw: Any) -> dict[str, DataResponse]:
    client = fake.client("us-east-1")
    return run_metric_queries(queries, default_region="us-east-1", client_for_region=lambda r, s: client,
                              runner=runner, **kw)


def series(answer: DataResponse) -> list[tuple[list[int], list[float]]]:
    assert not answer.error, answer.error
    return [(epoch_ns(f.fields[0]), numbers(f.fields[1])) for f in answer.frames]


def cache_mode(answer: DataResponse) -> str:
    return str(answer.frames[0].meta["custom"]["cache"])


def test_a_second_viewer_is_answered_from_the_cache_with_the_same_values(window_fake: FakeAws) -> None:
    cache = ResultCache()
    end = live_end()
    first = ask(window_fake, [data_query("A", metric_stat(), end=end)], session(cache))["A"]
    later = ask(window_fake, [data_query("A", metric_stat(), end=end + timedelta(seconds=2))], session(cache))["A"]
    fresh = ask(window_fake, [data_query("A", metric_stat(), end=end)], None)["A"]
    assert window_fake.count("GetMetricData") == 2  # the cached pair made one call, the fresh one another
    assert (cache_mode(first), cache_mode(later)) == ("miss", "hit")
    assert series(first) == series(later) == series(fresh)
    assert len(series(first)[0][0]) >= 60


def test_identical_requests_in_flight_make_one_call(window_fake: FakeAws) -> None:
    window_fake.delay_s = 0.4
    cache = ResultCache()
    end = live_end()
    answers: list[DataResponse] = []
    threads = [threading.Thread(target=lambda: answers.append(
        ask(window_fake, [data_query("A", metric_stat(), end=end)], session(cache, read=False))["A"]))
        for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert window_fake.count("GetMetricData") == 1
    assert sorted(cache_mode(a) for a in answers) == ["bypass"] + ["coalesced"] * 7
    assert all(series(a) == series(answers[0]) for a in answers)


def test_coalescing_never_crosses_identities(window_fake: FakeAws) -> None:
    window_fake.delay_s = 0.3
    cache = ResultCache()
    end = live_end()
    other = AwsIdentity(principal="key:AKIDOTHER", endpoint="", region="us-east-1", org_id=1,
                        settings_version="v1")
    threads = [threading.Thread(target=ask, args=(window_fake, [data_query("A", metric_stat(), end=end)],
                                                  session(cache, identity)))
               for identity in (IDENTITY, other, IDENTITY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert window_fake.count("GetMetricData") == 2


@pytest.mark.parametrize("change", ["principal", "settings_version", "org_id", "endpoint"])
def test_another_identity_or_settings_version_never_gets_the_cached_answer(window_fake: FakeAws,
                                                                          change: str) -> None:
    cache = ResultCache()
    end = live_end()
    ask(window_fake, [data_query("A", metric_stat(), end=end)], session(cache))
    changed = AwsIdentity(**{**IDENTITY.__dict__, change: 2 if change == "org_id" else "other"})
    answer = ask(window_fake, [data_query("A", metric_stat(), end=end)], session(cache, changed))["A"]
    assert cache_mode(answer) == "miss" and window_fake.count("GetMetricData") == 2


def test_incremental_refresh_fetches_the_new_periods_and_the_late_data_overlap(window_fake: FakeAws) -> None:
    """Two minutes later, only [kept end - 5 min, new end) is fetched; the answer equals a fresh call's, including
    a late change inside the overlap."""
    cache = ResultCache()
    settings = CacheSettings(ttl_s=0.001)
    end = live_end()
    ask(window_fake, [data_query("A", metric_stat(), end=end)], session(cache, settings=settings))
    served_before = window_fake.datapoints_served
    window_fake.filling_since, window_fake.filling_bump = (end - timedelta(minutes=3)).timestamp(), 0.5
    later = end + timedelta(minutes=2)
    answer = ask(window_fake, [data_query("A", metric_stat(), end=later)], session(cache, settings=settings))["A"]
    tail = window_fake.datapoints_served - served_before
    call = window_fake.calls("GetMetricData")[-1]
    kept_end = (end.replace(second=0) + timedelta(minutes=1)).timestamp()
    assert call["StartTime"] == kept_end - 300
    assert cache_mode(answer) == "incremental" and tail <= 8
    fresh = ask(window_fake, [data_query("A", metric_stat(), end=later)], None)["A"]
    assert series(answer) == series(fresh)
    last_stamp = series(fresh)[0][0][-1] / 1e9
    assert series(answer)[0][1][-1] == window_value(1, 60, last_stamp) + 0.5  # the late change is in there
    assert len(series(answer)[0][0]) == 61


def test_whole_window_list_has_a_test_per_entry() -> None:
    covered = {(case[0], case[1]) for case in WHOLE_WINDOW_CASES}
    assert covered == {(r.name, r.kind) for r in WHOLE_WINDOW}


SEARCH = "SEARCH('{AWS/EC2,InstanceId} MetricName=\"CPUUtilization\"', 'Average', 60)"
STAT_M1 = metric_stat(id="m1")
WHOLE_WINDOW_CASES = [
    *[(name, "function", {"expression": f"{name}(m1)"}) for name in (
        "RUNNING_SUM", "FILL", "ANOMALY_DETECTION_BAND", "SORT", "LIMIT", "SLICE", "FIRST", "LAST", "RATE", "DIFF",
        "DIFF_TIME", "REMOVE_EMPTY", "AVG", "MIN", "MAX", "SUM", "STDDEV", "DATAPOINT_COUNT")],
    ("SEARCH", "search", {"expression": SEARCH}),
    ("ORDER BY", "insights", {"sql": 'SELECT AVG(CPUUtilization) FROM "AWS/EC2" ORDER BY AVG() DESC'}),
    ("LIMIT", "insights", {"sql": 'SELECT AVG(CPUUtilization) FROM "AWS/EC2" LIMIT 5'}),
    ("GROUP BY", "insights", {"sql": 'SELECT AVG(CPUUtilization) FROM SCHEMA("AWS/EC2", InstanceId) '
                                     "GROUP BY InstanceId"}),
    ("${AVG}", "label", {"label": "CPU ${AVG}"}),
    ("period > 1 day", "period", {"period": "604800"}),
    ("period not dividing a day", "period", {"period": "420"}),
]


def whole_window_queries(kind: str, spec: dict[str, str], end: datetime) -> list[Any]:
    if kind in ("function", "search"):
        math = {**metric_stat(), "id": "e1", "metricEditorMode": 1, "expression": spec["expression"]}
        return [data_query("A", {**STAT_M1, "hide": True}, end=end), data_query("B", math, end=end)]
    if kind == "insights":
        sql = {**metric_stat(), "metricQueryType": 1, "metricEditorMode": 1, "sqlExpression": spec["sql"]}
        return [data_query("A", sql, end=end)]
    if kind == "period":
        return [data_query("A", metric_stat(period=spec["period"]), end=end)]
    return [data_query("A", metric_stat(label=spec["label"]), end=end)]


@pytest.mark.parametrize(("name", "kind", "spec"), WHOLE_WINDOW_CASES,
                         ids=[f"{c[1]}-{c[0]}" for c in WHOLE_WINDOW_CASES])
def test_a_query_on_the_whole_window_list_is_fetched_whole(window_fake: FakeAws, name: str, kind: str,
                                                           spec: dict[str, str]) -> None:
    cache = ResultCache()
    settings = CacheSettings(ttl_s=0.001)
    end = live_end()
    ask(window_fake, whole_window_queries(kind, spec, end), session(cache, settings=settings))
    later = end + timedelta(minutes=2)
    answers = ask(window_fake, whole_window_queries(kind, spec, later), session(cache, settings=settings))
    first, second = window_fake.calls("GetMetricData")
    assert second["EndTime"] - second["StartTime"] == first["EndTime"] - first["StartTime"]  # not a tail
    assert second["EndTime"] > first["EndTime"]
    assert all(cache_mode(a) == "miss" for a in answers.values() if a.frames)


def test_an_alert_evaluation_never_reads_the_cache_but_leaves_its_answer(window_fake: FakeAws) -> None:
    cache = ResultCache()
    end = live_end()
    ask(window_fake, [data_query("A", metric_stat(), end=end)], session(cache))
    alert = ask(window_fake, [data_query("A", metric_stat(), end=end)], session(cache, read=False))["A"]
    assert cache_mode(alert) == "bypass" and window_fake.count("GetMetricData") == 2
    viewer = ask(window_fake, [data_query("A", metric_stat(), end=end)], session(cache))["A"]
    assert cache_mode(viewer) == "hit" and window_fake.count("GetMetricData") == 2


def test_cached_answers_count_against_the_requests_point_budget(window_fake: FakeAws) -> None:
    cache = ResultCache()
    end = live_end()
    ask(window_fake, [data_query("A", metric_stat(), end=end)], session(cache))
    small = ask(window_fake, [data_query("A", metric_stat(), end=end)], session(cache),
                budget=PointBudget(per_query=10, per_request=10_000))["A"]
    assert small.status == 413 and "max_points_per_query" in small.error
    assert window_fake.count("GetMetricData") == 1


def test_errors_are_never_kept(window_fake: FakeAws) -> None:
    cache = ResultCache()
    end = live_end()
    window_fake.fail("GetMetricData", status=500, code="InternalServiceError", message="boom")
    first = ask(window_fake, [data_query("A", metric_stat(), end=end)], session(cache))["A"]
    assert first.error
    second = ask(window_fake, [data_query("A", metric_stat(), end=end)], session(cache))["A"]
    assert not second.error and cache_mode(second) == "miss"


def test_the_cache_off_still_coalesces_and_sends_the_window_unchanged(window_fake: FakeAws) -> None:
    cache = ResultCache()
    end = datetime(2026, 6, 1, 11, 59, 31, tzinfo=UTC)
    answer = ask(window_fake, [data_query("A", metric_stat(period="300"), end=end)],
                 session(cache, settings=CacheSettings(ttl_s=0)))["A"]
    assert cache_mode(answer) == "off"
    assert window_fake.calls("GetMetricData")[0]["StartTime"] == (end - timedelta(hours=1)).timestamp()


def test_a_viewer_whose_clock_is_a_period_behind_is_answered_from_the_newer_entry(window_fake: FakeAws) -> None:
    """Browsers resolve "now" themselves: around a minute boundary, viewers' windows differ by a period. The newer
    entry keeps an overlap before its window, so the older window is a hit, and it never replaces the newer one."""
    cache = ResultCache()
    settings = CacheSettings(ttl_s=60)
    end = live_end()
    ask(window_fake, [data_query("A", metric_stat(), end=end)], session(cache, settings=settings))
    newer = end + timedelta(minutes=1)
    ask(window_fake, [data_query("A", metric_stat(), end=newer)], session(cache, settings=settings))
    assert window_fake.count("GetMetricData") == 2
    behind = ask(window_fake, [data_query("A", metric_stat(), end=end)], session(cache, settings=settings))["A"]
    assert cache_mode(behind) == "hit" and window_fake.count("GetMetricData") == 2
    assert series(behind) == series(ask(window_fake, [data_query("A", metric_stat(), end=end)], None)["A"])
    again = ask(window_fake, [data_query("A", metric_stat(), end=newer)], session(cache, settings=settings))["A"]
    assert cache_mode(again) == "hit" and window_fake.count("GetMetricData") == 3  # +1: the fresh call above


class _SharedStore:
    """A shared store (the Redis role) holding one value for every key, or raising on reads when told to."""

    def __init__(self, value: bytes | None = None, fail_reads: bool = False) -> None:
        self.value = value
        self.fail_reads = fail_reads

    def get(self, key: bytes) -> bytes | None:
        if self.fail_reads:
            raise RuntimeError("a store bug")
        return self.value

    def put(self, key: bytes, value: bytes, ttl_seconds: float) -> None:
        pass


def shared_session(cache: ResultCache, store: _SharedStore) -> CacheSession:
    return cache.session(owner=(1, "ds"), settings=CacheSettings(), identity_for=lambda region: IDENTITY,
                         datasource="ds", shared=store, shared_secret=b"s")


@pytest.mark.parametrize("payload", [
    {"series": None},  # the reviewer's value: no series
    {"window": [0]},
    {"window": [0, 1e12], "fetched": "now", "full": 0, "series": {}, "results": {}},
    {"window": [0, 1e12], "fetched": 0, "full": 0, "series": {}, "results": {"m1": [["cpu", [1, 2], [3]]]}},
    {"window": [0, 1e12], "fetched": 0, "full": 0, "series": {}, "results": {"m1": "cpu"}},
    {"window": [0, 1e12], "fetched": 0, "full": 0, "series": {}, "results": {"m1": [[None, [], []]]}},
])
def test_a_stored_value_of_the_right_version_but_a_wrong_shape_is_a_counted_miss(window_fake: FakeAws,
                                                                                payload: dict[str, Any]) -> None:
    """Reviewer (issue 15): such a value raised KeyError out of the cache, failed every refId with "internal
    plugin error" and left its flight open, so later requests for the key waited to their deadline."""
    now = time.time() - 1
    value = encode_value({k: v for k, v in {"window": [0, 1e12], "fetched": now, "full": now, "series": {},
                                            "results": {}, **payload}.items() if v is not None})
    cache = ResultCache()
    end = live_end()
    invalid = REGISTRY.get_sample_value("cloudwatch_plugin_result_cache_invalid_values_total",
                                        {"datasource": "ds"}) or 0
    a = data_query("A", metric_stat(), end=end)
    b = data_query("B", metric_stat(dimensions={"InstanceId": ["i-2"]}), end=end - timedelta(minutes=7))
    answers = ask(window_fake, [a, b], shared_session(cache, _SharedStore(value)))
    assert not answers["A"].error and not answers["B"].error and cache_mode(answers["A"]) == "miss"
    assert series(answers["A"]) == series(ask(window_fake, [a], None)["A"])
    assert not cache._flights
    assert REGISTRY.get_sample_value("cloudwatch_plugin_result_cache_invalid_values_total",
                                     {"datasource": "ds"}) == invalid + 2


def test_a_failure_in_the_cache_fails_only_its_plan_and_closes_every_flight(window_fake: FakeAws) -> None:
    cache = ResultCache()
    end = live_end()
    a = data_query("A", metric_stat(), end=end)
    # A store that raises (against its contract) is a miss.
    read_fails = ask(window_fake, [a], shared_session(cache, _SharedStore(fail_reads=True)))["A"]
    assert not read_fails.error and cache_mode(read_fails) == "miss"
    # The cache's own step failing for one plan (here: the identity of one region) fails that plan only.
    def identity_for(region: str) -> AwsIdentity:
        if region == "us-west-2":
            raise RuntimeError("a bug")
        return IDENTITY

    broken = cache.session(owner=(1, "ds"), settings=CacheSettings(), identity_for=identity_for, datasource="ds")
    west = data_query("W", metric_stat(region="us-west-2"), end=end)
    answers = run_metric_queries([a, west], default_region="us-east-1", runner=broken,
                                 client_for_region=lambda r, s: window_fake.client(r))
    assert not answers["A"].error and answers["W"].status == 500
    assert "internal plugin error" in (answers["W"].error or "")
    assert not cache._flights
    # A request whose call fails unexpectedly in one region: that plan's refIds only; its flight is closed, so a
    # later request for the same key calls AWS at once instead of waiting for its deadline.
    clients = {"us-east-1": window_fake.client("us-east-1")}
    b = data_query("B", metric_stat(region="us-west-2"), end=end)
    answers = run_metric_queries([a, b], default_region="us-east-1",
                                 client_for_region=lambda r, s: clients[r], runner=session(cache))
    assert not answers["A"].error and answers["B"].status == 500
    assert not cache._flights
    clients["us-west-2"] = window_fake.client("us-west-2")
    token = deadlines.current.set(deadlines.RequestScope(30))
    try:
        again = run_metric_queries([b], default_region="us-east-1", client_for_region=lambda r, s: clients[r],
                                   runner=session(cache))["B"]
    finally:
        deadlines.current.reset(token)
    assert not again.error and cache_mode(again) == "miss"


@pytest.mark.parametrize(("period", "days"), [("604800", 90), ("86400", 90), ("3600", 90), ("300", 30), ("60", 2)])
def test_a_later_window_equals_a_fresh_call_whatever_the_period_and_age(window_fake: FakeAws, period: str,
                                                                        days: int) -> None:
    """Reviewer (issue 15): weekly periods were aligned to a 60 s grid and answered incrementally, with datapoints
    on other timestamps than a fresh call's. The grid now follows AWS's StartTime rounding by age (minute, 5
    minutes past 15 days, hour past 63) and a period over a day is fetched whole."""
    cache = ResultCache()
    settings = CacheSettings(ttl_s=0.001)
    end = live_end()
    span = timedelta(days=days)
    model = metric_stat(period=period)
    ask(window_fake, [data_query("A", model, end=end, span=span)], session(cache, settings=settings))
    later = end + timedelta(minutes=2)
    time.sleep(0.01)  # past the 1 ms TTL: the kept entry is used as the base of an increment, not as a hit
    answer = ask(window_fake, [data_query("A", model, end=later, span=span)], session(cache, settings=settings))["A"]
    call = window_fake.calls("GetMetricData")[-1]
    # A cold cache sends the same aligned window whole: what an answer assembled from parts must equal.
    fresh = ask(window_fake, [data_query("A", model, end=later, span=span)], session(ResultCache()))["A"]
    assert cache_mode(fresh) == "miss" and series(answer) == series(fresh)
    assert cache_mode(answer) == ("miss" if period == "604800" else "incremental")
    if period != "604800":  # the tail starts on the period grid, at least one period before the kept end
        assert call["StartTime"] % int(period) == 0 and call["EndTime"] - call["StartTime"] >= int(period)


def run_in(scope_s: float, fn: Any, *args: Any) -> Any:
    token = deadlines.current.set(deadlines.RequestScope(scope_s))
    try:
        return fn(*args)
    finally:
        deadlines.current.reset(token)


def test_the_leaders_own_pacing_refusal_is_not_shared_with_waiters(window_fake: FakeAws) -> None:
    """Reviewer (issue 15): a leader whose call pacing refused for the leader's short deadline passed that
    refusal to a waiter with 30 s left; the waiter now calls AWS itself, its turn within its own deadline."""
    pacer = Pacer(clock=time.monotonic)
    limits = PacingLimits(calls_per_second=1, datapoints_per_second_recent=0, datapoints_per_second_historic=0)
    paced = PacedOperation("GetMetricData", "id", "us-east-1", limits, "ds", pacer=pacer)
    pacer.reserve(paced.key, limits, 1, recent=True)  # the bucket's one token is used: the next call waits 1 s
    pacer.reserve(paced.key, limits, 1, recent=True)  # ... and the one after it 2 s: past the leader's deadline
    client = window_fake.client("us-east-1", max_pool_connections=11)  # a client of its own for the hook

    def joined_then_paced(**kw: Any) -> None:
        time.sleep(0.5)  # room for the second viewer to join the flight
        paced.before_parameter_build(**kw)

    client.meta.events.register("before-parameter-build.cloudwatch.GetMetricData", joined_then_paced)
    cache = ResultCache()
    end = live_end()
    answers: dict[str, DataResponse] = {}

    def viewer(name: str, seconds: float, delay: float) -> None:
        time.sleep(delay)
        answers[name] = run_in(seconds, lambda: run_metric_queries(
            [data_query("A", metric_stat(), end=end)], default_region="us-east-1",
            client_for_region=lambda r, s: client, runner=session(cache))["A"])

    threads = [threading.Thread(target=viewer, args=("leader", 1.5, 0.0)),
               threading.Thread(target=viewer, args=("waiter", 30.0, 0.2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers["leader"].status == 429
    assert not answers["waiter"].error and cache_mode(answers["waiter"]) == "miss"


def test_a_waiter_is_answered_when_its_plan_is_done_not_the_leaders_whole_request(window_fake: FakeAws) -> None:
    """Reviewer (issue 15): a viewer waiting for A timed out while the leader's request still waited for its
    slow plan B in another region; each flight now lands as soon as its own plan is done."""
    fast, slow = window_fake.client("us-east-1"), window_fake.client("us-west-2")
    slow.meta.events.register("before-parameter-build.cloudwatch.GetMetricData", lambda **kw: time.sleep(3))
    clients = {"us-east-1": fast, "us-west-2": slow}
    window_fake.delay_s = 0.4  # A's call is still in flight when the viewer joins it
    cache = ResultCache()
    end = live_end()
    a = data_query("A", metric_stat(), end=end)
    b = data_query("B", metric_stat(region="us-west-2"), end=end)
    out: dict[str, dict[str, DataResponse]] = {}

    def request(name: str, queries: list[Any], seconds: float, delay: float) -> None:
        time.sleep(delay)
        out[name] = run_in(seconds, lambda: run_metric_queries(
            queries, default_region="us-east-1", client_for_region=lambda r, s: clients[r], runner=session(cache)))

    threads = [threading.Thread(target=request, args=("leader", [a, b], 30.0, 0.0)),
               threading.Thread(target=request, args=("viewer", [a], 1.5, 0.2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    viewer = out["viewer"]["A"]
    assert not viewer.error and cache_mode(viewer) == "coalesced"
    assert series(viewer) == series(out["leader"]["A"])
    assert window_fake.count("GetMetricData") == 2 and not cache._flights


def test_series_sharing_a_label_within_an_id_are_never_merged_by_label() -> None:
    """Reviewer (issue 15): two series of one Id with one label collapsed into one when a kept window and its
    new part were merged. Such parts are not merged (the whole window is fetched instead)."""
    kept = {"window": [0, 300], "fetched": 0, "full": 0, "pages": 1, "series": {"e1": 2},
            "results": {"e1": [["CPUUtilization", [0, 60, 120, 180, 240], [1, 1, 1, 1, 1]],
                               ["CPUUtilization", [0, 60, 120, 180, 240], [9, 9, 9, 9, 9]]]}}
    fresh = {"window": [240, 360], "fetched": 1, "full": 1, "pages": 1, "series": {"e1": 2},
             "results": {"e1": [["CPUUtilization", [240, 300], [1, 1]], ["CPUUtilization", [240, 300], [9, 9]]]}}
    assert result_cache._merge(kept, fresh, (0, 360), 240) is None
    unique = {**fresh, "results": {"e1": [["a", [240, 300], [1, 1]], ["b", [240, 300], [9, 9]]]}}
    kept_unique = {**kept, "results": {"e1": [["a", [0, 60], [1, 1]], ["b", [0, 60], [9, 9]]]}}
    merged = result_cache._merge(kept_unique, unique, (0, 360), 240)
    assert merged is not None and merged["results"]["e1"] == [["a", [0, 60, 240, 300], [1, 1, 1, 1]],
                                                              ["b", [0, 60, 240, 300], [9, 9, 9, 9]]]


def test_a_requests_plans_are_looked_up_in_one_read_of_the_store(window_fake: FakeAws) -> None:
    class Batched(_SharedStore):
        def __init__(self) -> None:
            super().__init__()
            self.batches: list[int] = []

        def get(self, key: bytes) -> bytes | None:
            raise AssertionError("read one by one")

        def get_many(self, keys: list[bytes]) -> list[bytes | None]:
            self.batches.append(len(keys))
            return [None] * len(keys)

    store = Batched()
    end = live_end()
    answers = ask(window_fake, [data_query("A", metric_stat(), end=end),
                                data_query("B", metric_stat(), end=end - timedelta(minutes=7))],
                  shared_session(ResultCache(), store))
    assert not answers["A"].error and not answers["B"].error and store.batches == [2]
