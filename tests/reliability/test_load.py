"""Load through the real handshake: 200 concurrent QueryData for 60 s (RELIABILITY_LOAD_SECONDS to change),
every refId answered exactly once with its own data, plugin RSS flat; the client cache stays bounded when
1,000 distinct datasources come by.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import statistics
import threading
import time
from dataclasses import dataclass, field

import grpc
from support.fake_aws import FakeAws
from support.plugins import StartPlugin

from cloudwatch_datasource.protocol.host import plugin_context
from cloudwatch_datasource.protocol.pb import backend_pb2 as pb
from cloudwatch_datasource.protocol.pb import backend_pb2_grpc

from .helpers import LEAKS, answer_problem, keys_settings, metric_query, rss_bytes

LOAD_SECONDS = float(os.environ.get("RELIABILITY_LOAD_SECONDS", "60"))
CONCURRENCY = 200
DATASOURCES = 20


@dataclass
class LoadFigures:
    requests: int = 0
    ref_ids: int = 0
    lost: int = 0  # RPC failed: the answers never arrived
    wrong: list[str] = field(default_factory=list)  # answered, but missing/duplicate/foreign refId or wrong data
    rss_mb: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)


FIGURES: dict[str, object] = {}


def _sample_rss(pid: int, out: list[float], stop: threading.Event) -> None:
    while not stop.wait(1.0):
        try:
            out.append(rss_bytes(pid) / 2**20)
        except OSError:
            return


async def _worker(stub: backend_pb2_grpc.DataStub, worker: int, deadline: float, figures: LoadFigures,
                  settings: list[pb.DataSourceInstanceSettings]) -> None:
    i = 0
    while time.monotonic() < deadline:
        i += 1
        # 1-3 refIds with numbers unique to this worker and round, against one of the datasources.
        numbers = {f"R{worker}x{i}q{k}": worker * 10_000 + i * 10 + k for k in range(1 + (worker + i) % 3)}
        queries = [metric_query(ref, n) for ref, n in numbers.items()]
        request = pb.QueryDataRequest(pluginContext=plugin_context(settings[(worker + i) % len(settings)]),
                                      queries=queries)
        started = time.monotonic()
        try:
            resp = await stub.QueryData(request, timeout=30)
        except grpc.aio.AioRpcError as err:
            figures.lost += 1
            LEAKS.add("grpc error", f"{err.code()}: {err.details()}")
            continue
        figures.latencies.append(time.monotonic() - started)
        figures.requests += 1
        figures.ref_ids += len(numbers)
        problem = answer_problem(resp, numbers)
        if problem is not None:
            figures.wrong.append(problem)
        if i % 50 == 1:
            LEAKS.add_query_response(resp)


async def _load(address: str, seconds: float, settings: list[pb.DataSourceInstanceSettings]) -> LoadFigures:
    figures = LoadFigures()
    async with grpc.aio.insecure_channel(address, options=[("grpc.max_receive_message_length", 2**31 - 1)]) as ch:
        stub = backend_pb2_grpc.DataStub(ch)
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(_worker(stub, w, deadline, figures, settings) for w in range(CONCURRENCY)))
    return figures


def test_200_concurrent_query_data_for_a_minute(plugins: StartPlugin, fake: FakeAws) -> None:
    plugin = plugins({"GF_PLUGIN_LOG_LEVEL": "info"})
    settings = [keys_settings(fake.url, uid=f"ds-load-{i}") for i in range(DATASOURCES)]
    for s in settings:  # warm every datasource's credentials and client
        assert answer_problem(plugin.query([metric_query("W", 1)], s), {"W": 1}) is None
    address = plugin.handshake.strip().split("|")[3]
    stop = threading.Event()
    rss: list[float] = []
    sampler = threading.Thread(target=_sample_rss, args=(plugin.proc.pid, rss, stop), daemon=True)
    sampler.start()
    started = time.monotonic()
    try:
        figures = asyncio.run(_load(address, LOAD_SECONDS, settings))
    finally:
        stop.set()
        sampler.join()
    elapsed = time.monotonic() - started
    assert plugin.proc.poll() is None, "the plugin died under load"
    assert figures.lost == 0, f"{figures.lost} RPCs failed"
    assert figures.wrong == [], figures.wrong[:5]
    assert figures.requests > 0 and figures.ref_ids >= figures.requests

    # RSS: no growth across the run. The first 20 % is warm-up (thread stacks, pools, allocator arenas);
    # compare the next 20 % with the last 20 %.
    assert len(rss) >= 5
    fifth = max(1, len(rss) // 5)
    early, late = statistics.median(rss[fifth:2 * fifth]), statistics.median(rss[-fifth:])
    assert late <= early * 1.10 + 8, f"RSS grew from {early:.0f} MiB to {late:.0f} MiB: {rss}"
    FIGURES.update(
        seconds=round(elapsed, 1), concurrency=CONCURRENCY, requests=figures.requests, ref_ids=figures.ref_ids,
        requests_per_s=round(figures.requests / elapsed), lost=figures.lost, wrong=len(figures.wrong),
        p50_ms=round(statistics.median(figures.latencies) * 1000),
        p99_ms=round(statistics.quantiles(figures.latencies, n=100)[98] * 1000),
        rss_early_mib=round(early), rss_late_mib=round(late), rss_max_mib=round(max(rss)),
    )
    print(f"load figures: {FIGURES}")


def test_client_cache_bounded_across_1000_datasources(plugins: StartPlugin, fake: FakeAws) -> None:
    """1,000 datasources with distinct settings (as many Grafana orgs/instances would have): the plugin keeps
    at most its cache bound of credentials + clients, so RSS levels off instead of growing per datasource."""
    plugin = plugins({"GF_PLUGIN_LOG_LEVEL": "info"})

    def one(i: int) -> str | None:
        settings = keys_settings(fake.url, uid=f"ds-many-{i}")
        return answer_problem(plugin.query([metric_query("A", i)], settings, timeout=60), {"A": i})

    marks: dict[int, float] = {}
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        done = 0
        for batch_end in (300, 600, 1000):
            problems = [p for p in pool.map(one, range(done, batch_end)) if p is not None]
            assert problems == []
            done = batch_end
            marks[batch_end] = rss_bytes(plugin.proc.pid) / 2**20
    # The cache holds 256 entries: past that, new datasources replace old ones and RSS stays level.
    assert marks[1000] <= marks[300] * 1.15 + 10, marks
    FIGURES.update(datasources=1000, rss_after_300_mib=round(marks[300]), rss_after_1000_mib=round(marks[1000]))
    print(f"cache figures: {marks}")
