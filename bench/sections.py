"""The measurements of the benchmark issues, each with its baseline measured in the same run.

Every section takes the run's Config and appends rows to the Report; none raises for being slow.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grpc_health.v1 import health_pb2, health_pb2_grpc
from lib import (
    KEYS,
    Report,
    Row,
    answered,
    aws_calls,
    calls_delta,
    data_query,
    datasource_settings,
    dist_python,
    executable,
    fake_endpoint,
    median,
    metric_model,
    ms,
    pb,
    percentile,
    plugin,
    proc_status_kb,
    time_range,
    timed,
    wait_idle,
)

from cloudwatch_datasource.protocol.host import go_plugin_env


@dataclass
class Config:
    dist: Path
    quick: bool
    cold_runs: int  # spawn → handshake (≥ 10)
    health_runs: int  # spawn → first CheckHealth
    overhead_runs: int  # QueryData vs direct GetMetricData pairs
    batch_runs: int  # batched QueryData per N
    batch_sizes: tuple[int, ...]
    assume_queries: int  # QueryData on one assume-role datasource
    frame_runs: int
    load_runs: int  # runs per concurrency level
    load_seconds: float  # length of one run
    concurrency: tuple[int, ...]
    emulator_url: str = ""


# Sections 1-10 measure what one AWS call costs through the plugin, so the result cache (which would answer a
# repeated query without calling AWS) and pacing (which would queue calls below AWS's quotas) are off; section 11
# measures them. Coalescing cannot be turned off: concurrent load sends distinct queries (distinct_requests).
UNCACHED = {"cacheTTLSeconds": 0, "getMetricDataCallsPerSecond": 0, "getMetricDataDatapointsPerSecond": 0,
            "getMetricDataHistoricDatapointsPerSecond": 0}


def uncached_json_data(endpoint: str, **extra: Any) -> dict[str, Any]:
    return {"authType": "keys", "defaultRegion": "us-east-1", "endpoint": endpoint, **UNCACHED, **extra}


def keys_settings(endpoint: str, *, uid: str = "bench", **extra: Any) -> pb.DataSourceInstanceSettings:
    return datasource_settings(uncached_json_data(endpoint, **extra), KEYS, uid=uid)


def distinct_requests(context: pb.PluginContext, start: int, end: int,
                      n: int = 4096) -> Callable[[], pb.QueryDataRequest]:
    """Round-robin over `n` one-query requests for different instances (refId "A"): concurrent clients never send
    the same query at once, so coalescing (identical calls in flight made once) does not shrink the work measured."""
    messages = [pb.QueryDataRequest(pluginContext=context,
                                    queries=[data_query("A", metric_model(f"i-{k:017x}"), start, end)])
                for k in range(n)]
    turn = itertools.count()  # next() on a count is atomic under the GIL: safe from the load threads
    return lambda: messages[next(turn) % n]


def direct_client(endpoint: str, *, pool: int = 10) -> Any:
    """A boto3 CloudWatch client as a hand-written script would make it: the baseline for the plugin's calls."""
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.session.Session(aws_access_key_id=KEYS["accessKey"], aws_secret_access_key=KEYS["secretKey"],
                                 region_name="us-east-1").client(
        "cloudwatch", endpoint_url=endpoint,
        config=BotoConfig(retries={"mode": "standard", "total_max_attempts": 3}, max_pool_connections=pool))


def same_request(query: pb.DataQuery) -> dict[str, Any]:
    """Exactly the GetMetricData arguments the plugin sends for this query (its own parse and plan stages)."""
    from cloudwatch_datasource.backend import DataQuery, TimeRange
    from cloudwatch_datasource.cloudwatch.plan import build_plans
    from cloudwatch_datasource.cloudwatch.query import parse_query

    parsed = parse_query(DataQuery(ref_id=query.refId, json=query.json, max_data_points=query.maxDataPoints,
                                   interval_ms=query.intervalMS,
                                   time_range=TimeRange(query.timeRange.fromEpochMS, query.timeRange.toEpochMS)),
                         default_region="us-east-1")
    [plan] = build_plans([parsed])
    return plan.request()


# --- 1. cold start ----------------------------------------------------------------------------------------------

# Issue 11: the portable runtime may cost at most 1.2x the handshake/`import grpc` ratio the PyInstaller bundle
# had (1.63 in docs/benchmarks.md before the change: 110 ms against 67 ms).
HANDSHAKE_RATIO_TARGET = 1.2 * 1.63

def cold_start(report: Report, cfg: Config) -> None:
    exe, python = str(executable(cfg.dist)), dist_python(cfg.dist)

    def handshake() -> float:
        return handshake_time([exe])

    def interpreter(code: str) -> float:
        return timed(lambda: subprocess.run([*python, "-c", code], stdin=subprocess.DEVNULL, check=True))

    handshake()  # the first start after a build pays for the page cache; not what Grafana sees on a restart
    shakes, bare, grpc_only = [], [], []
    for _ in range(cfg.cold_runs):  # interleaved, so a noisy neighbour hits all three alike
        shakes.append(handshake())
        bare.append(interpreter("pass"))
        grpc_only.append(interpreter("import grpc"))
    report.add(Row("1. Cold start", f"spawn of the dist executable → handshake line (median of {cfg.cold_runs})",
                   ms(median(shakes)), f"bundled `python -c 'import grpc'` {ms(median(grpc_only))}",
                   median(shakes) / median(grpc_only), f"≤ 250 ms, ratio ≤ {HANDSHAKE_RATIO_TARGET:.2f}",
                   median(shakes) <= 0.250 and median(shakes) / median(grpc_only) <= HANDSHAKE_RATIO_TARGET))
    report.note(f"1. handshake: min {ms(min(shakes))}, p90 {ms(percentile(shakes, 90))}; bare interpreter "
                f"(`python -I -c pass`) {ms(median(bare))}, so the plugin's own start-up beyond `import grpc` is "
                f"{ms(median(shakes) - median(grpc_only))}.")

    settings = keys_settings(cfg.emulator_url)
    same_work = (
        # botocore, as the plugin uses it (the dist carries no boto3: only the package's tools need it).
        "import botocore.session\n"
        "s = botocore.session.get_session()\n"
        f"s.set_credentials({KEYS['accessKey']!r}, {KEYS['secretKey']!r})\n"
        f"u = {cfg.emulator_url!r}\n"
        "c = lambda name: s.create_client(name, region_name='us-east-1', endpoint_url=u)\n"
        "c('sts').get_caller_identity()\n"
        "c('cloudwatch').list_metrics()\n"
        "c('logs').describe_log_groups(limit=1)\n"
    )
    health, baseline = [], []
    for _ in range(cfg.health_runs):
        started = time.perf_counter()
        proc = start_fast(cfg.dist)
        try:
            answer = proc.check_health(settings)
            health.append(time.perf_counter() - started)
            if answer.status != pb.CheckHealthResponse.OK:
                raise RuntimeError(f"CheckHealth failed: {answer.message}")
        finally:
            proc.channel.close()
            proc.proc.kill()
            proc.proc.wait()
        baseline.append(interpreter(same_work))
    report.add(Row("1. Cold start", f"spawn → first CheckHealth answered, emulator (median of {cfg.health_runs})",
                   ms(median(health)), f"a botocore script making the same 3 AWS calls {ms(median(baseline))}",
                   median(health) / median(baseline)))


def handshake_time(command: list[str]) -> float:
    """Seconds from spawning `command` (grafana-server's environment) to its go-plugin handshake line."""
    env = go_plugin_env()
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    took = time.perf_counter() - started
    proc.kill()
    proc.wait()
    if not line.startswith(b"1|2|"):
        raise RuntimeError(f"bad handshake line {line!r}")
    return took


def start_fast(dist: Path) -> Any:
    from cloudwatch_datasource.protocol.host import start_plugin

    return start_plugin([str(executable(dist))], env=go_plugin_env())


# --- 2. overhead ------------------------------------------------------------------------------------------------

def overhead(report: Report, cfg: Config) -> None:
    settings = keys_settings(cfg.emulator_url)
    start, end = time_range(3)
    query = data_query("A", metric_model(), start, end)
    request = same_request(query)
    client = direct_client(cfg.emulator_url)
    with plugin(cfg.dist) as proc:
        resp = proc.query([query], settings)
        problem = answered(resp, ["A"])
        if problem:
            raise RuntimeError(f"QueryData against the emulator failed: {problem}")
        points = len(client.get_metric_data(**request)["MetricDataResults"][0]["Values"])
        for _ in range(5):  # warm both paths: connections, caches
            proc.query([query], settings)
            client.get_metric_data(**request)
        through, direct = [], []
        for i in range(cfg.overhead_runs):
            pair = [("p", lambda: proc.query([query], settings)), ("d", lambda: client.get_metric_data(**request))]
            for name, fn in pair if i % 2 == 0 else reversed(pair):
                (through if name == "p" else direct).append(timed(fn))
        # The protocol's floor: an empty RPC (go-plugin's health ping) after the same idle wait as an AWS call.
        ping = health_pb2_grpc.HealthStub(proc.channel)
        idle = median(direct)
        floor = []
        for _ in range(cfg.overhead_runs):
            time.sleep(idle)
            floor.append(timed(lambda: ping.Check(health_pb2.HealthCheckRequest(service="plugin"), timeout=5)))
    ratio = median(through) / median(direct)
    report.add(Row("2. Overhead", f"one QueryData via the handshake, emulator, {points} points "
                   f"(median of {cfg.overhead_runs})", ms(median(through)),
                   f"the same GetMetricData with boto3 {ms(median(direct))}", ratio, "ratio ≤ 1.15", ratio <= 1.15))
    report.note(f"2. overhead: {ms(median(through) - median(direct))} per QueryData on top of the AWS call "
                f"(gRPC both ways, parse, plan, frames, Arrow); an empty gRPC round trip after the same idle wait "
                f"takes {ms(median(floor))} by itself. The baseline parses timestamps with boto3's default parser; "
                f"the plugin's is faster (bench/notes.md), which pays for part of its own work.")


# --- 3. batching --------------------------------------------------------------------------------------------------

def batching(report: Report, cfg: Config) -> None:
    from fake_endpoint import bench_stats

    start, end = time_range(1)
    with fake_endpoint() as url, plugin(cfg.dist) as proc:
        settings = keys_settings(url)
        proc.query([data_query("w", metric_model(), start, end)], settings)  # warm: session, client, pool
        for n in cfg.batch_sizes:
            queries = [data_query(f"q{i}", metric_model(f"i-{i:05d}"), start, end) for i in range(n)]
            ref_ids = [q.refId for q in queries]
            bench_stats(url)
            before = aws_calls(proc)
            times = []
            for run in range(cfg.batch_runs):
                started = time.perf_counter()
                resp = proc.query(queries, settings, timeout=300)
                times.append(time.perf_counter() - started)
                if run == 0:
                    calls = calls_delta(before, aws_calls(proc), "GetMetricData")
                    served = bench_stats(url)
                    problem = answered(resp, ref_ids)
                    if problem:
                        raise RuntimeError(f"N={n}: {problem}")
            before = aws_calls(proc)
            started = time.perf_counter()
            for q in queries:
                proc.query([q], settings)
            sequential = time.perf_counter() - started
            seq_calls = calls_delta(before, aws_calls(proc), "GetMetricData")
            expected = math.ceil(n / 500)
            ok = calls == expected == served["GetMetricData"] and served["queries"] == n and seq_calls == n
            report.add(Row("3. Batching", f"N = {n}: GetMetricData calls; QueryData wall time "
                           f"(median of {cfg.batch_runs})", f"{calls} call{'s' * (calls != 1)}, {ms(median(times))}",
                           f"{n} sequential one-query QueryData ({seq_calls} calls) {ms(sequential)}",
                           median(times) / sequential, f"calls = ⌈N/500⌉ = {expected}", ok))
    report.note("3. batching: fast local fake endpoint (60 points per series); call counts from the plugin's "
                "CollectMetrics, cross-checked against the endpoint's own request log.")


# --- 4. credential cache ------------------------------------------------------------------------------------------

def credential_cache(report: Report, cfg: Config) -> None:
    settings = keys_settings(cfg.emulator_url, assumeRoleArn="arn:aws:iam::123456789012:role/bench",
                             uid="bench-assume")
    start, end = time_range(1)
    query = data_query("A", metric_model(), start, end)
    n, workers = cfg.assume_queries, 8
    failures: list[str] = []
    with plugin(cfg.dist) as proc:
        before = aws_calls(proc)
        counter = iter(range(n))
        lock = threading.Lock()

        def worker() -> None:
            while True:
                with lock:
                    if next(counter, None) is None:
                        return
                problem = answered(proc.query([query], settings), ["A"])
                if problem:
                    failures.append(problem)

        started = time.perf_counter()
        run_threads(workers, worker)
        took = time.perf_counter() - started
        after = aws_calls(proc)
    assumed = calls_delta(before, after, "AssumeRole")
    gmd = calls_delta(before, after, "GetMetricData")
    if failures:
        raise RuntimeError(f"{len(failures)} of {n} QueryData failed, first: {failures[0]}")
    report.add(Row("4. Credential cache", f"sts:AssumeRole calls for {n:,} QueryData on one assume-role "
                   f"datasource ({workers} clients)", str(assumed), f"one per QueryData without a cache: {n:,}",
                   assumed / n, "1", assumed == 1))
    report.note(f"4. credential cache: {gmd:,} GetMetricData calls, {n / took:.0f} QueryData/s against the emulator.")


def run_threads(count: int, target: Callable[[], None]) -> None:
    threads = [threading.Thread(target=target, daemon=True) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# --- 5. frames ----------------------------------------------------------------------------------------------------

def frames(report: Report, cfg: Config) -> None:
    import pyarrow as pa

    from cloudwatch_datasource.data import Field, FieldType, Frame
    from cloudwatch_datasource.protocol.arrow import encode_frame

    series, points = 100, 10_000
    rng = random.Random(7)
    start_ns = (int(time.time()) - points * 60) * 10**9
    # The arrays frames.py hands over: timestamp[ns, UTC] and float64 (pyarrow, no numpy in the plugin).
    times = [pa.array([start_ns + m * 60 * 10**9 for m in range(points)], type=pa.timestamp("ns", tz="UTC"))
             for _ in range(series)]
    values = [pa.array([rng.gauss(50, 10) for _ in range(points)], type=pa.float64()) for _ in range(series)]
    plugin_frames = [
        Frame(name=f"CPUUtilization i-{i:05d}", ref_id="A", meta={"type": "timeseries-multi"}, fields=[
            Field("Time", FieldType.TIME, times[i]),
            Field("Value", FieldType.NUMBER, values[i], labels={"InstanceId": f"i-{i:05d}"},
                  config={"displayNameFromDS": f"i-{i:05d}"}),
        ]) for i in range(series)]

    def encode_all() -> None:
        for frame in plugin_frames:
            encode_frame(frame)

    def pyarrow_direct() -> None:
        for i in range(series):
            table = pa.Table.from_arrays([times[i].cast(pa.timestamp("ns")), values[i]],
                                         names=["Time", "Value"])
            sink = pa.BufferOutputStream()
            with pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
            sink.getvalue().to_pybytes()

    encode_all()
    pyarrow_direct()
    ours, direct = [], []
    for _ in range(cfg.frame_runs):
        ours.append(timed(encode_all))
        direct.append(timed(pyarrow_direct))
    ratio = median(ours) / median(direct)
    report.add(Row("5. Frames", f"encode_frame, {series} series × {points:,} points (median of {cfg.frame_runs})",
                   ms(median(ours)), f"pyarrow writing the same arrays to IPC files {ms(median(direct))}", ratio,
                   "ratio ≤ 3", ratio <= 3))

    # The whole CPU path after the network, as the plugin runs it: botocore's datetime lists → frames → Arrow.
    pipeline = _pipeline_path(series, points)
    pipeline()
    full = [timed(pipeline) for _ in range(cfg.frame_runs)]
    report.add(Row("5. Frames", "frames stage from datetime lists (what botocore returns) → Arrow, same size",
                   ms(median(full)), f"pyarrow from ready arrays {ms(median(direct))}", median(full) / median(direct)))


def _pipeline_path(series: int, points: int) -> Callable[[], None]:
    from datetime import UTC, datetime, timedelta

    from cloudwatch_datasource.backend import DataQuery, TimeRange
    from cloudwatch_datasource.cloudwatch.execute import PlanOutcome, SeriesResult
    from cloudwatch_datasource.cloudwatch.frames import build_responses
    from cloudwatch_datasource.cloudwatch.plan import build_plans
    from cloudwatch_datasource.cloudwatch.query import parse_query
    from cloudwatch_datasource.protocol.arrow import encode_frame

    end_ms = int(time.time()) // 60 * 60 * 1000
    start_ms = end_ms - points * 60 * 1000
    parsed = [parse_query(DataQuery(ref_id=f"q{i}", time_range=TimeRange(start_ms, end_ms),
                                    json=data_query(f"q{i}", metric_model(f"i-{i:05d}"), 0, 1).json),
                          default_region="us-east-1") for i in range(series)]
    [plan] = build_plans(parsed)
    first = datetime.fromtimestamp(start_ms / 1000, tz=UTC)
    stamps = [first + timedelta(minutes=m) for m in range(points)]
    rng = random.Random(7)
    vals = [[rng.gauss(50, 10) for _ in range(points)] for _ in range(series)]

    def run() -> None:
        outcome = PlanOutcome(plan=plan)
        for i, planned in enumerate(plan.queries):
            qid = planned.metric_data_query["Id"]
            outcome.results[qid] = [SeriesResult(id=qid, label=f"i-{i:05d}", timestamps=list(stamps),
                                                 values=vals[i])]
        for resp in build_responses([outcome]).values():
            for frame in resp.frames:
                encode_frame(frame)

    return run


# --- 6 + 7. throughput, concurrency and memory --------------------------------------------------------------------

def load(concurrency: int, seconds: float, call: Callable[[], bool]) -> tuple[float, list[float], int]:
    """`concurrency` threads calling `call` back to back for `seconds`: (calls/s, latencies, failures)."""
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    failures = [0] * concurrency
    go = threading.Event()
    deadline = [0.0]

    def worker(i: int) -> None:
        go.wait()
        mine = latencies[i]
        while True:
            started = time.perf_counter()
            if started >= deadline[0]:
                return
            ok = call()
            mine.append(time.perf_counter() - started)
            if not ok:
                failures[i] += 1

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for t in threads:
        t.start()
    started = time.perf_counter()
    deadline[0] = started + seconds
    go.set()
    for t in threads:
        t.join()
    took = time.perf_counter() - started
    flat = [x for xs in latencies for x in xs]
    return len(flat) / took, flat, sum(failures)


def throughput_and_memory(report: Report, cfg: Config) -> None:
    start, end = time_range(1)
    query = data_query("A", metric_model(), start, end)
    request_args = same_request(query)
    with fake_endpoint() as url, plugin(cfg.dist) as proc:
        pid = proc.proc.pid
        wait_idle(pid)
        idle_kb = proc_status_kb(pid, "VmRSS")
        settings = keys_settings(url)
        next_request = distinct_requests(_context(settings), start, end)
        stub = proc.data

        def via_plugin() -> bool:
            resp = stub.QueryData(next_request(), timeout=60)
            r = resp.responses.get("A")
            return r is not None and not r.error and len(r.frames) == 1

        client = direct_client(url, pool=max(cfg.concurrency))

        def direct() -> bool:
            return len(client.get_metric_data(**request_args)["MetricDataResults"]) == 1

        via_plugin()
        direct()
        warm_kb = proc_status_kb(pid, "VmRSS")
        for c in cfg.concurrency:
            load(c, min(1.0, cfg.load_seconds), via_plugin)  # warm this level: threads, connections
            load(c, min(1.0, cfg.load_seconds), direct)
            ours, base, lat, failed = [], [], [], 0
            for _ in range(cfg.load_runs):
                qps, latencies, failures = load(c, cfg.load_seconds, via_plugin)
                ours.append(qps)
                lat.extend(latencies)
                failed += failures
                base.append(load(c, cfg.load_seconds, direct)[0])
            if failed:
                report.errors.append(f"6. {failed} QueryData failed at concurrency {c}")
            report.add(Row("6. Throughput", f"{c} concurrent client{'s' * (c != 1)}: QueryData/s, p50 / p99 "
                           f"latency (median of {cfg.load_runs} × {cfg.load_seconds:g} s)",
                           f"{median(ours):.0f}/s, {ms(percentile(lat, 50))} / {ms(percentile(lat, 99))}",
                           f"direct boto3 GetMetricData, same concurrency {median(base):.0f}/s",
                           median(ours) / median(base)))
        peak_kb = proc_status_kb(pid, "VmHWM")
        end_kb = proc_status_kb(pid, "VmRSS")
    report.note("6. throughput: one MetricStat query per QueryData (60 points) against the fake endpoint in its own "
                "process; the load generator, the plugin and the endpoint share the machine's cores.")

    baseline_kb = _imports_rss(cfg.dist)
    report.add(Row("7. Memory", "plugin RSS idle after start (warm-up imports done)", f"{idle_kb / 1024:.0f} MB",
                   f"the bundled python with grpc, botocore, pyarrow imported {baseline_kb / 1024:.0f} MB",
                   idle_kb / baseline_kb, "≤ 90 MB", idle_kb <= 90 * 1024))
    report.add(Row("7. Memory", "plugin peak RSS (VmHWM) while answering (6)", f"{peak_kb / 1024:.0f} MB",
                   f"idle {idle_kb / 1024:.0f} MB", peak_kb / idle_kb))
    report.note(f"7. memory: RSS after the first query {warm_kb / 1024:.0f} MB, after the load "
                f"{end_kb / 1024:.0f} MB.")


def _context(settings: pb.DataSourceInstanceSettings) -> pb.PluginContext:
    from cloudwatch_datasource.protocol.host import plugin_context

    return plugin_context(settings)


def _imports_rss(dist: Path) -> int:
    """VmRSS of the dist's interpreter after importing the same heavy libraries the plugin needs."""
    code = "import grpc, botocore.session, pyarrow, pyarrow.ipc, sys; print('ready', flush=True); " \
           "sys.stdin.read()"
    proc = subprocess.Popen([*dist_python(dist), "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        proc.stdout.readline()
        return proc_status_kb(proc.pid, "VmRSS")
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait()


# --- 10. bounded memory -----------------------------------------------------------------------------------------

# Issue 13: a 10 M-point request took 1.5 GB; under the point bound its peak must stay at most 300 MB.
BIG_QUERIES, BIG_POINTS = 100, 100_000  # 100 series x 100,000 points = 10 M points in one QueryData
PEAK_TARGET_MB = 300


def bounded_memory(report: Report, cfg: Config) -> None:
    """Peak RSS (VmHWM, a fresh plugin per measurement) for one QueryData whose answer is 10 M points: under the
    default bound (it must fail clearly, not take gigabytes), the largest answer the bound lets through, and,
    outside --quick, the same 10 M request with the bound lifted (what it cost before issue 13)."""
    start, end = time_range(3)
    big = [data_query(f"q{i}", metric_model(f"i-{i:05d}"), start, end) for i in range(BIG_QUERIES)]
    within = big[:10]  # 1 M points: the default max_points_per_request exactly
    runs: list[tuple[str, list[pb.DataQuery], dict[str, str]]] = [
        ("10 M points, default bound", big, {}),
        ("1 M points (the bound), answered", within, {}),
    ]
    if not cfg.quick:
        runs.append(("10 M points, bound lifted", big, {"GF_PLUGIN_MAX_POINTS_PER_REQUEST": "20000000",
                                                        "GF_PLUGIN_MAX_POINTS_PER_QUERY": "20000000"}))
    measured: dict[str, tuple[int, int, float, pb.QueryDataResponse]] = {}
    with fake_endpoint(points=BIG_POINTS) as url:
        for name, queries, env in runs:
            with plugin(cfg.dist, env) as proc:
                pid = proc.proc.pid
                wait_idle(pid)
                idle_kb = proc_status_kb(pid, "VmRSS")
                started = time.perf_counter()
                resp = proc.query(queries, keys_settings(url), timeout=600)
                took = time.perf_counter() - started
                measured[name] = (idle_kb, proc_status_kb(pid, "VmHWM"), took, resp)
    idle_kb, peak_kb, took, resp = measured["10 M points, default bound"]
    errors = {r.error for r in resp.responses.values()}
    clear = (len(resp.responses) == BIG_QUERIES and all(r.status == 413 and r.errorSource == "plugin"
                                                        for r in resp.responses.values())
             and len(errors) == 1 and "max_points_per_request" in next(iter(errors)))
    if not clear:
        report.errors.append(f"10. the 10 M-point request was not refused clearly: {sorted(errors)[:2]}")
    report.add(Row("10. Bounded memory", f"one QueryData of {BIG_QUERIES} series × {BIG_POINTS:,} points (10 M) "
                   "under the default bound (1 M per request): peak RSS, time", f"{peak_kb / 1024:.0f} MB, "
                   f"{ms(took)}", f"idle {idle_kb / 1024:.0f} MB", peak_kb / idle_kb, f"≤ {PEAK_TARGET_MB} MB, "
                   "413 on every refId", clear and peak_kb <= PEAK_TARGET_MB * 1024))
    report.note("10. bounded memory, error each refId got: " + (next(iter(errors)) if errors else "none"))
    idle_kb, peak_kb, took, resp = measured["1 M points (the bound), answered"]
    problem = answered(resp, [q.refId for q in within])
    if problem:
        report.errors.append(f"10. the 1 M-point request was not answered: {problem}")
    report.add(Row("10. Bounded memory", "10 series × 100,000 points (1 M, the bound) answered in full: peak RSS, "
                   "time", f"{peak_kb / 1024:.0f} MB, {ms(took)}", f"idle {idle_kb / 1024:.0f} MB",
                   peak_kb / idle_kb, f"≤ {PEAK_TARGET_MB} MB", not problem and peak_kb <= PEAK_TARGET_MB * 1024))
    lifted = measured.get("10 M points, bound lifted")
    if lifted is not None:
        idle_kb, peak_kb, took, resp = lifted
        report.add(Row("10. Bounded memory", "the same 10 M points with the bound lifted (before issue 13): peak "
                       "RSS, time", f"{peak_kb / 1024:.0f} MB, {ms(took)}", f"idle {idle_kb / 1024:.0f} MB",
                       peak_kb / idle_kb))
    report.note("10. bounded memory: the fast fake endpoint answers every query with 100,000 points, paged at "
                "AWS's 100,800 datapoints per call; a fresh plugin per measurement, so VmHWM is that request's peak.")


# --- 8. size ---------------------------------------------------------------------------------------------------

SIZE_TARGETS_MB = {"unpacked": 100.0, "zipped": 40.0}


def size(report: Report, cfg: Config) -> None:
    """What an operator downloads and unpacks per architecture (issue 11): the plugin folder less the other
    architecture's launcher and runtime, and the `make package` zip."""
    runtime = cfg.dist / "runtime"
    arches = sorted(p.name.removeprefix("linux_") for p in runtime.glob("linux_*"))

    def tree(path: Path) -> int:
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())

    for arch in arches:
        others = [runtime / f"linux_{a}" for a in arches if a != arch]
        launchers = [cfg.dist / f"gpx_cloudwatch_linux_{a}" for a in arches if a != arch]
        unpacked = tree(cfg.dist) - sum(tree(p) for p in others) - sum(p.stat().st_size for p in launchers)
        report.add(Row("8. Size", f"linux_{arch}: plugin folder unpacked", f"{unpacked / 1e6:.1f} MB",
                       target=f"≤ {SIZE_TARGETS_MB['unpacked']:.0f} MB",
                       met=unpacked / 1e6 <= SIZE_TARGETS_MB["unpacked"]))
        zips = sorted(cfg.dist.parent.glob(f"*.linux_{arch}.zip"))
        if zips:
            zipped = zips[-1].stat().st_size
            report.add(Row("8. Size", f"linux_{arch}: {zips[-1].name}", f"{zipped / 1e6:.1f} MB",
                           target=f"≤ {SIZE_TARGETS_MB['zipped']:.0f} MB",
                           met=zipped / 1e6 <= SIZE_TARGETS_MB["zipped"]))
        else:
            report.errors.append(f"no {cfg.dist.parent}/*.linux_{arch}.zip: run `make package` (make bench does)")
    native = {p.name: tree(p) for p in sorted((runtime / f"linux_{arches[0]}" / "site").iterdir()) if p.is_dir()}
    biggest = sorted(native.items(), key=lambda kv: -kv[1])[:3]
    report.note("8. largest native packages (linux_" + arches[0] + "): "
                + ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in biggest)
                + f"; shared Python (stdlib zip + pure packages) {tree(runtime / 'python') / 1e6:.1f} MB.")


# --- 12. picker cache ---------------------------------------------------------------------------------------------

PICKER_SPEEDUP_TARGET = 100  # issue 16: a picker's second call at least 100x faster, and no AWS call


def picker_cache(report: Report, cfg: Config) -> None:
    """The editor's dimension-values picker on a large account (bench/fake_endpoint.py: 10,000 metrics in 20
    ListMetrics pages), first calls against repeats answered from the picker cache (cloudwatch/picker_cache.py).
    Each first call asks for another metric name, so it misses the cache and pays the whole listing."""
    from fake_endpoint import PICKER_NAMESPACE, bench_stats

    runs = max(3, cfg.batch_runs + 2)
    with fake_endpoint() as url, plugin(cfg.dist) as proc:
        settings = keys_settings(url, uid="bench-picker")

        def picker(metric: str) -> Callable[[], None]:
            query = f"region=us-east-1&namespace={PICKER_NAMESPACE}&metricName={metric}&dimensionKey=Service"

            def call() -> None:
                [answer] = proc.call_resource("dimension-values", settings, query=query)
                if answer.code != 200 or len(json.loads(answer.body)) != 250:
                    raise RuntimeError(f"dimension-values answered {answer.code}: {answer.body[:200]!r}")

            return call

        timed(picker("Warmup"))  # the first CallResource builds the client: not a picker's cost
        bench_stats(url)
        before = aws_calls(proc)
        first = [timed(picker(f"Latency{i}")) for i in range(runs)]
        listed = bench_stats(url)["ListMetrics"]
        repeats = [timed(picker(f"Latency{i % runs}")) for i in range(cfg.overhead_runs)]
        listed_again = bench_stats(url)["ListMetrics"]
        after = aws_calls(proc)
    counted = calls_delta(before, after, "ListMetrics")
    speedup = median(first) / median(repeats)
    report.add(Row("12. Picker cache", "dimension-values, repeat answered from the cache (10,000 metrics, 20 "
                   "pages)", ms(median(repeats)), f"first call {ms(median(first))}", median(repeats) / median(first),
                   f"≥ {PICKER_SPEEDUP_TARGET}x faster, 0 AWS calls",
                   speedup >= PICKER_SPEEDUP_TARGET and listed_again == 0))
    report.note(f"12. picker cache: {speedup:.0f}x faster; ListMetrics calls served by the endpoint: {listed} for "
                f"{runs} first calls, {listed_again} for {cfg.overhead_runs} repeats (the plugin counted "
                f"{counted} in all).")
