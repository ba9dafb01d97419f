"""Shared pieces of the reliability suite: distinctive fake secrets, the suite-wide leak collector, plugin
environments and settings, and checks on answers.

Every text the plugin shows to the outside that a reliability test observes (stderr lines of every plugin process,
gRPC error details, health messages and details, resource bodies and headers, per-refId errors, decoded frame
names, metadata and string values) is fed to LEAKS; test_zz_no_secrets.py, ordered last, asserts none of SECRETS
appears in any of it.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import grpc
import pyarrow as pa
from support.fake_aws import ASSUMED_KEY, ASSUMED_SECRET, ASSUMED_TOKEN, expected_values
from support.grafana_host import GrafanaHost, QueryAnswer, datasource, field_values
from support.grafana_host import data_query as grafana_query

from cloudwatch_datasource.protocol.host import PluginProcess, data_query, datasource_settings, go_plugin_env
from cloudwatch_datasource.protocol.pb import backend_pb2 as pb

StartDist = Callable[..., GrafanaHost]  # the `dist_plugins` fixture: start(extra_env) → the dist on the Go host

# Shaped like real credentials (so scrubbing rules are exercised) and distinctive (so a hit is never chance).
KEY_ID = "AKIARELIABLE0KEY0042"
SECRET_KEY = "RelSecretKey/RelSecretKey+RelSecretKey42"
SESSION_TOKEN = "RelSessionToken" + "T" * 150 + "42"
ENV_KEY_ID = "AKIARELIABLEENVKEY42"
ENV_SECRET_KEY = "RelEnvSecret/RelEnvSecret+RelEnvSecret42"
assert len(KEY_ID) == 20 and len(SECRET_KEY) == 40 and len(ENV_SECRET_KEY) == 40
# Shaped like nothing: only the plugin's knowledge of the values can keep these out (test_secret_values.py).
CRLF_SESSION_TOKEN = "RelCrLfToken\r\nX-Rel-Injected: RelCrLfTail42"
SHORT_PROXY_PASSWORD = "r'J4"
URL_PASSWORD = "Rel@Url:Pass w0rd"

SECRETS = {
    "access key id": KEY_ID, "secret key": SECRET_KEY, "session token": SESSION_TOKEN,
    "session token prefix": SESSION_TOKEN[:24], "env access key id": ENV_KEY_ID, "env secret key": ENV_SECRET_KEY,
    "assumed access key id": ASSUMED_KEY, "assumed secret key": ASSUMED_SECRET, "assumed token": ASSUMED_TOKEN,
    "assumed token prefix": ASSUMED_TOKEN[:24],
    "session token with CR/LF": CRLF_SESSION_TOKEN, "short proxy password": SHORT_PROXY_PASSWORD,
    "url password": URL_PASSWORD,
}

# Small AWS tuning so every fault ends fast: 2 attempts, 2 s read timeout, 1 s connect timeout.
TUNING_ENV = {"GF_PLUGIN_AWS_MAX_ATTEMPTS": "2", "GF_PLUGIN_AWS_READ_TIMEOUT": "2",
              "GF_PLUGIN_AWS_CONNECT_TIMEOUT": "1", "GF_PLUGIN_AWS_RETRY_MODE": "standard"}


class LeakCollector:
    """Everything observed across the suite, by kind, for the final secrets scan."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.texts: list[tuple[str, str]] = []
        self.counts: Counter[str] = Counter()
        self.plugins_started = 0

    def add(self, kind: str, *texts: object) -> None:
        with self._lock:
            for text in texts:
                self.texts.append((kind, text if isinstance(text, str) else repr(text)))
                self.counts[kind] += 1

    def add_query_response(self, resp: pb.QueryDataResponse) -> None:
        for ref_id, answer in resp.responses.items():
            self.add("refId", ref_id)
            if answer.error:
                self.add("query error", answer.error)
            for frame in answer.frames:
                self.add("frame", *frame_texts(frame))

    def add_health(self, resp: pb.CheckHealthResponse) -> None:
        self.add("health", resp.message, bytes(resp.jsonDetails).decode("utf-8", "replace"))

    def add_resource(self, responses: Iterable[pb.CallResourceResponse]) -> None:
        for r in responses:
            self.add("resource", bytes(r.body).decode("utf-8", "replace"),
                     json.dumps({k: list(v.values) for k, v in r.headers.items()}))

    def add_rpc_error(self, err: grpc.RpcError) -> None:
        code = err.code() if hasattr(err, "code") else None
        details = err.details() if hasattr(err, "details") else str(err)
        self.add("grpc error", f"{code}: {details}")

    def add_plugin(self, plugin: PluginProcess | GrafanaHost) -> None:
        # The stderr reader thread sees EOF shortly after the process exits.
        deadline = time.monotonic() + 2
        seen = -1
        while time.monotonic() < deadline and seen != len(plugin.stderr_lines):
            seen = len(plugin.stderr_lines)
            time.sleep(0.1)
        self.add("stderr", *plugin.stderr_lines)
        with self._lock:
            self.plugins_started += 1


LEAKS = LeakCollector()


def frame_texts(frame: bytes) -> list[str]:
    """Every string an encoded frame carries: schema and field metadata, field names, string values."""
    table = pa.ipc.open_file(pa.BufferReader(frame)).read_all()
    out = [f"{k!r}={v!r}" for k, v in (table.schema.metadata or {}).items()]
    for f in table.schema:
        out.append(f.name)
        out += [f"{k!r}={v!r}" for k, v in (f.metadata or {}).items()]
    for column in table.columns:
        if pa.types.is_string(column.type):
            out += [str(v) for v in column.to_pylist()]
    return out


def decode_values(frame: bytes) -> tuple[str, list[float]]:
    table = pa.ipc.open_file(pa.BufferReader(frame)).read_all()
    ref_id = (table.schema.metadata or {}).get(b"refId", b"").decode()
    return ref_id, [float(v) for v in table.column("Value").to_pylist()]


def plugin_env(extra: Mapping[str, str] | None = None, *, tmp: str = "/nonexistent-reliability") -> dict[str, str]:
    """The go-plugin environment plus `reliability_env`, for the Python host."""
    return go_plugin_env(reliability_env(extra, tmp=tmp))


def reliability_env(extra: Mapping[str, str] | None = None, *, tmp: str = "/nonexistent-reliability"
                    ) -> dict[str, str]:
    """An AWS world that sees nothing of this machine, env keys for the default chain, debug logging (more log
    lines = more chances to leak) and the small tuning: what the tests add to the host's plugin environment."""
    env = {
        "AWS_CONFIG_FILE": f"{tmp}/aws-config", "AWS_SHARED_CREDENTIALS_FILE": f"{tmp}/aws-credentials",
        "AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": ENV_KEY_ID, "AWS_SECRET_ACCESS_KEY": ENV_SECRET_KEY,
        "GF_PLUGIN_LOG_LEVEL": "debug", **TUNING_ENV,
    }
    env.update(extra or {})
    return env


def json_data(endpoint: str, **extra: Any) -> dict[str, Any]:
    # The result cache is off here: these suites check each answer against the fake's fixed answer (3 points from
    # StartTime, whatever the window), which an incremental refresh would rightly merge with the cached points once
    # `now` crosses a period boundary between two examples. The cache is proved against window-exact answers in
    # tests/cloudwatch/test_result_cache*.py.
    return {"authType": "keys", "defaultRegion": "us-east-1", "endpoint": endpoint, "cacheTTLSeconds": 0, **extra}


def secure_keys() -> dict[str, str]:
    return {"accessKey": KEY_ID, "secretKey": SECRET_KEY, "sessionToken": SESSION_TOKEN}


def keys_settings(endpoint: str, uid: str = "ds-rel", **extra: Any) -> pb.DataSourceInstanceSettings:
    return datasource_settings(json_data(endpoint, **extra), secure_keys(), uid=uid)


def metric_model(n: int, **overrides: Any) -> dict[str, Any]:
    """A MetricStat query on instance i-<n>: fake_aws answers it with expected_values(n)."""
    return {"type": "timeSeriesQuery", "region": "us-east-1", "namespace": "AWS/EC2",
            "metricName": "CPUUtilization", "dimensions": {"InstanceId": [f"i-{n}"]}, "statistic": "Average",
            "period": "60", "matchExact": True, "metricQueryType": 0, "metricEditorMode": 0, **overrides}


def metric_query(ref_id: str, n: int, *, hours: int = 1, **overrides: Any) -> pb.DataQuery:
    now = int(time.time() * 1000)
    return data_query(ref_id, metric_model(n, **overrides), now - hours * 3600_000, now)


def grafana_metric_query(ref_id: str, n: int, *, hours: int = 1, **overrides: Any) -> dict[str, Any]:
    """metric_query for the Go host (tests/support/grafana_host.py)."""
    now = int(time.time() * 1000)
    return grafana_query(ref_id, metric_model(n, **overrides), now - hours * 3600_000, now)


def keys_datasource(endpoint: str, uid: str = "ds-rel", **extra: Any) -> dict[str, Any]:
    """keys_settings for the Go host."""
    return datasource(json_data(endpoint, **extra), secure_keys(), uid=uid)


def sdk_answer_problem(answer: QueryAnswer, expected: Mapping[str, int]) -> str | None:
    """answer_problem on the SDK's JSON of a QueryData answer (the Go host)."""
    if set(answer.results) != set(expected):
        return f"refIds {sorted(answer.results)} != {sorted(expected)}"
    for ref_id, n in expected.items():
        result = answer.results[ref_id]
        if result.get("error") or result.get("status") != 200:
            return f"{ref_id}: {result.get('status')} {result.get('error')}"
        frames = result.get("frames") or []
        if len(frames) != 1:
            return f"{ref_id}: {len(frames)} frames"
        got_ref, values = frames[0]["schema"].get("refId"), field_values(frames[0], "Value")
        if got_ref != ref_id or values != expected_values(n):
            return f"{ref_id}: frame of {got_ref} with {values}, expected {expected_values(n)}"
    return None


def answer_problem(resp: pb.QueryDataResponse, expected: Mapping[str, int]) -> str | None:
    """None when every refId asked for is answered exactly once with its own correct data, else what's wrong."""
    if set(resp.responses) != set(expected):
        return f"refIds {sorted(resp.responses)} != {sorted(expected)}"
    for ref_id, n in expected.items():
        answer = resp.responses[ref_id]
        if answer.error or answer.status != 200:
            return f"{ref_id}: {answer.status} {answer.error}"
        if len(answer.frames) != 1:
            return f"{ref_id}: {len(answer.frames)} frames"
        got_ref, values = decode_values(answer.frames[0])
        if got_ref != ref_id or values != expected_values(n):
            return f"{ref_id}: frame of {got_ref} with {values}, expected {expected_values(n)}"
    return None


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
