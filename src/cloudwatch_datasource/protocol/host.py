"""A Python go-plugin host that behaves like grafana-server's: used by the demo, the CLI tools and the tests.

It does what go-plugin's client does for Grafana (hashicorp/go-plugin client.go; protocol/handshake.py): sets the
magic cookie and PLUGIN_* variables, starts the executable with a controlled environment, reads exactly one handshake
line from stdout, dials the address, pings the `plugin` health service, calls the pluginv2 services, and on kill()
calls GRPCController/Shutdown, then waits 2 s before SIGKILL, recording whether that was needed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from .. import PLUGIN_ID, __version__
from .pb import backend_pb2 as pb
from .pb import backend_pb2_grpc, grpc_controller_pb2, grpc_controller_pb2_grpc

# The plugin as the current interpreter would run it (the dist's gpx_ launcher runs the same module).
DEFAULT_COMMAND = [sys.executable, "-m", "cloudwatch_datasource"]


def go_plugin_env(extra: Mapping[str, str] | None = None, *, inherit: bool = False) -> dict[str, str]:
    """The environment go-plugin gives a Grafana plugin; with inherit=False nothing of ours leaks in
    (Grafana >= 12.4 passes no host environment: no PATH, HOME or VIRTUAL_ENV)."""
    env = dict(os.environ) if inherit else {}
    env.update({
        "grafana_plugin_type": "datasource",
        "PLUGIN_PROTOCOL_VERSIONS": "2",
        "PLUGIN_MIN_PORT": "10000",
        "PLUGIN_MAX_PORT": "25000",
        "GF_VERSION": "12.4.0",
        "GF_EDITION": "Open Source",
    })
    env.update(extra or {})
    return env


@dataclass
class PluginProcess:
    proc: subprocess.Popen[bytes]
    handshake: str
    channel: grpc.Channel
    stderr_lines: list[str] = field(default_factory=list)
    stdout_after_handshake: list[bytes] = field(default_factory=list)
    killed: bool = False

    @property
    def data(self) -> backend_pb2_grpc.DataStub:
        return backend_pb2_grpc.DataStub(self.channel)

    @property
    def diagnostics(self) -> backend_pb2_grpc.DiagnosticsStub:
        return backend_pb2_grpc.DiagnosticsStub(self.channel)

    @property
    def resource(self) -> backend_pb2_grpc.ResourceStub:
        return backend_pb2_grpc.ResourceStub(self.channel)

    def ping(self) -> int:
        stub = health_pb2_grpc.HealthStub(self.channel)
        return int(stub.Check(health_pb2.HealthCheckRequest(service="plugin"), timeout=5).status)

    def check_health(self, settings: pb.DataSourceInstanceSettings | None = None,
                     grafana_config: Mapping[str, str] | None = None, timeout: float = 60) -> pb.CheckHealthResponse:
        response: pb.CheckHealthResponse = self.diagnostics.CheckHealth(
            pb.CheckHealthRequest(pluginContext=plugin_context(settings, grafana_config)), timeout=timeout)
        return response

    def query(self, queries: Iterable[pb.DataQuery], settings: pb.DataSourceInstanceSettings | None = None,
              grafana_config: Mapping[str, str] | None = None, timeout: float = 60) -> pb.QueryDataResponse:
        response: pb.QueryDataResponse = self.data.QueryData(
            pb.QueryDataRequest(pluginContext=plugin_context(settings, grafana_config), queries=list(queries)),
            timeout=timeout)
        return response

    def call_resource(self, path: str, settings: pb.DataSourceInstanceSettings | None = None, *,
                      method: str = "GET", query: str = "", body: bytes = b"",
                      grafana_config: Mapping[str, str] | None = None) -> list[pb.CallResourceResponse]:
        url = path + (f"?{query}" if query else "")
        req = pb.CallResourceRequest(pluginContext=plugin_context(settings, grafana_config), path=path,
                                     method=method, url=url, body=body)
        return list(self.resource.CallResource(req, timeout=60))

    def kill(self) -> float:
        """go-plugin's Client.Kill: Shutdown RPC, close, wait up to 2 s, else SIGKILL. Returns seconds taken."""
        started = time.monotonic()
        if self.proc.poll() is None:
            try:
                grpc_controller_pb2_grpc.GRPCControllerStub(self.channel).Shutdown(
                    grpc_controller_pb2.Empty(), timeout=2)
            except grpc.RpcError:
                pass
            self.channel.close()
            try:
                self.proc.wait(2)
            except subprocess.TimeoutExpired:
                self.killed = True
                self.proc.kill()
                self.proc.wait()
        self.channel.close()
        return time.monotonic() - started

    def logs(self) -> list[dict[str, Any]]:
        return decode_log_lines(self.stderr_lines)


def decode_log_lines(lines: Iterable[str]) -> list[dict[str, Any]]:
    """The plugin's stderr as go-plugin reads it: JSON log lines, anything else kept as a raw message."""
    out = []
    for line in list(lines):
        try:
            out.append(json.loads(line))
        except ValueError:
            out.append({"@message": line, "@level": "raw"})
    return out


def start_plugin(command: list[str] | None = None, env: Mapping[str, str] | None = None,
                 timeout: float = 60) -> PluginProcess:
    proc = subprocess.Popen(command or DEFAULT_COMMAND, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=dict(env if env is not None else go_plugin_env()))
    stderr_lines: list[str] = []

    def drain() -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            stderr_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    threading.Thread(target=drain, daemon=True).start()
    line = _read_line(proc, timeout)
    # go-plugin servers (hashicorp/go-plugin server.go, v1.5+) write a 6th field, the AutoMTLS server certificate,
    # empty when the host asked for none, and a 7th when the host set PLUGIN_MULTIPLEX_GRPC; like go-plugin's
    # client, read the first five and accept the rest (a Go plugin's line is `1|2|unix|/tmp/plugin…|grpc|`).
    parts = line.strip().split("|")
    if len(parts) < 5 or parts[:2] != ["1", "2"] or parts[4] != "grpc":
        proc.kill()
        raise RuntimeError(f"bad handshake line {line!r}; stderr: {stderr_lines}")
    target = f"unix:{parts[3]}" if parts[2] == "unix" else parts[3]
    # go-plugin dials with MaxInt32 message limits.
    channel = grpc.insecure_channel(target, options=[("grpc.max_receive_message_length", 2**31 - 1),
                                                     ("grpc.max_send_message_length", 2**31 - 1)])
    grpc.channel_ready_future(channel).result(timeout=10)
    # Keep draining stdout so a misbehaving plugin can't block on a full pipe (go-plugin discards it); keep what
    # arrives so tests can assert that nothing ever follows the handshake line.
    after: list[bytes] = []
    threading.Thread(target=lambda: after.append(proc.stdout.read() if proc.stdout else b""), daemon=True).start()
    return PluginProcess(proc=proc, handshake=line, channel=channel, stderr_lines=stderr_lines,
                         stdout_after_handshake=after)


def _read_line(proc: subprocess.Popen[bytes], timeout: float) -> str:
    result: list[bytes] = []
    reader = threading.Thread(target=lambda: result.append(proc.stdout.readline() if proc.stdout else b""),
                              daemon=True)
    reader.start()
    reader.join(timeout)
    if not result or not result[0]:
        proc.send_signal(signal.SIGKILL)
        raise RuntimeError("plugin exited or timed out before the handshake line")
    return result[0].decode()


def datasource_settings(json_data: Mapping[str, Any] | None = None, secure: Mapping[str, str] | None = None, *,
                        uid: str = "ds-1", name: str = "CloudWatch", last_updated_ms: int = 1
                        ) -> pb.DataSourceInstanceSettings:
    return pb.DataSourceInstanceSettings(
        id=1, uid=uid, name=name, jsonData=json.dumps(json_data or {}).encode(),
        decryptedSecureJsonData=dict(secure or {}), lastUpdatedMS=last_updated_ms)


def plugin_context(settings: pb.DataSourceInstanceSettings | None,
                   grafana_config: Mapping[str, str] | None = None) -> pb.PluginContext:
    ctx = pb.PluginContext(orgId=1, pluginId=PLUGIN_ID, pluginVersion=__version__,
                           grafanaConfig=dict(grafana_config or {}))
    if settings is not None:
        ctx.dataSourceInstanceSettings.CopyFrom(settings)
    return ctx


def data_query(ref_id: str, model: Mapping[str, Any], from_ms: int, to_ms: int) -> pb.DataQuery:
    body = {"refId": ref_id, "datasource": {"type": PLUGIN_ID, "uid": "ds-1"}, **model}
    return pb.DataQuery(refId=ref_id, json=json.dumps(body).encode(),
                        timeRange=pb.TimeRange(fromEpochMS=from_ms, toEpochMS=to_ms),
                        maxDataPoints=1000, intervalMS=60000)
