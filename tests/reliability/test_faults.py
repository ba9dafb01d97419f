"""Faults from AWS, injected by a local fake endpoint, against the plugin through its real handshake.

Every fault ends in a bounded number of attempts (GF_PLUGIN_AWS_MAX_ATTEMPTS=2) and a clear per-refId error
within the configured timeouts; no RPC hangs (every call has a deadline it must beat by far); once the fault
stops the very next query is answered; a hung endpoint for one datasource does not slow down another.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable

import grpc
import pytest
from support.fake_aws import FakeAws, Fault
from support.plugins import StartPlugin

from cloudwatch_datasource.protocol.host import PluginProcess
from cloudwatch_datasource.protocol.pb import backend_pb2 as pb
from cloudwatch_datasource.tools.emulator import free_port

from .helpers import KEY_ID, LEAKS, answer_problem, keys_settings, metric_query

MAX_ATTEMPTS = 2
# Read timeout 2 s x 2 attempts + botocore's backoff (< 1 s): the slowest fault ends well within this.
FAULT_BUDGET_S = 7.0
RPC_DEADLINE_S = 30.0

# (fault, status, message start or fragment, attempts made)
GET_METRIC_DATA_FAULTS = {
    "throttling-400": (Fault("fail", None, 400, "Throttling", "Rate exceeded"), 429, "Throttling:", MAX_ATTEMPTS),
    "throttling-429": (Fault("fail", None, 429, "TooManyRequestsException", "Too many"), 429, "Throttling:",
                       MAX_ATTEMPTS),
    "500": (Fault("fail", None, 500, "InternalFailure", "internal"), 502, "InternalFailure", MAX_ATTEMPTS),
    "503": (Fault("fail", None, 503, "ServiceUnavailable", "unavailable"), 502, "ServiceUnavailable",
            MAX_ATTEMPTS),
    "slow": (Fault("hang", None, seconds=60), 504, "timed out reading from", MAX_ATTEMPTS),
    "connection-reset": (Fault("reset", None), 502, "cannot reach", MAX_ATTEMPTS),
    "truncated-body": (Fault("truncate", None), 502, "the AWS response was cut short", 1),
    "not-json-body": (Fault("garbage", None), 502, "AWS sent a response that is not JSON", 1),
}
FAULTS_SURVIVED: list[str] = []


def timed_query(plugin: PluginProcess, queries: list[pb.DataQuery], settings: pb.DataSourceInstanceSettings
                ) -> tuple[pb.QueryDataResponse, float]:
    started = time.monotonic()
    resp = plugin.query(queries, settings, timeout=RPC_DEADLINE_S)
    LEAKS.add_query_response(resp)
    return resp, time.monotonic() - started


def assert_recovers(plugin: PluginProcess, settings: pb.DataSourceInstanceSettings) -> None:
    resp, _ = timed_query(plugin, [metric_query("A", 3), metric_query("B", 4)], settings)
    assert answer_problem(resp, {"A": 3, "B": 4}) is None


@pytest.fixture
def plugin(plugins: StartPlugin) -> PluginProcess:
    return plugins()


@pytest.mark.parametrize("name", list(GET_METRIC_DATA_FAULTS))
def test_get_metric_data_fault_is_bounded_clear_and_recovers(name: str, plugin: PluginProcess, fake: FakeAws
                                                             ) -> None:
    fault, status, fragment, attempts = GET_METRIC_DATA_FAULTS[name]
    settings = keys_settings(fake.url)
    assert_recovers(plugin, settings)  # warm: credentials and client built
    fake.inject("GetMetricData", fault)
    before = fake.count("GetMetricData")
    resp, seconds = timed_query(plugin, [metric_query("A", 1), metric_query("B", 2, hours=2)], settings)
    for ref_id in ("A", "B"):  # two time ranges = two GetMetricData plans, both fail on their own
        answer = resp.responses[ref_id]
        assert answer.status == status and answer.errorSource == "downstream", answer
        assert fragment in answer.error and "internal plugin error" not in answer.error, answer.error
        assert not answer.frames
    assert fake.count("GetMetricData") - before == 2 * attempts  # bounded retries
    assert seconds < FAULT_BUDGET_S
    # the health check meets the same endpoint: an answer, not a hang
    fake.inject("ListMetrics", fault)
    health = plugin.check_health(settings, timeout=RPC_DEADLINE_S)
    LEAKS.add_health(health)
    assert health.status == pb.CheckHealthResponse.ERROR and "CloudWatch metrics query failed" in health.message
    fake.clear()
    assert_recovers(plugin, settings)
    FAULTS_SURVIVED.append(f"GetMetricData {name}")


def test_connection_refused_then_endpoint_comes_back(plugin: PluginProcess) -> None:
    port = free_port()
    settings = keys_settings(f"http://127.0.0.1:{port}")
    resp, seconds = timed_query(plugin, [metric_query("A", 1)], settings)
    answer = resp.responses["A"]
    assert answer.status == 502 and "cannot reach" in answer.error and answer.errorSource == "downstream"
    assert seconds < FAULT_BUDGET_S
    with FakeAws(port=port):
        assert_recovers(plugin, settings)
    FAULTS_SURVIVED.append("connection refused")


@pytest.mark.parametrize(("code", "status", "fragment"), [
    ("ExpiredTokenException", 401, "the AWS session token has expired"),
    ("UnrecognizedClientException", 403, "the access key id (or session token) is not valid"),
])
def test_credentials_expired_or_revoked_mid_run(code: str, status: int, fragment: str, plugin: PluginProcess,
                                                fake: FakeAws) -> None:
    settings = keys_settings(fake.url)
    assert_recovers(plugin, settings)
    fake.revoke(KEY_ID, status=400 if code.startswith("Expired") else 403, code=code)
    resp, seconds = timed_query(plugin, [metric_query("A", 1)], settings)
    answer = resp.responses["A"]
    assert answer.status == status and fragment in answer.error and answer.errorSource == "downstream"
    assert seconds < FAULT_BUDGET_S
    health = plugin.check_health(settings, timeout=RPC_DEADLINE_S)
    LEAKS.add_health(health)
    assert health.status == pb.CheckHealthResponse.ERROR
    fake.clear()  # the key is valid again (re-issued, or the operator fixed the policy)
    assert_recovers(plugin, settings)
    FAULTS_SURVIVED.append(f"credentials {code}")


def test_sts_failure_on_refresh(plugin: PluginProcess, fake: FakeAws) -> None:
    """Assumed-role credentials near expiry: an STS failure inside the advisory window is ridden out on the old
    credentials; inside the mandatory window it is this query's clear error; when STS is back, queries work."""
    # Session 900 s → refresh windows 300 s (advisory) and 150 s (mandatory): credentials valid 155 s are in
    # the advisory window at once and reach the mandatory one ~5 s later.
    fake.assume_expiry_s = 155
    settings = keys_settings(fake.url, assumeRoleArn="arn:aws:iam::123456789012:role/reader")
    assert_recovers(plugin, settings)
    assumed_at = time.monotonic()
    assert fake.count("AssumeRole") >= 1
    fake.fail("AssumeRole", status=503, code="ServiceUnavailable", message="sts is down", times=None)
    resp, _ = timed_query(plugin, [metric_query("A", 5)], settings)
    assert answer_problem(resp, {"A": 5}) is None  # advisory refresh failed: old credentials still used

    time.sleep(max(0.0, assumed_at + 6 - time.monotonic()))
    before = fake.count("AssumeRole")
    resp, seconds = timed_query(plugin, [metric_query("A", 5)], settings)
    answer = resp.responses["A"]
    assert answer.error and answer.errorSource == "downstream" and answer.status == 502, answer
    assert "ServiceUnavailable" in answer.error
    assert seconds < FAULT_BUDGET_S and fake.count("AssumeRole") - before <= 2 * MAX_ATTEMPTS
    fake.clear()
    fake.assume_expiry_s = 3600
    assert_recovers(plugin, settings)
    FAULTS_SURVIVED.append("STS failure on refresh (advisory and mandatory)")


def test_sts_down_at_first_assume_role(plugin: PluginProcess, fake: FakeAws) -> None:
    settings = keys_settings(fake.url, assumeRoleArn="arn:aws:iam::123456789012:role/reader")
    for fault in (Fault("fail", None, 400, "Throttling", "Rate exceeded"), Fault("truncate", None),
                  Fault("hang", None, seconds=60)):
        fake.inject("AssumeRole", fault)
        resp, seconds = timed_query(plugin, [metric_query("A", 1)], settings)
        answer = resp.responses["A"]
        assert answer.error and answer.errorSource == "downstream" and 400 <= answer.status < 600, answer
        assert seconds < FAULT_BUDGET_S * 2, fault  # STS retries, then (for the hang) timeouts
        health = plugin.check_health(settings, timeout=RPC_DEADLINE_S)
        LEAKS.add_health(health)
        assert health.status == pb.CheckHealthResponse.ERROR
        fake.clear()
    assert_recovers(plugin, settings)
    FAULTS_SURVIVED.append("STS failure at first AssumeRole (throttled, truncated, hung)")


def test_hung_datasource_does_not_block_others(plugins: StartPlugin, fake_factory: Callable[[], FakeAws]) -> None:
    """40 queries stuck on one datasource's hung endpoint; another datasource answers at full speed meanwhile,
    and every stuck query ends with a timeout error, not a hung RPC."""
    # A long AWS read timeout, so "not blocked" (well under it) and "blocked" (at least it) stay far apart even on
    # a slow, busy CI machine.
    read_timeout = 8
    plugin = plugins({"GF_PLUGIN_AWS_READ_TIMEOUT": str(read_timeout)})
    hung, healthy = fake_factory(), fake_factory()
    hung_settings = keys_settings(hung.url, uid="ds-hung")
    ok_settings = keys_settings(healthy.url, uid="ds-ok")
    assert_recovers(plugin, ok_settings)
    hung.inject("*", Fault("hang", None, seconds=60))
    stuck = 40
    with concurrent.futures.ThreadPoolExecutor(stuck + 2) as pool:
        started = time.monotonic()
        futures = [pool.submit(plugin.query, [metric_query("H", 1)], hung_settings, None, RPC_DEADLINE_S)
                   for _ in range(stuck)]
        health = pool.submit(plugin.check_health, hung_settings, None, RPC_DEADLINE_S)
        assert hung.count("GetMetricData") >= 1 or time.sleep(0.5) is None
        latencies = []
        for i in range(20):
            t = time.monotonic()
            resp = plugin.query([metric_query("A", i)], ok_settings, timeout=RPC_DEADLINE_S)
            latencies.append(time.monotonic() - t)
            assert answer_problem(resp, {"A": i}) is None
        assert max(latencies) < read_timeout / 2, latencies
        assert time.monotonic() - started < read_timeout - 1, "the healthy datasource had to wait for the hung one"
        for f in futures:
            answer = f.result(timeout=RPC_DEADLINE_S).responses["H"]
            assert answer.status == 504 and "timed out" in answer.error
        LEAKS.add_health(health.result(timeout=RPC_DEADLINE_S))
        assert time.monotonic() - started < read_timeout * 2 + 1 + 5  # 2 attempts x timeout + backoff + slack
    FAULTS_SURVIVED.append("hung endpoint isolated from another datasource")


def test_rpc_deadline_from_host_is_honoured_by_grpc(plugin: PluginProcess, fake: FakeAws) -> None:
    """A host deadline shorter than the AWS timeout: the host gets DEADLINE_EXCEEDED on time, the plugin stays
    up and answers the next request."""
    settings = keys_settings(fake.url)
    fake.inject("GetMetricData", Fault("hang", 1, seconds=60))
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as err:
        plugin.query([metric_query("A", 1)], settings, timeout=0.5)
    LEAKS.add_rpc_error(err.value)
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED and time.monotonic() - started < 1.5
    fake.clear()
    assert_recovers(plugin, settings)


def test_a_hung_datasource_cannot_take_every_worker(plugins: StartPlugin,
                                                     fake_factory: Callable[[], FakeAws]) -> None:
    """More requests for a hung datasource than the server has workers: the ones over the per-datasource limit
    are refused at once (429, downstream), so another datasource still gets a worker and answers."""
    read_timeout = 8
    plugin = plugins({"GF_PLUGIN_AWS_READ_TIMEOUT": str(read_timeout), "GF_PLUGIN_GRPC_WORKERS": "8",
                      "GF_PLUGIN_MAX_IN_FLIGHT_PER_DATASOURCE": "4"})
    hung, healthy = fake_factory(), fake_factory()
    hung_settings = keys_settings(hung.url, uid="ds-hung")
    ok_settings = keys_settings(healthy.url, uid="ds-ok")
    assert_recovers(plugin, ok_settings)
    hung.inject("*", Fault("hang", None, seconds=60))
    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        started = time.monotonic()
        futures = [pool.submit(plugin.query, [metric_query("H", 1)], hung_settings, None, RPC_DEADLINE_S)
                   for _ in range(10)]
        # The six over the limit come back well before the AWS timeout; the four admitted are still hanging.
        deadline = started + read_timeout - 1
        while sum(f.done() for f in futures) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        early = [f for f in futures if f.done()]
        assert len(early) == 6, f"{len(early)} answered before the AWS timeout"
        for f in early:
            answer = f.result().responses["H"]
            assert answer.status == 429 and answer.errorSource == "downstream" and "in flight" in answer.error
        # 4 of 8 workers are held by the hung datasource; the healthy one is still served.
        resp = plugin.query([metric_query("A", 7)], ok_settings, timeout=RPC_DEADLINE_S)
        assert answer_problem(resp, {"A": 7}) is None
        assert time.monotonic() - started < read_timeout - 1, "the healthy datasource waited for the hung one"
        admitted = [f.result(timeout=RPC_DEADLINE_S).responses["H"] for f in futures if f not in early]
        assert len(admitted) == 4 and all(a.status == 504 for a in admitted), admitted
    hung.clear()
    assert_recovers(plugin, hung_settings)
    FAULTS_SURVIVED.append("hung datasource held to its in-flight limit")
