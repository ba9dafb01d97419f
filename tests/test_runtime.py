"""The plugin process through its real handshake, driven like grafana-server's go-plugin client drives it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import grpc
import pytest
from support.plugins import StartPlugin

from cloudwatch_datasource.protocol.host import DEFAULT_COMMAND, data_query, go_plugin_env
from cloudwatch_datasource.protocol.pb import backend_pb2 as pb
from cloudwatch_datasource.protocol.pb import grpc_stdio_pb2_grpc

pytestmark = pytest.mark.processes  # every test runs the plugin executable


def test_started_by_hand_without_cookie_explains_and_exits_nonzero() -> None:
    env = {k: v for k, v in os.environ.items() if k != "grafana_plugin_type"}
    done = subprocess.run(DEFAULT_COMMAND, env=env, capture_output=True, timeout=30)
    assert done.returncode != 0
    assert done.stdout == b""  # stdout belongs to the handshake, even when refusing
    assert b"grafana-server" in done.stderr and b"grafana_plugin_type=datasource" in done.stderr


def test_refuses_when_protocol_version_2_is_not_offered() -> None:
    done = subprocess.run(DEFAULT_COMMAND, env=go_plugin_env({"PLUGIN_PROTOCOL_VERSIONS": "1"}),
                          capture_output=True, timeout=30)
    assert done.returncode != 0
    assert done.stdout == b""
    assert b"only version 2" in done.stderr


def test_handshake_line_health_and_graceful_shutdown_with_empty_environment(start_plugin: StartPlugin) -> None:
    plugin = start_plugin(env=go_plugin_env())  # no PATH, HOME, VIRTUAL_ENV: like Grafana >= 12.4
    try:
        parts = plugin.handshake.rstrip("\n").split("|")
        assert parts[:3] == ["1", "2", "tcp"] and parts[4] == "grpc" and len(parts) == 5
        assert parts[3].startswith("127.0.0.1:")
        assert plugin.ping() == 1  # SERVING
    finally:
        seconds = plugin.kill()
    assert not plugin.killed, "needed SIGKILL: Shutdown did not stop the process"
    assert seconds < 1.5
    assert plugin.proc.returncode == 0
    time.sleep(0.1)
    assert plugin.stdout_after_handshake in ([], [b""]), "something was written to stdout after the handshake"


def test_sigint_is_ignored_and_sigterm_stops(start_plugin: StartPlugin) -> None:
    plugin = start_plugin()
    try:
        plugin.proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        assert plugin.proc.poll() is None
        assert plugin.ping() == 1
        started = time.monotonic()
        plugin.proc.send_signal(signal.SIGTERM)
        assert plugin.proc.wait(5) == 0
        assert time.monotonic() - started < 1.5
    finally:
        plugin.kill()


def test_unix_socket_when_host_asks_for_one(tmp_path: Path, start_plugin: StartPlugin) -> None:
    plugin = start_plugin(env=go_plugin_env({"PLUGIN_UNIX_SOCKET_DIR": str(tmp_path)}))
    try:
        _, _, network, address, _ = plugin.handshake.rstrip("\n").split("|")
        assert network == "unix" and address.startswith(str(tmp_path))
        assert plugin.ping() == 1
    finally:
        plugin.kill()
    assert not plugin.killed
    assert not Path(address).exists()  # socket cleaned up


def test_logs_are_go_plugin_json_lines_on_stderr(start_plugin: StartPlugin) -> None:
    plugin = start_plugin(env=go_plugin_env({"GF_PLUGIN_LOG_LEVEL": "debug"}))
    plugin.kill()
    time.sleep(0.2)
    assert plugin.stderr_lines, "expected start/stop log lines"
    for line in plugin.stderr_lines:
        entry = json.loads(line)
        assert isinstance(entry["@level"], str) and entry["@level"] in {"trace", "debug", "info", "warn", "error"}
        assert isinstance(entry["@message"], str)
        assert "@timestamp" not in entry
    assert any(e["@message"] == "plugin started" for e in plugin.logs())


def test_stdio_stream_stays_open_until_host_cancels(start_plugin: StartPlugin) -> None:
    plugin = start_plugin()
    try:
        stream = grpc_stdio_pb2_grpc.GRPCStdioStub(plugin.channel).StreamStdio(
            __import__("google.protobuf.empty_pb2", fromlist=["Empty"]).Empty(), timeout=1.0)
        with pytest.raises(grpc.RpcError) as err:
            next(stream)
        assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED  # open, silent, until the deadline
    finally:
        plugin.kill()


def test_query_without_datasource_settings_errors_per_ref_id_and_stays_up(start_plugin: StartPlugin) -> None:
    plugin = start_plugin()
    try:
        now = int(time.time() * 1000)
        resp = plugin.query([data_query("A", {"namespace": "AWS/EC2"}, now - 3600_000, now),
                             data_query("B", {"namespace": "AWS/EC2"}, now - 3600_000, now)])
        assert set(resp.responses) == {"A", "B"}
        for answer in resp.responses.values():
            assert answer.error and answer.status == 400 and answer.errorSource == "plugin"
        health = plugin.check_health()
        assert health.status == pb.CheckHealthResponse.ERROR
        assert "datasource settings" in health.message
        assert plugin.ping() == 1
    finally:
        plugin.kill()


def test_unimplemented_stream_service_answers_unimplemented(start_plugin: StartPlugin) -> None:
    from cloudwatch_datasource.protocol.pb import backend_pb2_grpc

    plugin = start_plugin()
    try:
        with pytest.raises(grpc.RpcError) as err:
            backend_pb2_grpc.StreamStub(plugin.channel).SubscribeStream(pb.SubscribeStreamRequest(), timeout=5)
        assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        plugin.kill()
