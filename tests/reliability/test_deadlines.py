"""Deadlines, cancellation and bounds (issue 13, cases 7 and 8), through the go-plugin handshake.

The AWS endpoint trickles its answers: headers at once, then one byte every TRICKLE_S, far inside botocore's read
timeout (2 s here), so no per-read timeout ever fires and only an overall deadline ends a call. What is asserted
are outcomes, each with a bound far above what it needs (a slow machine cannot fail them), and far below what the
same outcome took without deadlines (the trickled answer alone lasts minutes):
- the client's gRPC deadline passes → the plugin stops its AWS work: the trickled connections are closed, the
  datasource's in-flight slots are free again, for QueryData, CallResource and CheckHealth;
- the plugin's own time limit (GF_PLUGIN_REQUEST_TIMEOUT) passes → a clear 504 downstream error on the refIds,
  after one attempt (no retry, no next page);
- points beyond max_points_per_query / max_points_per_request → a clear 413 error on the refIds concerned only;
- the plugin's own metrics drop the series of datasources the client cache evicted.
"""

from __future__ import annotations

import concurrent.futures
import re
import time

import grpc
from support.fake_aws import FakeAws, Fault, wait_until
from support.plugins import StartPlugin

from cloudwatch_datasource.protocol.host import PluginProcess, data_query, plugin_context
from cloudwatch_datasource.protocol.pb import backend_pb2 as pb

from .helpers import LEAKS, answer_problem, keys_settings, metric_model, metric_query

TRICKLE_S = 0.5
# Generous: each outcome below needs well under 5 s; without deadlines it took minutes.
SOON_S = 25.0
CLIENT_DEADLINE_S = 1.5


def trickle(fake: FakeAws, operation: str = "*") -> None:
    fake.inject(operation, Fault("trickle", None, seconds=TRICKLE_S))


def query_until_admitted(plugin: PluginProcess, settings: pb.DataSourceInstanceSettings) -> pb.QueryDataResponse:
    """Query until the datasource has a free in-flight slot (no 429), for at most SOON_S."""
    deadline = time.monotonic() + SOON_S
    while True:
        resp = plugin.query([metric_query("A", 3)], settings, timeout=SOON_S)
        LEAKS.add_query_response(resp)
        if resp.responses["A"].status != 429 or time.monotonic() > deadline:
            return resp
        time.sleep(0.2)


def test_client_deadline_stops_query_and_frees_slots(plugins: StartPlugin, fake: FakeAws) -> None:
    """Clients give up (gRPC deadline) on queries stuck on a trickling endpoint: the plugin closes the
    connections and gives the datasource's in-flight slots back, so the next query is admitted and answered."""
    plugin = plugins({"GF_PLUGIN_MAX_IN_FLIGHT_PER_DATASOURCE": "2"})
    settings = keys_settings(fake.url)
    assert answer_problem(plugin.query([metric_query("A", 3)], settings, timeout=SOON_S), {"A": 3}) is None
    trickle(fake, "GetMetricData")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        stuck = [pool.submit(plugin.query, [metric_query("H", 1)], settings, None, CLIENT_DEADLINE_S)
                 for _ in range(2)]
        for future in stuck:
            try:
                future.result(timeout=SOON_S)
                raise AssertionError("a query on a trickling endpoint answered before its deadline")
            except grpc.RpcError as err:
                LEAKS.add_rpc_error(err)
                assert err.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert wait_until(lambda: fake.trickling == 0, SOON_S), "the plugin kept reading the trickled answers"
    fake.clear()
    resp = query_until_admitted(plugin, settings)
    assert answer_problem(resp, {"A": 3}) is None, "the datasource's in-flight slots were not given back"


def test_request_time_limit_answers_504_downstream_after_one_attempt(plugins: StartPlugin, fake: FakeAws) -> None:
    plugin = plugins({"GF_PLUGIN_REQUEST_TIMEOUT": "2"})
    settings = keys_settings(fake.url)
    assert answer_problem(plugin.query([metric_query("A", 3)], settings, timeout=SOON_S), {"A": 3}) is None
    trickle(fake, "GetMetricData")
    before = fake.count("GetMetricData")
    started = time.monotonic()
    # Two time ranges: two GetMetricData plans, run concurrently, both stopped.
    resp = plugin.query([metric_query("A", 1), metric_query("B", 2, hours=2)], settings, timeout=SOON_S * 2)
    LEAKS.add_query_response(resp)
    assert time.monotonic() - started < SOON_S
    for ref_id in ("A", "B"):
        answer = resp.responses[ref_id]
        assert answer.status == 504 and answer.errorSource == "downstream", answer
        assert "time limit of 2 s" in answer.error and "request_timeout" in answer.error, answer.error
        assert not answer.frames
    assert fake.count("GetMetricData") - before == 2, "a stopped call was retried"
    assert wait_until(lambda: fake.trickling == 0, SOON_S)
    fake.clear()
    assert answer_problem(plugin.query([metric_query("A", 3)], settings, timeout=SOON_S), {"A": 3}) is None


def test_client_deadline_stops_call_resource_and_check_health(plugins: StartPlugin, fake: FakeAws) -> None:
    plugin = plugins({"GF_PLUGIN_MAX_IN_FLIGHT_PER_DATASOURCE": "1"})
    settings = keys_settings(fake.url)
    request = pb.CallResourceRequest(pluginContext=plugin_context(settings), path="metrics", method="GET",
                                     url="metrics?region=us-east-1&namespace=Custom/App")
    [ok] = list(plugin.resource.CallResource(request, timeout=SOON_S))
    assert ok.code == 200, ok.body
    trickle(fake)
    # Another namespace: the first one's answer is in the picker cache and would need no AWS call.
    uncached = pb.CallResourceRequest(pluginContext=plugin_context(settings), path="metrics", method="GET",
                                      url="metrics?region=us-east-1&namespace=Custom/Slow")
    try:
        list(plugin.resource.CallResource(uncached, timeout=CLIENT_DEADLINE_S))
        raise AssertionError("a resource call on a trickling endpoint answered before its deadline")
    except grpc.RpcError as err:
        LEAKS.add_rpc_error(err)
        assert err.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert wait_until(lambda: fake.trickling == 0, SOON_S), "the resource call kept reading"
    try:
        plugin.check_health(settings, timeout=CLIENT_DEADLINE_S)
        raise AssertionError("a health check on a trickling endpoint answered before its deadline")
    except grpc.RpcError as err:
        LEAKS.add_rpc_error(err)
        assert err.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert wait_until(lambda: fake.trickling == 0, SOON_S), "the health check kept reading"
    fake.clear()
    # The one in-flight slot of the datasource is free again: the resource call is admitted and answered.
    deadline = time.monotonic() + SOON_S
    while True:
        [again] = list(plugin.resource.CallResource(request, timeout=SOON_S))
        if again.code != 429 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    LEAKS.add_resource([again])
    assert again.code == 200, again.body


def test_points_beyond_the_limits_fail_only_their_refids(plugins: StartPlugin, fake: FakeAws) -> None:
    plugin = plugins({"GF_PLUGIN_MAX_POINTS_PER_QUERY": "5000", "GF_PLUGIN_MAX_POINTS_PER_REQUEST": "8000"})
    settings = keys_settings(fake.url)
    fake.page_datapoints = 1000  # pages, as AWS does past 100,800 points: the count runs across them
    fake.points_per_series = 6000
    # Per query: A (one time range) has 6,000 points, over 5,000; B (another range, its own call) has 3,000.
    fake.handler("GetMetricData", lambda body: _answer(body, 6000 if body["MetricDataQueries"][0]["Id"] == "a"
                                                      else 3000))
    resp = plugin.query([metric_query("A", 1, id="a"), metric_query("B", 2, hours=2, id="b")], settings,
                        timeout=SOON_S)
    LEAKS.add_query_response(resp)
    a, b = resp.responses["A"], resp.responses["B"]
    assert a.status == 413 and a.errorSource == "plugin" and "max_points_per_query" in a.error, a
    assert "5,000" in a.error and not a.frames
    assert b.status == 200 and not b.error and len(b.frames) == 1, b
    # Per request: three queries of 3,000 points in one call (one time range, so one call), 9,000 together, over
    # 8,000: that call fails, clearly.
    fake.handler("GetMetricData", lambda body: _answer(body, 3000))
    now = int(time.time() * 1000)
    same_range = [data_query(r, metric_model(n), now - 3600_000, now) for r, n in (("A", 1), ("B", 2), ("C", 3))]
    resp = plugin.query(same_range, settings, timeout=SOON_S)
    LEAKS.add_query_response(resp)
    for ref_id in ("A", "B", "C"):
        answer = resp.responses[ref_id]
        assert answer.status == 413 and answer.errorSource == "plugin", answer
        assert "max_points_per_request" in answer.error and "8,000" in answer.error and not answer.frames
    # Under both limits: answered.
    resp = plugin.query([metric_query("A", 1), metric_query("B", 2)], settings, timeout=SOON_S)
    assert all(r.status == 200 and len(r.frames) == 1 for r in resp.responses.values()), resp


def _answer(body: dict[str, object], points: int) -> dict[str, object]:
    from support.fake_aws import get_metric_data_answer

    return get_metric_data_answer(body, points)


def test_metrics_of_evicted_datasources_are_dropped(plugins: StartPlugin, fake: FakeAws) -> None:
    """More datasources than the client cache holds (256): CollectMetrics keeps series only for cached ones."""
    plugin = plugins()
    datasources = 300
    for i in range(datasources):
        resp = plugin.query([metric_query("A", 1)], keys_settings(fake.url, uid=f"ds-{i}"), timeout=SOON_S)
        assert not resp.responses["A"].error
    text = plugin.diagnostics.CollectMetrics(pb.CollectMetricsRequest(), timeout=SOON_S).metrics.prometheus.decode()
    labelled = set(re.findall(r'datasource="(ds-\d+)"', text))
    assert "ds-0" not in labelled and f"ds-{datasources - 1}" in labelled, sorted(labelled)[:5]
    assert len(labelled) <= 256, len(labelled)
    # Every series line of the datasource-labelled metrics belongs to a cached datasource: 10 lines each at most
    # (queries, GetMetricData calls, metrics requested and their estimated cost, result cache lookups, each with
    # _total and _created), not 10 for every datasource ever seen.
    series_lines = [line for line in text.splitlines() if 'datasource="ds-' in line]
    assert len(series_lines) <= 10 * 256, len(series_lines)
