"""Section 9: the plugin against a Go reference plugin on the same SDKs a Go datasource would use.

bench/reference/ is a backend datasource plugin on github.com/grafana/grafana-plugin-sdk-go and aws-sdk-go-v2
that answers the same one-MetricStat QueryData against the same fake endpoint. Both plugins are started and
driven by the same Python go-plugin host (protocol/host.py `start_plugin`), in the same run, their runs
interleaved, so the machine's noise hits both alike. Every ratio is ours ÷ Go: above 1 means ours takes more
(time, memory, bytes), below 1 for a rate means ours does less.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from grpc_health.v1 import health_pb2, health_pb2_grpc
from lib import (
    ARCH,
    KEYS,
    ROOT,
    PluginProcess,
    Report,
    Row,
    cpu_ticks,
    datasource_settings,
    executable,
    fake_endpoint_process,
    median,
    ms,
    percentile,
    proc_status_kb,
    time_range,
    wait_idle,
)
from sections import Config, distinct_requests, handshake_time, load, uncached_json_data

from cloudwatch_datasource.protocol.host import go_plugin_env, plugin_context, start_plugin

REFERENCE_SRC = ROOT / "bench" / "reference"
REFERENCE_EXE = ROOT / "build" / f"gpx_cloudwatch_reference_linux_{ARCH}"
SECTION = "9. Against Go"
# What the dist folder holds for the browser, not for the backend process (see backend_bytes).
FRONTEND_NAMES = ("module.js", "img", "README", "CHANGELOG", "LICENSE")
# A launcher or runtime folder for one architecture: gpx_cloudwatch_linux_arm64, runtime/linux_arm64.
OTHER_ARCH = re.compile(r"(?:^|_)linux_(amd64|arm64)$")
TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def go_tool() -> str:
    found = shutil.which("go") or next((p for p in ("/usr/local/go/bin/go", "/usr/lib/go/bin/go")
                                        if Path(p).exists()), None)
    if found is None:
        raise RuntimeError("no Go toolchain (go on PATH or /usr/local/go/bin/go) to build bench/reference")
    return found


def build_reference() -> Path:
    """`go build` of bench/reference into build/, the way the SDK's build package (mage) builds a release plugin
    (github.com/grafana/grafana-plugin-sdk-go/build, common.go): no cgo, the arrow_json_stdlib tag, symbols and
    DWARF stripped (-w -s). Modules come from the module proxy, pinned by go.sum; as for the Go host
    (scripts/setup.sh), GOTOOLCHAIN=local never fetches another toolchain and -mod=readonly refuses an incomplete
    go.sum. Go caches the build, so a second run only links if nothing changed."""
    REFERENCE_EXE.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    subprocess.run([go_tool(), "build", "-mod=readonly", "-trimpath", "-buildvcs=false", "-tags", "arrow_json_stdlib",
                    "-ldflags", "-w -s", "-o", str(REFERENCE_EXE), "."],
                   cwd=REFERENCE_SRC, env={**os.environ, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local"}, check=True)
    print(f"  built {REFERENCE_EXE.relative_to(ROOT)} in {time.monotonic() - started:.1f} s", flush=True)
    return REFERENCE_EXE


def backend_bytes(dist: Path) -> int:
    """Bytes of everything in the dist folder this machine's backend needs: its executable and runtime, i.e. the
    folder less the frontend's files (module.js*, img/, source maps, README/CHANGELOG/LICENSE at the top) and
    less what only another architecture runs (`*linux_<other arch>` files and folders). Computed from the
    folder's contents, not from one layout, so it follows the dist as it changes."""
    total = 0
    for path in dist.rglob("*"):
        parts = path.relative_to(dist).parts
        other_arch = any((m := OTHER_ARCH.search(part)) and m[1] != ARCH for part in parts)
        if parts[0].startswith(FRONTEND_NAMES) or path.name.endswith(".map") or other_arch or not path.is_file() \
                or path.is_symlink():
            continue
        total += path.stat().st_size
    return total


def mb(kb: float) -> str:
    return f"{kb / 1024:.1f} MB"


@contextmanager
def started(command: list[str]) -> Iterator[PluginProcess]:
    proc = start_plugin(command, env=go_plugin_env())
    try:
        yield proc
    finally:
        proc.kill()


class Tally:
    """Queries answered and CPU used by each process taking part, over every load run of one plugin."""

    def __init__(self) -> None:
        self.queries = 0
        self.plugin_s = self.fake_s = self.client_s = 0.0

    def per_query_ms(self, seconds: float) -> str:
        return f"{seconds / max(1, self.queries) * 1000:.2f} ms"


def against_go(report: Report, cfg: Config) -> None:
    go_exe = build_reference()
    commands = {"ours": [str(executable(cfg.dist))], "go": [str(go_exe)]}

    # Spawn → handshake line, interleaved; the first start of each pays for the page cache.
    shakes: dict[str, list[float]] = {"ours": [], "go": []}
    for command in commands.values():
        handshake_time(command)
    for _ in range(cfg.cold_runs):
        for name, command in commands.items():
            shakes[name].append(handshake_time(command))
    ours_hs, go_hs = median(shakes["ours"]), median(shakes["go"])
    report.add(Row(SECTION, f"spawn → handshake line (median of {cfg.cold_runs})", ms(ours_hs),
                   f"Go reference {ms(go_hs)}", ours_hs / go_hs))

    start, end = time_range(1)
    with fake_endpoint_process() as (url, fake_pid), started(commands["ours"]) as ours, \
            started(commands["go"]) as go:
        procs = {"ours": ours, "go": go}
        idle_kb = {}
        for name, proc in procs.items():
            wait_idle(proc.proc.pid)
            idle_kb[name] = proc_status_kb(proc.proc.pid, "VmRSS")
        settings = datasource_settings(uncached_json_data(url), KEYS, uid="bench-go")
        next_request = distinct_requests(plugin_context(settings), start, end)

        def caller(proc: PluginProcess) -> Callable[[], bool]:
            stub = proc.data

            def call() -> bool:
                r = stub.QueryData(next_request(), timeout=60).responses.get("A")
                return r is not None and not r.error and len(r.frames) == 1

            return call

        calls = {name: caller(proc) for name, proc in procs.items()}
        ping = health_pb2_grpc.HealthStub(go.channel)
        ping_request = health_pb2.HealthCheckRequest(service="plugin")

        def empty_rpc() -> bool:
            return bool(ping.Check(ping_request, timeout=10))

        for name, call in calls.items():
            if not call():
                raise RuntimeError(f"{name}: the first QueryData failed; stderr: {procs[name].stderr_lines[-3:]}")
        tallies = {name: Tally() for name in procs}
        latencies_1: dict[str, list[float]] = {"ours": [], "go": []}
        for c in cfg.concurrency:
            for call in calls.values():
                load(c, min(1.0, cfg.load_seconds), call)  # warm this level: threads, connections
            rates: dict[str, list[float]] = {"ours": [], "go": []}
            lat: dict[str, list[float]] = {"ours": [], "go": []}
            failed = 0
            for _ in range(cfg.load_runs):
                for name, call in calls.items():
                    pid = procs[name].proc.pid
                    before = (cpu_ticks(pid), cpu_ticks(fake_pid), time.process_time())
                    qps, latencies, failures = load(c, cfg.load_seconds, call)
                    tally = tallies[name]
                    tally.queries += len(latencies)
                    tally.plugin_s += (cpu_ticks(pid) - before[0]) * TICK_S
                    tally.fake_s += (cpu_ticks(fake_pid) - before[1]) * TICK_S
                    tally.client_s += time.process_time() - before[2]
                    rates[name].append(qps)
                    lat[name].extend(latencies)
                    failed += failures
            if failed:
                report.errors.append(f"9. {failed} QueryData failed at concurrency {c}")
            if c == 1:
                latencies_1 = lat
            ours_qps, go_qps = median(rates["ours"]), median(rates["go"])
            report.add(Row(SECTION, f"{c} concurrent client{'s' * (c != 1)}: QueryData/s, p50 / p99 latency "
                           f"(median of {cfg.load_runs} × {cfg.load_seconds:g} s)",
                           f"{ours_qps:.0f}/s, {ms(percentile(lat['ours'], 50))} / {ms(percentile(lat['ours'], 99))}",
                           f"Go reference {go_qps:.0f}/s, {ms(percentile(lat['go'], 50))} / "
                           f"{ms(percentile(lat['go'], 99))}", ours_qps / go_qps))
            # The load generator's own ceiling: an empty RPC (go-plugin's health ping) at the same concurrency.
            empty_qps = load(c, min(1.5, cfg.load_seconds), empty_rpc)[0]
            report.note(f"9. {c} client{'s' * (c != 1)}: the same Python client makes {empty_qps:.0f} empty "
                        f"health-check RPCs/s to the Go plugin: the most it could ask of any plugin.")
        for p in (50, 99):
            o, g = percentile(latencies_1["ours"], p), percentile(latencies_1["go"], p)
            report.add(Row(SECTION, f"QueryData latency p{p}, 1 client (all runs of the row above)", ms(o),
                           f"Go reference {ms(g)}", o / g))
        cpu = {name: t.plugin_s / max(1, t.queries) for name, t in tallies.items()}
        report.add(Row(SECTION, "plugin CPU time (user + sys) per QueryData, over all load runs",
                       f"{cpu['ours'] * 1000:.2f} ms", f"Go reference {cpu['go'] * 1000:.2f} ms",
                       cpu["ours"] / cpu["go"]))
        for name, t in tallies.items():
            report.note(f"9. CPU per QueryData while driving {'ours' if name == 'ours' else 'the Go plugin'} "
                        f"({t.queries:,} QueryData): plugin {t.per_query_ms(t.plugin_s)}, fake endpoint "
                        f"{t.per_query_ms(t.fake_s)}, client (this process) {t.per_query_ms(t.client_s)}.")
        peak_kb = {name: proc_status_kb(proc.proc.pid, "VmHWM") for name, proc in procs.items()}
    report.add(Row(SECTION, "RSS idle after start (warm-up done)", mb(idle_kb["ours"]),
                   f"Go reference {mb(idle_kb['go'])}", idle_kb["ours"] / idle_kb["go"]))
    report.add(Row(SECTION, "peak RSS (VmHWM) after the load above", mb(peak_kb["ours"]),
                   f"Go reference {mb(peak_kb['go'])}", peak_kb["ours"] / peak_kb["go"]))
    ours_bytes, go_bytes = backend_bytes(cfg.dist), go_exe.stat().st_size
    report.add(Row(SECTION, "executable size: ours the dist's backend (executable + runtime folder), Go its binary",
                   f"{ours_bytes / 1e6:.1f} MB", f"Go reference {go_bytes / 1e6:.1f} MB", ours_bytes / go_bytes))
    report.note("9. against Go: bench/reference (grafana-plugin-sdk-go + aws-sdk-go-v2, built as the SDK's "
                "release build does), same Python host, same fake endpoint, same query (60 points); ratios are "
                "ours ÷ Go. aws-sdk-go-v2 talks smithy-rpc-v2-cbor to the endpoint, botocore awsJson1_0: each "
                "SDK's own default.")
