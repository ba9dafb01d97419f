"""Lifecycle under load (hashicorp/go-plugin client.go, Kill), with the dist executable started and driven by
grafana-server's own client (the Go host, tests/support/grafana_host.py): Grafana's stop (go-plugin Kill), the Shutdown
RPC alone and SIGTERM stop the process within 1 s with in-flight requests either finished or cancelled cleanly;
SIGINT is ignored; the plugin does not outlive a killed host; after a crash a new process works at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from support.fake_aws import FakeAws, Fault, wait_until
from support.grafana_host import GrafanaHost, HostError, StartGrafana, query_answer

from .helpers import (
    LEAKS,
    StartDist,
    grafana_metric_query,
    keys_datasource,
    pid_alive,
    plugin_env,
    reliability_env,
    sdk_answer_problem,
)

pytestmark = pytest.mark.processes  # tests/support/tiers.py

EXIT_BUDGET_S = 1.0
SHORT, LONG = 6, 6  # in-flight requests that can finish within the grace period, and ones that cannot
# How a request cut off by a stopping or dead plugin ends, as Grafana's gRPC client sees it.
CUT_OFF = ("Unavailable", "Canceled")

Stopper = Callable[[GrafanaHost], None]


def _shutdown_rpc(plugin: GrafanaHost) -> None:
    plugin.shutdown_rpc()


def _sigterm(plugin: GrafanaHost) -> None:
    os.kill(plugin.pid, signal.SIGTERM)


def _start_in_flight(plugin: GrafanaHost, fast: FakeAws, slow: FakeAws
                     ) -> tuple[list[Future[dict[str, Any]]], list[Future[dict[str, Any]]]]:
    fast.inject("GetMetricData", Fault("hang", None, seconds=0.3))
    slow.inject("GetMetricData", Fault("hang", None, seconds=30))
    short = [plugin.submit_query([grafana_metric_query("A", i)], keys_datasource(fast.url, uid="fast"), timeout=10)
             for i in range(SHORT)]
    long = [plugin.submit_query([grafana_metric_query("A", i)], keys_datasource(slow.url, uid="slow"), timeout=10)
            for i in range(LONG)]
    assert wait_until(lambda: fast.count("GetMetricData") >= SHORT and slow.count("GetMetricData") >= LONG, 5)
    return short, long


def _warm(plugin: GrafanaHost, fast: FakeAws, slow: FakeAws) -> None:
    for fake, uid in ((fast, "fast"), (slow, "slow")):  # credentials and clients built before the clock starts
        assert sdk_answer_problem(plugin.query([grafana_metric_query("W", 1)], keys_datasource(fake.url, uid=uid)),
                                  {"W": 1}) is None


def _cut_off(future: Future[dict[str, Any]]) -> str:
    with pytest.raises(HostError) as err:
        query_answer(future, timeout=5)
    LEAKS.add("grpc error", err.value.message)
    return err.value.grpc_code


@pytest.mark.parametrize("stop", [_shutdown_rpc, _sigterm], ids=["shutdown-rpc", "sigterm"])
def test_stop_with_in_flight_requests(stop: Stopper, dist_plugins: StartDist,
                                      fake_factory: Callable[[], FakeAws]) -> None:
    plugin = dist_plugins()
    fast, slow = fake_factory(), fake_factory()
    _warm(plugin, fast, slow)
    short, long = _start_in_flight(plugin, fast, slow)
    stop(plugin)
    exited = plugin.wait(5)
    assert exited["exited"] and exited["exitCode"] == 0, exited
    exit_seconds = exited["waitedMs"] / 1000
    assert exit_seconds <= EXIT_BUDGET_S, f"took {exit_seconds:.2f} s to exit"
    # requests that could finish in the grace period did, with correct data
    for i, f in enumerate(short):
        assert sdk_answer_problem(query_answer(f, timeout=2), {"A": i}) is None
    # the others ended at once with a clean gRPC status, not a hang or a half answer
    for f in long:
        assert _cut_off(f) in CUT_OFF
    LIFECYCLE[f"exit after {stop.__name__.strip('_')}"] = round(exit_seconds, 2)


def test_grafana_stop_with_in_flight_requests(dist_plugins: StartDist, fake_factory: Callable[[], FakeAws]) -> None:
    """Grafana's own stop (grpcplugin Stop → go-plugin Client.Kill): the client closes its connection, so every
    in-flight request ends at once on Grafana's side, and the plugin must still exit by itself (no SIGKILL after
    go-plugin's 2 s) with status 0."""
    plugin = dist_plugins()
    fast, slow = fake_factory(), fake_factory()
    _warm(plugin, fast, slow)
    short, long = _start_in_flight(plugin, fast, slow)
    stopped = plugin.kill()
    assert stopped["graceful"] and not stopped["forcedKill"] and stopped["exitCode"] == 0, stopped
    for i, f in enumerate(short):
        try:
            answer = query_answer(f, timeout=5)  # one that finished just before the close is a whole answer
        except HostError as err:
            LEAKS.add("grpc error", err.message)
            assert err.grpc_code in CUT_OFF, err
        else:
            assert sdk_answer_problem(answer, {"A": i}) is None
    for f in long:
        assert _cut_off(f) in CUT_OFF
    LIFECYCLE["exit after Grafana's kill"] = round(stopped["killMs"] / 1000, 2)


def test_sigint_is_ignored_mid_request(dist_plugins: StartDist, fake: FakeAws) -> None:
    plugin = dist_plugins()
    settings = keys_datasource(fake.url)
    fake.inject("GetMetricData", Fault("hang", 1, seconds=0.5))
    in_flight = plugin.submit_query([grafana_metric_query("A", 1)], settings, timeout=10)
    assert wait_until(lambda: fake.count("GetMetricData") >= 1, 5)
    os.kill(plugin.pid, signal.SIGINT)
    assert sdk_answer_problem(query_answer(in_flight, timeout=5), {"A": 1}) is None
    time.sleep(0.3)
    assert pid_alive(plugin.pid) and plugin.ping()
    assert sdk_answer_problem(plugin.query([grafana_metric_query("B", 2)], settings), {"B": 2}) is None


def test_plugin_does_not_outlive_a_killed_host(grafana: StartGrafana, dist_executable: Path) -> None:
    """grafana-server SIGKILLed (OOM killer, crash): its plugins must not linger as orphans."""
    host = grafana([str(dist_executable)], reliability_env())
    pid = host.pid
    assert pid_alive(pid)
    started = time.monotonic()
    host.proc.kill()
    host.proc.wait(5)
    assert wait_until(lambda: not pid_alive(pid), 5), "plugin still running after its host was killed"
    LIFECYCLE["exit after host SIGKILL"] = round(time.monotonic() - started, 2)
    assert time.monotonic() - started < 2.0


def test_exits_cleanly_when_the_host_took_the_stderr_pipe_with_it() -> None:
    """A killed host closes the read end of the plugin's stderr: the shutdown's last log lines and flush fail with
    EPIPE, and the plugin must still take its fast exit (os._exit(0)), not the interpreter's slow exit path
    (which once ran here: exit status 120 after a BrokenPipeError, joining every thread first). A raw process, not
    a host: no host would keep reading from a pipe it no longer has."""
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


def test_crash_mid_request_then_restart_works(dist_plugins: StartDist, dist_executable: Path, fake: FakeAws
                                              ) -> None:
    settings = keys_datasource(fake.url)
    host = dist_plugins()
    assert sdk_answer_problem(host.query([grafana_metric_query("A", 1)], settings), {"A": 1}) is None
    fake.inject("GetMetricData", Fault("hang", None, seconds=30))
    # Four different queries: identical ones would be answered from the first one's cached answer (or share one
    # call), and the point is four calls hanging in the plugin when it dies.
    in_flight = [host.submit_query([grafana_metric_query("A", n)], settings, timeout=20) for n in range(2, 6)]
    assert wait_until(lambda: fake.count("GetMetricData") >= 5, 5)
    os.kill(host.pid, signal.SIGKILL)  # a crash: no Shutdown, no signal handler
    started = time.monotonic()
    for f in in_flight:
        assert _cut_off(f) == "Unavailable"  # what Grafana gets from a dead plugin
    assert time.monotonic() - started < 2.0
    assert wait_until(lambda: host.wait(0.1)["exited"], 5)
    fake.clear()
    # Grafana's process manager restarts it within a second: a new go-plugin client, a new process.
    first_pid = host.pid
    host.start([str(dist_executable)], reliability_env())
    assert host.pid != first_pid
    resp = host.query([grafana_metric_query("A", 7), grafana_metric_query("B", 8)], settings)
    assert sdk_answer_problem(resp, {"A": 7, "B": 8}) is None
    health = host.check_health(settings)
    LEAKS.add("health", health["message"], str(health["jsonDetails"]))
    assert health["status"] == "OK"


LIFECYCLE: dict[str, float] = {}
