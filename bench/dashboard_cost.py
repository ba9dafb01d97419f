"""Section 11, dashboard cost (issue 15): a 20-panel dashboard opened by 50 concurrent viewers and refreshed every
10 s for a minute, against the fake endpoint in window mode (datapoints for exactly the requested window and
period) with a fixed AWS-like latency per call. Measured: GetMetricData calls, metrics requested, datapoints
fetched (the endpoint's own counts) and p50/p99 panel latency (one QueryData per panel, as Grafana sends them),
without the cache, with the cache and coalescing, and with two plugin processes sharing one Redis (Grafana HA).

Targets (issue 15): calls per refresh interval independent of the number of viewers (at most the calls of one
viewer); datapoints per refresh at most 10% of a full refetch for the panels that may be incremental; p99 not
worse than without the cache.

Viewers open the dashboard at random moments within the first refresh interval and their clocks differ by up to
two seconds, as browsers do: Grafana's frontend resolves "now-3h to now" to absolute milliseconds itself.
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lib import (
    KEYS,
    PluginProcess,
    Report,
    Row,
    data_query,
    datasource_settings,
    fake_endpoint_process,
    metric_model,
    percentile,
)

from cloudwatch_datasource.protocol.host import go_plugin_env, start_plugin

PANELS = 20
VIEWERS = 50
REFRESH_S = 10.0
DURATION_S = 60.0
RANGE_HOURS = 3
LATENCY_S = 0.15  # a GetMetricData answer's latency from a Grafana host in the same region, roughly
CLOCK_SKEW_S = 2.0
# A browser asks at most 6 requests of one host at a time over HTTP/1.1 (Chrome's and Firefox's per-host limit),
# so a viewer's 20 panels arrive as a queue of 6 at a time.
PER_VIEWER_CONCURRENCY = 6


@dataclass
class Run:
    """What one scenario cost and how fast it answered."""

    name: str
    calls: int = 0
    metrics: int = 0
    datapoints: int = 0
    first_load_datapoints: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refreshes: int = 0

    @property
    def later_datapoints(self) -> int:
        return self.datapoints - self.first_load_datapoints


@contextmanager
def plugins(count: int, env: Mapping[str, str] | None = None) -> Iterator[list[PluginProcess]]:
    """`count` plugin processes (this venv's `python -m cloudwatch_datasource`: the section measures calls and
    answers, not start-up), as grafana-server starts them."""
    started: list[PluginProcess] = []
    try:
        for _ in range(count):
            started.append(start_plugin([sys.executable, "-m", "cloudwatch_datasource"], env=go_plugin_env(env)))
        yield started
    finally:
        for proc in started:
            proc.kill()


def panels_for(viewer_now_ms: int) -> list[Any]:
    start = viewer_now_ms - RANGE_HOURS * 3600 * 1000
    return [data_query(f"P{p}", metric_model(f"i-{p:05d}"), start, viewer_now_ms) for p in range(PANELS)]


def dashboard(procs: Sequence[PluginProcess], settings: Any, run: Run, stats: Callable[[], dict[str, int]]) -> None:
    """50 viewers, each refreshing its 20 panels every 10 s for a minute; viewer v talks to plugin v % len(procs)
    (Grafana servers behind a load balancer)."""
    rng = random.Random(15)
    offsets = [rng.uniform(0, REFRESH_S) for _ in range(VIEWERS)]
    skews = [rng.uniform(-CLOCK_SKEW_S, CLOCK_SKEW_S) for _ in range(VIEWERS)]
    lock = threading.Lock()
    browsers = [ThreadPoolExecutor(max_workers=PER_VIEWER_CONCURRENCY, thread_name_prefix=f"viewer{v}")
                for v in range(VIEWERS)]
    began = time.monotonic()

    def panel(proc: PluginProcess, query: Any) -> None:
        started = time.perf_counter()
        try:
            resp = proc.query([query], settings, timeout=60)
            answer = resp.responses.get(query.refId)
            problem = "no answer" if answer is None else answer.error
        except Exception as exc:  # noqa: BLE001 - a benchmark records, never stops
            problem = f"{type(exc).__name__}: {exc}"
        took = time.perf_counter() - started
        with lock:
            run.latencies.append(took)
            if problem:
                run.errors.append(problem[:200])

    def viewer(v: int) -> None:
        proc = procs[v % len(procs)]
        at = offsets[v]
        while at < DURATION_S:
            delay = began + at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            now_ms = int((time.time() + skews[v]) * 1000)
            futures = [browsers[v].submit(panel, proc, q) for q in panels_for(now_ms)]
            for f in futures:
                f.result()
            with lock:
                run.refreshes += 1
            at += REFRESH_S

    first_load_done = threading.Event()

    def first_load_watch() -> None:
        # The datapoints of the first load: everything fetched before the second refresh interval begins.
        time.sleep(max(0.0, began + REFRESH_S - time.monotonic()))
        run.first_load_datapoints = stats().get("datapoints", 0)
        first_load_done.set()

    watcher = threading.Thread(target=first_load_watch, daemon=True)
    watcher.start()
    viewers = [threading.Thread(target=viewer, args=(v,)) for v in range(VIEWERS)]
    for t in viewers:
        t.start()
    for t in viewers:
        t.join()
    for browser in browsers:
        browser.shutdown()
    first_load_done.wait(30)
    later = stats()
    totals = {k: later.get(k, 0) + (run.first_load_datapoints if k == "datapoints" else 0) for k in later}
    run.datapoints = totals.get("datapoints", 0)


def scenario(name: str, url: str, procs: Sequence[PluginProcess], json_data: Mapping[str, Any],
             secure: Mapping[str, str] | None = None) -> Run:
    from fake_endpoint import bench_stats

    # Pacing off (aws/pacing.py): the fake has no quota, and the figures compare the cache alone. With pacing at
    # its defaults the run without the cache (100 calls/s, twice AWS's default 50 TPS quota) queues past the
    # plugin's in-flight limit and most panels fail with 429, as they would be throttled by AWS.
    settings = datasource_settings({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": url,
                                    "getMetricDataCallsPerSecond": 0, **json_data}, {**KEYS, **(secure or {})},
                                   uid=f"bench-{name.split()[0]}")
    run = Run(name)
    # Warm each process (credentials, botocore client, connection pool) with a query no panel shares, as a
    # running Grafana's plugin is: the section measures the dashboard, not the plugin's first call.
    now_ms = int(time.time() * 1000)
    for proc in procs:
        proc.query([data_query("W", metric_model("i-warm"), now_ms - 3_600_000, now_ms)], settings, timeout=60)
    bench_stats(url)
    calls = {"GetMetricData": 0, "queries": 0}

    def stats() -> dict[str, int]:
        got = bench_stats(url)
        calls["GetMetricData"] += got.get("GetMetricData", 0)
        calls["queries"] += got.get("queries", 0)
        return got

    dashboard(procs, settings, run, stats)
    run.calls, run.metrics = calls["GetMetricData"], calls["queries"]
    return run


def one_viewer_calls() -> int:
    """What one viewer costs without any cache: every panel, every refresh, one call."""
    return PANELS * int(DURATION_S // REFRESH_S)


@contextmanager
def shared_redis() -> Iterator[tuple[dict[str, Any], dict[str, str]] | None]:
    """A redis-server on 127.0.0.1 (Debian's package, as the tests start it: tests/support/redis_server.py) and
    the datasource settings naming it; None when redis-server is not installed."""
    if shutil.which("redis-server") is None:
        yield None
        return
    # The tests' helper, found the way bench/fake_endpoint.py finds the fake: tests/ on the path.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from support.redis_server import REDIS_PASSWORD, start_redis

    with tempfile.TemporaryDirectory(prefix="bench-redis-") as directory, \
            start_redis(Path(directory), password=REDIS_PASSWORD) as server:
        yield ({"resultCacheRedisUrl": server.url, "resultCacheRedisPrefix": "bench:"},
               {"resultCacheRedisPassword": REDIS_PASSWORD})


def dashboard_cost(report: Report, cfg: Any) -> None:
    intervals = int(DURATION_S // REFRESH_S)
    full_refetch = PANELS * (RANGE_HOURS * 60 + 1)  # the datapoints of one full load of the dashboard
    runs: list[Run] = []
    with ExitStack() as stack:
        url, _ = stack.enter_context(fake_endpoint_process(60, "--window", "--delay", str(LATENCY_S)))
        with plugins(1) as procs:
            runs.append(scenario("without cache", url, procs, {"cacheTTLSeconds": 0}))
        with plugins(1) as procs:
            runs.append(scenario("cache and coalescing", url, procs, {}))
        redis = stack.enter_context(shared_redis())
        if redis is not None:
            with plugins(2) as procs:
                runs.append(scenario("two processes sharing Redis", url, procs, *redis))
    base = runs[0]
    base_p99 = percentile(base.latencies, 99)
    for run in runs:
        calls_per_interval = run.calls / intervals
        p50, p99 = percentile(run.latencies, 50), percentile(run.latencies, 99)
        later_per_refresh = run.later_datapoints / max(1, intervals - 1)
        report.add(Row("11. Dashboard cost", f"{run.name}: GetMetricData calls per 10 s refresh interval "
                       f"({VIEWERS} viewers x {PANELS} panels)", f"{calls_per_interval:.1f}",
                       f"one viewer without cache: {one_viewer_calls() / intervals:.0f}",
                       calls_per_interval / (one_viewer_calls() / intervals),
                       "≤ one viewer's" if run is not base else "",
                       None if run is base else calls_per_interval <= one_viewer_calls() / intervals))
        report.add(Row("11. Dashboard cost", f"{run.name}: metrics requested / datapoints fetched in the minute",
                       f"{run.metrics} / {run.datapoints}", f"without cache: {base.metrics} / {base.datapoints}",
                       run.datapoints / max(1, base.datapoints)))
        if run is not base:
            report.add(Row("11. Dashboard cost", f"{run.name}: datapoints per refresh after the first load",
                           f"{later_per_refresh:.0f}", f"a full refetch: {full_refetch}",
                           later_per_refresh / full_refetch, "≤ 10% of a full refetch",
                           later_per_refresh <= 0.1 * full_refetch))
        report.add(Row("11. Dashboard cost", f"{run.name}: panel latency p50 / p99 ({len(run.latencies)} panels)",
                       f"{p50 * 1000:.0f} / {p99 * 1000:.0f} ms", f"without cache p99 {base_p99 * 1000:.0f} ms",
                       p99 / base_p99 if base_p99 else None, "p99 ≤ without cache" if run is not base else "",
                       None if run is base else p99 <= base_p99))
        if run.errors:
            report.errors.append(f"11. {run.name}: {len(run.errors)} panels failed, e.g. {run.errors[0]}")
    report.note(f"11. dashboard cost: {PANELS} panels (one MetricStat each, now-{RANGE_HOURS}h to now, period 60 s), "
                f"{VIEWERS} viewers opening the dashboard at random moments in the first {REFRESH_S:.0f} s with clocks "
                f"up to {CLOCK_SKEW_S:.0f} s apart, each refreshing every {REFRESH_S:.0f} s for {DURATION_S:.0f} s, "
                f"at most {PER_VIEWER_CONCURRENCY} panel requests at a time per viewer (a browser's per-host limit); "
                f"the fake endpoint in window mode answers after {LATENCY_S * 1000:.0f} ms; default cache settings "
                "(cacheTTLSeconds 30, cacheLateDataSeconds 300); pacing off (getMetricDataCallsPerSecond 0) so the "
                "scenarios compare the cache alone: without the cache this dashboard asks about 100 GetMetricData "
                "calls per second, twice AWS's default quota of 50, and with pacing at its defaults most of its "
                "panels queue past the in-flight limit and fail with 429. Calls, metrics requested and datapoints "
                "are the endpoint's own counts. The plugin runs from the venv (the section measures calls, not "
                "start-up).")
    if len(runs) < 3:
        report.errors.append("11. dashboard cost: the two-process Redis scenario did not run: redis-server is not "
                             "installed (scripts/setup.sh --system installs it)")
    else:
        report.note("11. dashboard cost, two processes sharing Redis: viewers alternate between two plugin "
                    "processes (two Grafana servers behind a load balancer) whose datasource names one "
                    "redis-server on 127.0.0.1 (AUTH on); coalescing works within each process.")
