"""Lifecycle under load (shared/reference/plugin-protocol.md §2.6): Shutdown RPC and SIGTERM stop the process
within 1 s with in-flight requests either finished or cancelled cleanly; SIGINT is ignored; the plugin does not
outlive a killed host; after a crash a new process works at once."""

from __future__ import annotations

import concurrent.futures
import json
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable

import grpc
import pytest
from support.fake_aws import FakeAws, Fault, wait_until
from support.plugins import StartPlugin

from cloudwatch_datasource.protocol.host import PluginProcess
from cloudwatch_datasource.protocol.pb import backend_pb2 as pb
from cloudwatch_datasource.protocol.pb import grpc_controller_pb2, grpc_controller_pb2_grpc

from .helpers import LEAKS, answer_problem, keys_settings, metric_query, pid_alive, plugin_env

pytestmark = pytest.mark.processes  # tests/support/tiers.py

EXIT_BUDGET_S = 1.0
SHORT, LONG = 6, 6  # in-flight requests that can finish within the grace period, and ones that cannot

Stopper = Callable[[PluginProcess], None]


def _shutdown_rpc(plugin: PluginProcess) -> None:
    grpc_controller_pb2_grpc.GRPCControllerStub(plugin.channel).Shutdown(grpc_controller_pb2.Empty(), timeout=2)


def _sigterm(plugin: PluginProcess) -> None:
    plugin.proc.send_signal(signal.SIGTERM)


def _start_in_flight(pool: concurrent.futures.Executor, plugin: PluginProcess, fast: FakeAws, slow: FakeAws
                     ) -> tuple[list[concurrent.futures.Future[pb.QueryDataResponse]],
                                list[concurrent.futures.Future[pb.QueryDataResponse]]]:
    fast.inject("GetMetricData", Fault("hang", None, seconds=0.3))
    slow.inject("GetMetricData", Fault("hang", None, seconds=30))
    short = [pool.submit(plugin.query, [metric_query("A", i)], keys_settings(fast.url, uid="fast"), None, 10)
             for i in range(SHORT)]
    long = [pool.submit(plugin.query, [metric_query("A", i)], keys_settings(slow.url, uid="slow"), None, 10)
            for i in range(LONG)]
    assert wait_until(lambda: fast.count("GetMetricData") >= SHORT and slow.count("GetMetricData") >= LONG, 5)
    return short, long


@pytest.mark.parametrize("stop", [_shutdown_rpc, _sigterm], ids=["shutdown-rpc", "sigterm"])
def test_stop_with_in_flight_requests(stop: Stopper, plugins: StartPlugin,
                                      fake_factory: Callable[[], FakeAws]) -> None:
    plugin = plugins()
    fast, slow = fake_factory(), fake_factory()
    for fake in (fast, slow):  # credentials and clients built before the clock starts
        uid = "fast" if fake is fast else "slow"
        assert answer_problem(plugin.query([metric_query("W", 1)], keys_settings(fake.url, uid=uid)), {"W": 1}) is None
    with concurrent.futures.ThreadPoolExecutor(SHORT + LONG) as pool:
        short, long = _start_in_flight(pool, plugin, fast, slow)
        started = time.monotonic()
        stop(plugin)
        code = plugin.proc.wait(5)
        exit_seconds = time.monotonic() - started
        assert code == 0
        assert exit_seconds <= EXIT_BUDGET_S, f"took {exit_seconds:.2f} s to exit"
        # requests that could finish in the grace period did, with correct data
        for i, f in enumerate(short):
            assert answer_problem(f.result(timeout=2), {"A": i}) is None
        # the others ended at once with a clean gRPC status, not a hang or a half answer
        for f in long:
            with pytest.raises(grpc.RpcError) as err:
                f.result(timeout=2)
            LEAKS.add_rpc_error(err.value)
            assert err.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
    assert not plugin.killed
    LIFECYCLE[f"exit after {stop.__name__.strip('_')}"] = round(exit_seconds, 2)


def test_sigint_is_ignored_mid_request(plugins: StartPlugin, fake: FakeAws) -> None:
    plugin = plugins()
    settings = keys_settings(fake.url)
    fake.inject("GetMetricData", Fault("hang", 1, seconds=0.5))
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        in_flight = pool.submit(plugin.query, [metric_query("A", 1)], settings, None, 10)
        assert wait_until(lambda: fake.count("GetMetricData") >= 1, 5)
        plugin.proc.send_signal(signal.SIGINT)
        assert answer_problem(in_flight.result(timeout=5), {"A": 1}) is None
    time.sleep(0.3)
    assert plugin.proc.poll() is None and plugin.ping() == 1
    assert answer_problem(plugin.query([metric_query("B", 2)], settings), {"B": 2}) is None


HOST_SCRIPT = textwrap.dedent("""
    import json, sys, time
    from cloudwatch_datasource.protocol.host import start_plugin
    plugin = start_plugin(env=json.loads(sys.argv[1]))
    print(plugin.proc.pid, flush=True)
    time.sleep(600)
""")


def test_plugin_does_not_outlive_a_killed_host() -> None:
    """grafana-server SIGKILLed (OOM killer, crash): its plugins must not linger as orphans."""
    host = subprocess.Popen([sys.executable, "-c", HOST_SCRIPT, json.dumps(plugin_env())],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert host.stdout is not None
        pid = int(host.stdout.readline())
        assert pid_alive(pid)
        started = time.monotonic()
        host.kill()
        host.wait(5)
        assert wait_until(lambda: not pid_alive(pid), 5), "plugin still running after its host was killed"
        LIFECYCLE["exit after host SIGKILL"] = round(time.monotonic() - started, 2)
        assert time.monotonic() - started < 2.0
    finally:
        host.kill()


def test_exits_cleanly_when_the_host_took_the_stderr_pipe_with_it() -> None:
    """A killed host closes the read end of the plugin's stderr: the shutdown's last log lines and flush fail with
    EPIPE, and the plugin must still take its fast exit (os._exit(0)), not the interpreter's slow exit path
    (which once ran here: exit status 120 after a BrokenPipeError, joining every thread first)."""
    import os

    read_end, write_end = os.pipe()
    proc = subprocess.Popen([sys.executable, "-m", "cloudwatch_datasource"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=write_end, env=plugin_env())
    os.close(write_end)
    try:
        assert proc.stdout is not None and proc.stdout.readline().startswith(b"1|2|")
        os.close(read_end)
        time.sleep(0.6)  # past the warm-up's first log lines
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(5) == 0
    finally:
        proc.kill()


def test_crash_mid_request_then_restart_works(plugins: StartPlugin, fake: FakeAws) -> None:
    settings = keys_settings(fake.url)
    first = plugins()
    assert answer_problem(first.query([metric_query("A", 1)], settings), {"A": 1}) is None
    fake.inject("GetMetricData", Fault("hang", None, seconds=30))
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        in_flight = [pool.submit(first.query, [metric_query("A", 1)], settings, None, 20) for _ in range(4)]
        assert wait_until(lambda: fake.count("GetMetricData") >= 5, 5)
        first.proc.kill()  # a crash: no Shutdown, no signal handler
        started = time.monotonic()
        for f in in_flight:
            with pytest.raises(grpc.RpcError) as err:
                f.result(timeout=5)
            LEAKS.add_rpc_error(err.value)
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE  # what Grafana expects from a dead plugin
        assert time.monotonic() - started < 2.0
    fake.clear()
    second = plugins()  # Grafana's process manager restarts it within a second
    resp = second.query([metric_query("A", 7), metric_query("B", 8)], settings)
    assert answer_problem(resp, {"A": 7, "B": 8}) is None
    health = second.check_health(settings)
    LEAKS.add_health(health)
    assert health.status == pb.CheckHealthResponse.OK


LIFECYCLE: dict[str, float] = {}
