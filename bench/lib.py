"""Shared pieces of the benchmarks: statistics, the plugin started from the dist through the real go-plugin
handshake, the fake endpoint process, the plugin's own counters (CollectMetrics), /proc readings, the machine."""

from __future__ import annotations

import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cloudwatch_datasource.protocol.host import (
    PluginProcess,
    data_query,
    datasource_settings,
    go_plugin_env,
    start_plugin,
)
from cloudwatch_datasource.protocol.pb import backend_pb2 as pb

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["pb", "data_query", "datasource_settings", "PluginProcess"]

ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), "amd64")
DIST = ROOT / "dist" / "pyaws-cloudwatch-datasource"
# Placeholders the emulator and the fake accept; not secrets.
KEYS = {"accessKey": "AKIDBENCH", "secretKey": "bench-secret"}


# --- statistics ---------------------------------------------------------------------------------------------

def median(xs: list[float]) -> float:
    return float(statistics.median(xs)) if xs else math.nan


def percentile(xs: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not xs:
        return math.nan
    ordered = sorted(xs)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


# --- results ------------------------------------------------------------------------------------------------

@dataclass
class Row:
    """One line of the table. `value` and `baseline` are already formatted; `ratio` = value / baseline."""

    section: str
    measure: str
    value: str
    baseline: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None  # None: no target

    @property
    def status(self) -> str:
        return "" if self.met is None else ("met" if self.met else "**missed**")


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # markdown lines under the table
    errors: list[str] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        ratio = f"  ratio {row.ratio:.2f}" if row.ratio is not None else ""
        base = f"  (baseline {row.baseline})" if row.baseline else ""
        status = f"  [{row.target}: {row.status}]" if row.target else ""
        print(f"  {row.measure}: {row.value}{base}{ratio}{status}", flush=True)

    def note(self, line: str) -> None:
        self.details.append(line)
        print(f"  {line}", flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# --- the plugin -----------------------------------------------------------------------------------------------

def executable(dist: Path) -> Path:
    return dist / f"gpx_cloudwatch_linux_{ARCH}"


LOADERS = {"amd64": "ld-linux-x86-64.so.2", "arm64": "ld-linux-aarch64.so.1"}


def dist_python(dist: Path) -> list[str]:
    """The dist's own CPython with its packages, started through its bundled loader exactly as the launcher
    does (launcher/main.go), so baselines pay the same start-up costs as the plugin."""
    runtime = dist / "runtime" / f"linux_{ARCH}"
    return [str(runtime / "lib" / LOADERS[ARCH]), "--inhibit-cache", "--library-path", str(runtime / "lib"),
            str(runtime / "bin" / "python3.11"), "-B", "-X", "utf8"]


@contextmanager
def plugin(dist: Path, env: Mapping[str, str] | None = None) -> Iterator[PluginProcess]:
    """The dist executable, started as grafana-server would (empty host environment)."""
    proc = start_plugin([str(executable(dist))], env=go_plugin_env(env))
    try:
        yield proc
    finally:
        proc.kill()


def wait_idle(pid: int, *, quiet_s: float = 0.6, limit_s: float = 15) -> None:
    """Until the process has used no CPU for quiet_s (the warm-up thread's imports are done)."""
    deadline = time.monotonic() + limit_s
    last = cpu_ticks(pid)
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        now = cpu_ticks(pid)
        if now == last:
            return
        last = now


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def proc_status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


_SAMPLE = re.compile(r'^(?P<name>[a-zA-Z_:]+)\{(?P<labels>[^}]*)\}\s+(?P<value>\S+)$')


def aws_calls(plugin_proc: PluginProcess) -> dict[str, float]:
    """cloudwatch_plugin_aws_calls_total summed by operation, from the Diagnostics/CollectMetrics RPC."""
    text = plugin_proc.diagnostics.CollectMetrics(pb.CollectMetricsRequest(), timeout=10).metrics.prometheus
    out: dict[str, float] = {}
    for line in text.decode().splitlines():
        m = _SAMPLE.match(line)
        if not m or m["name"] != "cloudwatch_plugin_aws_calls_total":
            continue
        op = re.search(r'operation="([^"]*)"', m["labels"])
        key = op.group(1) if op else "?"
        out[key] = out.get(key, 0.0) + float(m["value"])
    return out


def calls_delta(before: Mapping[str, float], after: Mapping[str, float], op: str) -> int:
    return round(after.get(op, 0.0) - before.get(op, 0.0))


def answered(resp: pb.QueryDataResponse, ref_ids: list[str]) -> str:
    """"" when every refId got an answer without an error, else the first problem."""
    for ref_id in ref_ids:
        r = resp.responses.get(ref_id)
        if r is None:
            return f"{ref_id}: no answer"
        if r.error:
            return f"{ref_id}: {r.error}"
        if not r.frames:
            return f"{ref_id}: no frames"
    return ""


# --- the fake endpoint --------------------------------------------------------------------------------------

@contextmanager
def fake_endpoint(points: int = 60) -> Iterator[str]:
    """bench/fake_endpoint.py as a child process; yields its URL."""
    with fake_endpoint_process(points) as (url, _):
        yield url


@contextmanager
def fake_endpoint_process(points: int = 60, *options: str) -> Iterator[tuple[str, int]]:
    """bench/fake_endpoint.py as a child process; yields its URL and pid (for its CPU time). `options` are its
    other command-line options (--window, --delay S)."""
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("fake_endpoint.py")),
                             "--points", str(points), *options], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().decode().strip()
        if not url.startswith("http://"):
            raise RuntimeError("the fake CloudWatch endpoint did not start")
        yield url, proc.pid
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- queries --------------------------------------------------------------------------------------------------

def metric_model(instance: str = "i-0a1b2c3d4e5f00001", *, period: str = "60", statistic: str = "Average",
                 namespace: str = "AWS/EC2", metric: str = "CPUUtilization", key: str = "InstanceId"
                 ) -> dict[str, Any]:
    """A builder-mode MetricStat query as Grafana's query editor saves it."""
    return {"queryMode": "Metrics", "region": "default", "namespace": namespace, "metricName": metric,
            "dimensions": {key: [instance]}, "statistic": statistic, "period": period, "matchExact": True,
            "metricQueryType": 0, "metricEditorMode": 0}


def time_range(hours: int = 3) -> tuple[int, int]:
    end = int(time.time()) // 60 * 60 * 1000
    return end - hours * 3600 * 1000, end


# --- the machine ----------------------------------------------------------------------------------------------

def machine() -> dict[str, str]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "arch": platform.machine(),
        "cpu": cpu or platform.processor() or "unknown",
        "cores": str(os.cpu_count() or 0),
        "memory": mem,
        "os": _os_name(),
        "python": platform.python_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return str(json.loads(line.split("=", 1)[1]))
    except (OSError, ValueError):
        pass
    return platform.system()
