"""Python side of the Go host (tests/goplugin_host): grafana-server's own plugin client driving our plugin.

The Go driver starts the plugin with hashicorp/go-plugin v1.8 configured as Grafana configures it (the SDK's
handshake constants and backend/grpcplugin client set, gRPC only, SkipHostEnv with Grafana 12.4's plugin
environment), converts every answer with grafana-plugin-sdk-go's backend package and hands back the SDK's JSON,
plus what the dataplane readers (alerting's) make of each response's frames. See tests/goplugin_host/main.go
for the wire format; this module is the test-facing API:

    host = GrafanaHost.launch(binary)           # one "grafana-server"
    host.start(command=[...], env={...})        # the plugin process (argv list; wrappers allowed)
    host.check_health(datasource({...}))        # {"status": "OK", "message": ..., "jsonDetails": ...}
    answer = host.query([data_query(...)], ds)  # answer.results["A"] is /api/ds/query's JSON for refId A
    host.kill()                                 # Grafana's stop: Shutdown, 2 s grace, SIGKILL; reports which
"""

from __future__ import annotations

import base64
import json
import math
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudwatch_datasource import PLUGIN_ID
from cloudwatch_datasource.protocol.host import decode_log_lines

ROOT = Path(__file__).resolve().parents[2]
HOST_SOURCE = ROOT / "tests" / "goplugin_host"
HOST_BINARY = ROOT / "build" / "gohost" / "gohost"
# The machine's Go toolchain (scripts/setup.sh); modules come from the Go module proxy, pinned by go.sum.
GO_CANDIDATES = ("/usr/local/go/bin/go", "/usr/lib/go/bin/go")
# The plugin as the venv runs it; the dist's executable is the same package frozen (the `dist_executable` fixture).
PLUGIN_COMMAND = [sys.executable, "-m", "cloudwatch_datasource"]


def find_go() -> str:
    found = shutil.which("go") or next((c for c in GO_CANDIDATES if os.access(c, os.X_OK)), None)
    if found is None:
        raise RuntimeError("Go toolchain missing (expected /usr/local/go/bin/go or go on PATH): the Go host is "
                           "how the end-to-end tests talk to the plugin, they must not be skipped")
    return found


def build_host(output: Path = HOST_BINARY) -> Path:
    """`go build` of the driver (the module cache and build cache make a rebuild take a second or two)."""
    go = find_go()
    # GOTOOLCHAIN=local: never fetch another toolchain; -mod=readonly: go.sum pins every module (a fresh clone
    # downloads exactly those, from the module cache or the Go module proxy); no VCS stamping of a test binary.
    env = {**os.environ, "PATH": f"{Path(go).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=readonly -buildvcs=false"}
    output.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([go, "build", "-o", str(output), "."], cwd=HOST_SOURCE, env=env, capture_output=True,
                          text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"go build of the Go host failed:\n{done.stdout}\n{done.stderr}")
    return output


class HostError(RuntimeError):
    """An operation the Go host reported as failed: a gRPC error (grpc_code set), a conversion the SDK refused,
    or a plugin that would not start."""

    def __init__(self, op: str, message: str, grpc_code: str = "") -> None:
        super().__init__(f"{op}: {message}")
        self.op, self.message, self.grpc_code = op, message, grpc_code


@dataclass
class QueryAnswer:
    """QueryData as Grafana sees it: `results` is the SDK's JSON ({refId: {status, frames, error, errorSource}}),
    `readers` what the dataplane readers make of each refId's frames (kind, series, labels, errors)."""

    results: dict[str, dict[str, Any]]
    readers: dict[str, dict[str, Any]]

    def frames(self, ref_id: str) -> list[dict[str, Any]]:
        return list(self.results[ref_id].get("frames", []))


def field_values(frame: Mapping[str, Any], name: str, index: int = 0) -> list[Any]:
    """The values of the `index`-th field called `name` in an SDK-JSON frame, with the SDK's `entities`
    (NaN, +Inf, -Inf sent out of band because JSON has no such numbers) put back."""
    fields = frame["schema"]["fields"]
    positions = [i for i, f in enumerate(fields) if f["name"] == name]
    if len(positions) <= index:
        raise KeyError(f"no field {name!r} #{index} in {[f['name'] for f in fields]}")
    i = positions[index]
    values = list(frame["data"]["values"][i])
    entities = (frame["data"].get("entities") or [None] * len(fields))[i] or {}
    for key, number in (("NaN", math.nan), ("Inf", math.inf), ("NegInf", -math.inf)):
        for j in entities.get(key, []):
            values[j] = number
    return values


def field_schema(frame: Mapping[str, Any], name: str, index: int = 0) -> dict[str, Any]:
    return [f for f in frame["schema"]["fields"] if f["name"] == name][index]


@dataclass
class GrafanaHost:
    """One Go host process (one "grafana-server") hosting at most one plugin process at a time."""

    proc: subprocess.Popen[bytes]
    # The plugin's stderr, line by line as go-plugin reads it (what Grafana logs under logger=plugin.<id>).
    stderr_lines: list[str] = field(default_factory=list)
    host_stderr: list[str] = field(default_factory=list)
    pid: int = 0
    started: dict[str, Any] = field(default_factory=dict)
    killed: bool = False  # the last kill() had to SIGKILL (not graceful)
    _pending: dict[int, Future[dict[str, Any]]] = field(default_factory=dict)
    _next_id: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def launch(cls, binary: Path, host_env: Mapping[str, str] | None = None) -> GrafanaHost:
        """host_env is grafana-server's own environment (by default none): Grafana 12.4.2 forwards a few AWS and
        proxy variables from it to the plugin (tests/goplugin_host/plugin.go forwardedHostVars)."""
        proc = subprocess.Popen([str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=dict(host_env or {}))
        host = cls(proc=proc)
        threading.Thread(target=host._read_stdout, daemon=True).start()
        threading.Thread(target=host._read_stderr, daemon=True).start()
        return host

    # --- wire ------------------------------------------------------------------------------------------------
    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            message = json.loads(raw)
            if "event" in message:
                self.stderr_lines.append(message["line"])
                continue
            with self._lock:
                future = self._pending.pop(message["id"], None)
            if future is not None:
                future.set_result(message)
        with self._lock:
            pending, self._pending = self._pending, {}
        for future in pending.values():
            future.set_result({"ok": False, "error": "the Go host exited", "grpcCode": ""})

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self.host_stderr.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def submit(self, op: str, **fields: Any) -> Future[dict[str, Any]]:
        """Send one request; the future resolves to the raw answer ({"ok", "result" | "error", "grpcCode"})."""
        future: Future[dict[str, Any]] = Future()
        with self._lock:
            self._next_id += 1
            request_id = self._next_id
            self._pending[request_id] = future
            assert self.proc.stdin is not None
            try:
                self.proc.stdin.write(json.dumps({"id": request_id, "op": op, **fields}).encode() + b"\n")
                self.proc.stdin.flush()
            except (BrokenPipeError, ValueError):
                self._pending.pop(request_id, None)
                future.set_result({"ok": False, "error": "the Go host exited", "grpcCode": ""})
        return future

    def call(self, op: str, timeout: float = 120, **fields: Any) -> Any:
        return result_of(op, self.submit(op, **fields), timeout)

    # --- Grafana's operations ----------------------------------------------------------------------------------
    def start(self, command: list[str], env: Mapping[str, str | None] | None = None,
              start_timeout: float | None = None) -> dict[str, Any]:
        argv = list(command)
        # go-plugin execs argv[0] itself, and the host runs with no PATH: resolve a bare name (a wrapper such as
        # chroot or unshare) here, as an operator would write the absolute path.
        if argv and not os.path.isabs(argv[0]):
            argv[0] = shutil.which(argv[0]) or argv[0]
        fields: dict[str, Any] = {"command": argv, "env": dict(env or {})}
        if start_timeout is not None:
            fields["startTimeoutMs"] = int(start_timeout * 1000)
        self.started = self.call("start", timeout=(start_timeout or 60) + 30, **fields)
        self.pid = int(self.started["pid"])
        self.killed = False
        return self.started

    def check_health(self, settings: Mapping[str, Any] | None = None,
                     grafana_config: Mapping[str, str] | None = None, timeout: float = 60) -> dict[str, Any]:
        health: dict[str, Any] = self.call("checkHealth", timeout + 10, settings=settings,
                                           grafanaConfig=dict(grafana_config or {}), timeoutMs=int(timeout * 1000))
        return health

    def submit_query(self, queries: Iterable[Mapping[str, Any]], settings: Mapping[str, Any] | None = None,
                     grafana_config: Mapping[str, str] | None = None, timeout: float = 60,
                     headers: Mapping[str, str] | None = None) -> Future[dict[str, Any]]:
        """`headers`: QueryDataRequest.headers, e.g. {"FromAlert": "true"} as Grafana's alerting sends."""
        return self.submit("queryData", queries=list(queries), settings=settings,
                           grafanaConfig=dict(grafana_config or {}), timeoutMs=int(timeout * 1000),
                           headers=dict(headers or {}))

    def query(self, queries: Iterable[Mapping[str, Any]], settings: Mapping[str, Any] | None = None,
              grafana_config: Mapping[str, str] | None = None, timeout: float = 60,
              headers: Mapping[str, str] | None = None) -> QueryAnswer:
        return query_answer(self.submit_query(queries, settings, grafana_config, timeout, headers), timeout + 10)

    def call_resource(self, path: str, settings: Mapping[str, Any] | None = None, *, method: str = "GET",
                      query: str = "", body: str = "", headers: Mapping[str, list[str]] | None = None,
                      grafana_config: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Status and headers of the first message, the bodies of all messages joined (Grafana's HTTP answer),
        and `chunks`, the messages as the plugin streamed them."""
        url = path + (f"?{query}" if query else "")
        answer: dict[str, Any] = self.call("callResource", path=path, method=method, url=url, body=body,
                                           resourceHeaders=dict(headers or {}), settings=settings,
                                           grafanaConfig=dict(grafana_config or {}))
        return answer

    def collect_metrics(self) -> str:
        return str(self.call("collectMetrics")["prometheus"])

    def ping(self) -> bool:
        return bool(self.call("ping", timeout=10)["serving"])

    def kill(self) -> dict[str, Any]:
        """Grafana's stop (go-plugin Client.Kill): {graceful, forcedKill, exitCode, killMs, hostLog}."""
        result: dict[str, Any] = self.call("kill", timeout=30)
        self.killed = bool(result.get("forcedKill"))
        return result

    def wait(self, timeout: float = 10) -> dict[str, Any]:
        """Wait for the plugin to exit on its own: {exited, exitCode, signal, waitedMs}."""
        waited: dict[str, Any] = self.call("wait", timeout + 10, timeoutMs=int(timeout * 1000))
        return waited

    def shutdown_rpc(self) -> None:
        """GRPCController/Shutdown alone, on a connection of its own (go-plugin's client stays open)."""
        self.call("shutdownRpc", timeout=10)

    def decode_frames(self, frames: Iterable[bytes]) -> dict[str, Any]:
        """Arrow IPC files decoded by the SDK as QueryData frames are: {frames, schemas, readers}."""
        decoded: dict[str, Any] = self.call("decodeFrames", frames=[base64.b64encode(f).decode() for f in frames])
        return decoded

    def logs(self) -> list[dict[str, Any]]:
        return decode_log_lines(self.stderr_lines)

    def close(self) -> None:
        """Stop the plugin (if running) the way Grafana does, then the host."""
        if self.proc.poll() is None:
            try:
                result = self.kill()
                self.killed = self.killed or bool(result.get("forcedKill"))
            except HostError:
                pass
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def result_of(op: str, future: Future[dict[str, Any]], timeout: float) -> Any:
    answer = future.result(timeout)
    if not answer.get("ok"):
        raise HostError(op, str(answer.get("error")), str(answer.get("grpcCode") or ""))
    return answer.get("result")


def query_answer(future: Future[dict[str, Any]], timeout: float = 70) -> QueryAnswer:
    result = result_of("queryData", future, timeout)
    return QueryAnswer(results=result["response"]["results"], readers=result["readers"])


def datasource(json_data: Mapping[str, Any] | None = None, secure: Mapping[str, str] | None = None, *,
               uid: str = "ds-1", name: str = "CloudWatch", last_updated_ms: int = 1) -> dict[str, Any]:
    """A datasource's instance settings as Grafana sends them (jsonData, decrypted secureJsonData)."""
    return {"uid": uid, "name": name, "jsonData": dict(json_data or {}), "secureJsonData": dict(secure or {}),
            "lastUpdatedMs": last_updated_ms}


def data_query(ref_id: str, model: Mapping[str, Any], from_ms: int, to_ms: int, **extra: Any) -> dict[str, Any]:
    """One DataQuery; the model gets refId and datasource as a panel's query JSON has them."""
    body = {"refId": ref_id, "datasource": {"type": PLUGIN_ID, "uid": "ds-1"}, **model}
    return {"refId": ref_id, "from": from_ms, "to": to_ms, "model": body, **extra}


def raw_query(ref_id: str, raw_json: str, from_ms: int, to_ms: int) -> dict[str, Any]:
    """A DataQuery whose JSON is sent byte for byte (e.g. JSON that does not parse)."""
    return {"refId": ref_id, "from": from_ms, "to": to_ms, "rawJson": raw_json}


StartGrafana = Callable[..., GrafanaHost]  # the conftest's `grafana` fixture


def go_plugin(grafana: StartGrafana, aws_env: Mapping[str, str], **env: str) -> Iterator[GrafanaHost]:
    """A fixture body: the plugin under the Go host with one AWS attempt per call (plus `env`), stopped the Grafana
    way after the test and checked to have stopped gracefully."""
    host = grafana(env={**aws_env, "GF_PLUGIN_AWS_MAX_ATTEMPTS": "1", **env})
    yield host
    stopped = host.kill()
    assert stopped["graceful"], stopped["hostLog"]
