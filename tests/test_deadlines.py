"""RequestScope (deadlines.py), PointBudget (cloudwatch/execute.py) and the metrics' datasource bound, in process.

The end-to-end cases (a trickling endpoint, the gRPC deadline, the handshake) are in
tests/reliability/test_deadlines.py; these pin the pieces' own rules, on real sockets where a socket is the point.
"""

from __future__ import annotations

import socket
import threading

from cloudwatch_datasource import deadlines, metrics
from cloudwatch_datasource.cloudwatch.execute import PointBudget
from cloudwatch_datasource.deadlines import RequestScope, RequestStopped
from cloudwatch_datasource.errors import ErrorSource


class Connection:
    """What a scope needs of urllib3's HTTPConnection: its socket, `sock`."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock


def test_watchdog_shuts_the_socket_a_read_is_blocked_on() -> None:
    """A read blocked on a connection the scope holds returns (end of file) once the scope's time is up, though
    the peer never sends or closes: what cuts a trickling AWS answer short."""
    ours, peer = socket.socketpair()
    try:
        ours.settimeout(30)  # the failure mode: blocked for the full socket timeout
        scope = RequestScope(0.2)
        scope.track(Connection(ours))
        assert ours.recv(1) == b""
        assert scope.stopped and scope.reason == "time limit"
        error = scope.error()
        assert isinstance(error, RequestStopped) and error.status == 504 and error.source is ErrorSource.DOWNSTREAM
        assert "deadline passed" in error.message
    finally:
        ours.close()
        peer.close()


def test_plugin_limit_wins_when_earlier_and_says_so() -> None:
    scope = RequestScope(3600).limit(0)
    assert scope.stopped
    assert "time limit of 0 s" in scope.error().message and "request_timeout" in scope.error().message
    later = RequestScope(1).limit(3600)  # the gRPC deadline is earlier: it stays the scope's end
    assert later.remaining() < 2
    later.finish()


def test_rpc_end_stops_a_running_scope_but_not_a_finished_one() -> None:
    running = RequestScope()
    running.rpc_terminated()  # the host cancelled while the handler still works
    assert running.stopped and "cancelled" in running.error().message
    done = RequestScope()
    done.finish()
    done.rpc_terminated()  # grpcio runs the callback after every answer, too
    assert not done.stopped


def test_a_connection_taken_after_the_end_is_shut_at_once() -> None:
    ours, peer = socket.socketpair()
    try:
        scope = RequestScope()
        scope.stop("cancelled")
        scope.track(Connection(ours))
        ours.settimeout(30)
        assert ours.recv(1) == b""
    finally:
        ours.close()
        peer.close()


def test_before_send_refuses_only_in_an_ended_scope() -> None:
    deadlines.before_send()  # no scope: nothing to refuse
    scope = RequestScope()
    token = deadlines.current.set(scope)
    try:
        deadlines.before_send()
        scope.stop("time limit")
        try:
            deadlines.before_send()
            raise AssertionError("an attempt was allowed after the scope ended")
        except RequestStopped:
            pass
    finally:
        deadlines.current.reset(token)


def test_pool_threads_run_in_the_callers_scope() -> None:
    scope = RequestScope()
    seen: list[RequestScope | None] = []
    token = deadlines.current.set(scope)
    try:
        bound = deadlines.run_in_scope(lambda: seen.append(deadlines.current.get()))
    finally:
        deadlines.current.reset(token)
    thread = threading.Thread(target=bound)
    thread.start()
    thread.join()
    assert seen == [scope]


def test_track_connections_installs_on_botocore_clients() -> None:
    import botocore.session

    client = botocore.session.get_session().create_client(
        "cloudwatch", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x")
    assert deadlines.track_connections(client), "botocore's pool seam moved: sockets can no longer be shut"


def test_point_budget() -> None:
    budget = PointBudget(per_query=10, per_request=25)
    assert budget.take(20) and not budget.take(6) and budget.exhausted
    assert not budget.take(1)  # exhausted stays exhausted: every plan still fetching stops
    fresh = PointBudget(per_query=10, per_request=25)
    assert fresh.take(20)
    fresh.give_back(20)
    assert fresh.take(25)
    assert fresh.query_error().status == 413 and fresh.query_error().source is ErrorSource.PLUGIN
    assert "max_points_per_request" in fresh.request_error().message and "25" in fresh.request_error().message


def test_metrics_forget_and_cap_datasources() -> None:
    for uid in ("m-a", "m-b"):
        metrics.QUERIES.labels(metrics.datasource_label(uid), "ok").inc()
        metrics.AWS_CALLS.labels(metrics.datasource_label(uid), "us-east-1", "GetMetricData").inc()
    metrics.forget_datasource("m-a")
    text = metrics.exposition().decode()
    assert 'datasource="m-a"' not in text and 'datasource="m-b"' in text
    for i in range(metrics.MAX_DATASOURCES + 5):
        metrics.QUERIES.labels(metrics.datasource_label(f"cap-{i}"), "ok").inc()
    text = metrics.exposition().decode()
    assert 'datasource="cap-0"' not in text and f'datasource="cap-{metrics.MAX_DATASOURCES + 4}"' in text
    assert len({line.split('datasource="')[1].split('"')[0] for line in text.splitlines()
                if 'datasource="' in line}) <= metrics.MAX_DATASOURCES


def test_metrics_error_codes_are_bounded() -> None:
    assert metrics.code_label("Throttling") == "Throttling"
    assert metrics.code_label("<html>bad gateway</html>") == "other"
    for i in range(metrics.MAX_CODES + 3):
        metrics.code_label(f"Code{i}")
    assert metrics.code_label("YetAnotherCode") == "other"
