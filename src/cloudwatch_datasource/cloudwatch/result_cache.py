"""Between plan and execute: identical GetMetricData work done once (coalescing), answers kept for a while (the
result cache), and relative ranges refreshed by fetching only their new periods (incremental refresh).

Rules (docs/queries.md, "Result cache and incremental refresh"):
- **Coalescing.** A call chain (one plan) is named by an HMAC over the AWS identity, its MetricDataQueries and its
  window (result_store.result_key). While one is in flight, a request that needs the same key waits for it instead
  of calling AWS again: 50 viewers opening one dashboard cost the calls of one. A waiter honours its own deadline
  and, when the leader's answer cannot be shared (the leader's request was cancelled, ran out of its own point
  budget, or its call was refused by pacing for the leader's deadline), fetches for itself. Each flight is closed
  as soon as its own call chain is done, not when the leader's whole request is. Always on: a coalesced answer
  is at most one call's latency old.
- **Aligned windows.** With the cache on, a plan's window is aligned to its period grid (incremental.py,
  `alignment_seconds`): StartTime floored, EndTime rounded up. Viewers a few seconds apart and successive
  refreshes then ask for the same window and the same datapoint timestamps.
- **The cache.** A clean answer (no error, every result Complete, no Messages) is kept in the datasource's store
  (result_store.py) for `cacheTTLSeconds`; a request whose window it covers is answered from it, trimmed to the
  window. Errors are never kept. Alert evaluations (Grafana's `FromAlert` request header) never read from the
  cache: an alert decides on the freshest data; they still coalesce and their answers are kept for dashboards.
- **Incremental refresh.** A live window (ending within `cacheLateDataSeconds` of now) of a plan whose values are
  per period (incremental.py: nothing on the whole-window list) is kept under a key without the window. A later
  window that starts inside the kept one is answered with the kept points before the overlap plus one call for
  [kept end − overlap, new end): the overlap (`cacheLateDataSeconds` rounded up to whole periods, at least the
  still-filling last period) is always fetched again for late data. The kept part is fetched whole again after
  `cacheFullRefreshSeconds`. AWS bills metrics requested, not datapoints: this saves datapoints, latency and
  throttling, not money (coalescing and cache hits save money).
- Every answer, however obtained, is counted against the request's own point budget (execute.PointBudget).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from .. import deadlines, metrics
from ..aws.pacing import PacingRefused
from ..errors import ErrorSource, PluginError
from ..settings import CacheSettings
from .execute import POINTS_LIMIT_STATUS, PlanOutcome, PointBudget, RunPlans, SeriesResult
from .incremental import alignment_seconds, ceil_to, floor_to, period_grid_seconds, plan_whole_window_reason
from .plan import GetMetricDataPlan
from .result_store import AwsIdentity, InProcessStore, ResultStore, decode_value, encode_value, result_key

# How an answer was obtained; also shown on its frames as meta.custom.cache.
MISS, HIT, INCREMENTAL, COALESCED, BYPASS, OFF = "miss", "hit", "incremental", "coalesced", "bypass", "off"

log = structlog.get_logger(__name__)

IdentityFor = Callable[[str], AwsIdentity]

# Process-wide bound of all in-process stores together; a datasource's own bound is its cacheMaxMB.
DEFAULT_TOTAL_BYTES = 256 * 1024 * 1024
MAX_STORES = 256


@dataclass
class _Flight:
    """One call chain in flight, shared by every request that needs it."""

    future: Future[tuple[PlanOutcome, bool]]  # (outcome, whether others may use it)


@dataclass
class _Job:
    plan: GetMetricDataPlan  # what the request asked for (its refIds)
    mode: str = MISS
    fetch: GetMetricDataPlan | None = None  # the call to make (aligned; a tail for incremental); None when served
    served: PlanOutcome | None = None
    entry_key: bytes = b""
    live: bool = False
    window: tuple[float, float] = (0.0, 0.0)  # aligned start, end (epoch s)
    base: dict[str, Any] | None = None  # the kept entry an incremental fetch extends
    cut: float = 0.0  # incremental: kept points before this, fetched points from it
    keep_from: float = 0.0  # incremental: the start of the window kept for later requests (≤ the window's)
    kept_end: float = 0.0  # the end of the live entry found, when there was one
    incremental: bool = False  # may be answered piecewise (settings and the whole-window list)
    flight_of: Callable[[GetMetricDataPlan], bytes] | None = None  # the flight key of a call to make
    flight_key: bytes = b""
    flight: _Flight | None = None
    leader: bool = False
    leads: bool = False  # this request opened the flight: it must land it, whatever happens
    fetched: PlanOutcome | None = None


class ResultCache:
    """The process's stores (one per datasource, each bounded by its cacheMaxMB; all together by the bytes they
    hold against `total_bytes`, the least recently used entries of the least recently used stores dropped first)
    and the call chains in flight."""

    def __init__(self, total_bytes: int = DEFAULT_TOTAL_BYTES, secret: bytes | None = None) -> None:
        self.total_bytes = total_bytes
        # In-process keys need no shared secret: a random one per process. A store shared between processes
        # brings its own (`session(shared=..., shared_secret=...)`).
        self.secret = secret or os.urandom(32)
        self._stores: OrderedDict[tuple[int, str], tuple[int, InProcessStore]] = OrderedDict()
        self._flights: dict[bytes, _Flight] = {}
        self._lock = threading.Lock()

    def store_for(self, owner: tuple[int, str], settings: CacheSettings) -> InProcessStore:
        """The datasource's in-process store, made (or remade, when its cacheMaxMB changed) on first use."""
        with self._lock:
            held = self._stores.get(owner)
            if held is not None and held[0] == settings.max_bytes:
                self._stores.move_to_end(owner)
                return held[1]
            self._stores.pop(owner, None)
            while len(self._stores) >= MAX_STORES:
                self._stores.popitem(last=False)
            store = InProcessStore(min(settings.max_bytes, self.total_bytes), on_grow=self.fit)
            self._stores[owner] = (settings.max_bytes, store)
            return store

    def fit(self) -> None:
        """Keep all stores together within `total_bytes` by the bytes they hold (not their configured bounds,
        which may add up to more): the least recently used entries of the least recently used stores go first."""
        with self._lock:
            used = sum(store.bytes_used for _, store in self._stores.values())
            for _, store in list(self._stores.values()):
                while used > self.total_bytes:
                    before = store.bytes_used
                    if not store.drop_oldest():
                        break
                    used -= before - store.bytes_used
                if used <= self.total_bytes:
                    return

    def bytes_used(self) -> int:
        with self._lock:
            return sum(store.bytes_used for _, store in self._stores.values())

    def forget(self, owner: tuple[int, str]) -> None:
        with self._lock:
            self._stores.pop(owner, None)

    def session(self, *, owner: tuple[int, str], settings: CacheSettings, identity_for: IdentityFor,
                datasource: str, read: bool = True, shared: ResultStore | None = None,
                shared_secret: bytes = b"") -> CacheSession:
        """A request's cache. `shared` (with the HMAC secret every process sharing it uses) replaces the
        in-process store: Grafana HA's plugin processes then share answers (docs/queries.md)."""
        if not settings.enabled:
            return CacheSession(self, None, settings, identity_for, datasource, read, self.secret)
        if shared is not None and shared_secret:
            return CacheSession(self, shared, settings, identity_for, datasource, read, shared_secret)
        return CacheSession(self, self.store_for(owner, settings), settings, identity_for, datasource, read,
                            self.secret)

    # --- flights ---------------------------------------------------------------------------------------------
    def _join(self, key: bytes) -> tuple[_Flight, bool]:
        """The flight for `key`, and whether the caller leads it (makes the call and publishes the outcome)."""
        with self._lock:
            flight = self._flights.get(key)
            if flight is not None:
                return flight, False
            flight = self._flights[key] = _Flight(Future())
            return flight, True

    def _land(self, key: bytes, flight: _Flight, outcome: PlanOutcome | None, shareable: bool) -> None:
        """Publish a flight's outcome (None: the leader has none to share) and close it; once only."""
        with self._lock:
            if self._flights.get(key) is flight:
                del self._flights[key]
            if flight.future.done():
                return
            if outcome is None:
                flight.future.set_exception(RuntimeError("the leading request failed"))
            else:
                flight.future.set_result((outcome, shareable))


class CacheSession:
    """One QueryData request's view of the cache: its datasource's store and settings, its identity, whether it
    may read (not for alert evaluations)."""

    def __init__(self, cache: ResultCache, store: ResultStore | None, settings: CacheSettings,
                 identity_for: IdentityFor, datasource: str, read: bool, secret: bytes) -> None:
        self._cache = cache
        self._secret = secret
        self._store = store
        self._settings = settings
        self._identity_for = identity_for
        self._datasource = datasource
        self._read = read

    def execute(self, plans: Sequence[GetMetricDataPlan], run: RunPlans, budget: PointBudget) -> list[PlanOutcome]:
        """One outcome per plan, in plan order, each marked with how it was obtained (`PlanOutcome.cache`).
        A failure of the cache's own code fails only the refIds of the plan it happened in, and every flight
        this request leads is closed whatever happens (waiters never wait for a request that is gone)."""
        now = time.time()
        jobs = [_Job(plan=plan, fetch=plan) for plan in plans]
        try:
            for job in jobs:
                self._guarded(job, functools.partial(self._prepare, job, now))
            looked_up = [job for job in jobs if job.entry_key and job.served is None]
            values = self._read_many([job.entry_key for job in looked_up])
            for job, value in zip(looked_up, values, strict=True):
                self._guarded(job, functools.partial(self._lookup, job, value, now))
            self._run_leading([job for job in jobs if job.fetch is not None and job.served is None
                               and (job.flight is None or job.leader)], run)
            for job in jobs:
                if job.fetch is not None and job.served is None and job.fetched is None:
                    self._guarded(job, functools.partial(self._wait, job, run))
            label = metrics.datasource_label(self._datasource)
            answers = []
            for job in jobs:
                try:
                    answer = self._finish(job, time.time(), budget, run)
                except Exception:  # noqa: BLE001 - this plan's refIds get the error, the others their answers
                    log.exception("the result cache failed on a plan", datasource=self._datasource)
                    answer = _charged(_internal_error(job.plan), budget, job.mode)
                metrics.RESULT_CACHE_LOOKUPS.labels(label, answer.cache).inc()
                answers.append(answer)
        finally:
            for job in jobs:
                if job.leads and job.flight is not None:
                    self._cache._land(job.flight_key, job.flight, None, False)  # no-op when landed already
        metrics.RESULT_CACHE_BYTES.set(self._cache.bytes_used())
        return answers

    def _run_leading(self, leading: list[_Job], run: RunPlans) -> None:
        """Make the calls this request leads; each flight is landed as soon as its own plan is done."""
        if not leading:
            return

        def landed(index: int, outcome: PlanOutcome) -> None:
            job = leading[index]
            job.fetched = outcome
            if job.flight is not None:
                self._cache._land(job.flight_key, job.flight, outcome, _shareable(outcome, deadlines.current.get()))

        try:
            outcomes = run([job.fetch for job in leading if job.fetch is not None], landed)
        except Exception:  # noqa: BLE001 - one plan's failure is its own refIds' error (module docstring)
            log.exception("running the plans failed unexpectedly", datasource=self._datasource)
            for job in leading:
                if job.fetched is None:
                    job.served = _internal_error(job.plan)
            return
        for index, outcome in enumerate(outcomes):
            if leading[index].fetched is None:
                landed(index, outcome)

    def _guarded(self, job: _Job, step: Callable[[], object]) -> None:
        """Run one plan's step; an unexpected failure answers that plan's refIds with an internal error."""
        try:
            step()
        except Exception:  # noqa: BLE001 - the other plans of the request are still answered
            log.exception("the result cache failed on a plan", datasource=self._datasource)
            job.served = _internal_error(job.plan)

    # --- before the calls ------------------------------------------------------------------------------------
    def _prepare(self, job: _Job, now: float) -> None:
        plan = job.plan
        job.mode = OFF if self._store is None else (MISS if self._read else BYPASS)
        try:
            identity = self._identity_for(plan.region)
        except PluginError:
            return  # the call itself will fail the same way and say why; nothing to share or keep
        queries = [dict(p.metric_data_query) for p in plan.queries]
        if self._store is None:
            self._fly(job, result_key(self._secret, identity, queries, _epochs(plan.start, plan.end),
                                      plan.label_timezone))
            return
        step = alignment_seconds(plan, now)
        start, end = floor_to(plan.start, step), ceil_to(plan.end, step)
        aligned = dataclasses.replace(plan, start=start, end=end)
        job.fetch, job.window = aligned, (start.timestamp(), end.timestamp())
        incremental = self._settings.incremental and not plan_whole_window_reason(plan)
        job.live = incremental and job.window[1] > now - self._settings.late_data_s
        window: list[object] = ["live", job.window[1] - job.window[0]] if job.live else list(job.window)
        job.entry_key = result_key(self._secret, identity, queries, window, plan.label_timezone)
        job.flight_of = functools.partial(self._flight_key, identity, queries, plan.label_timezone)
        job.incremental = incremental

    def _read_many(self, keys: list[bytes]) -> list[bytes | None]:
        """The stored values of every plan of the request in one round trip where the store offers it (Redis
        MGET): a request's reads then cost one timeout at most, not one per plan."""
        if not keys or not self._read or self._store is None:
            return [None] * len(keys)
        try:
            get_many = getattr(self._store, "get_many", None)
            values = get_many(keys) if get_many is not None else [self._store.get(key) for key in keys]
        except Exception:  # noqa: BLE001 - the store contract says "never raises"; a store that does is a miss
            log.exception("the result store failed to read", datasource=self._datasource)
            return [None] * len(keys)
        return list(values) if len(values) == len(keys) else [None] * len(keys)

    def _lookup(self, job: _Job, value: bytes | None, now: float) -> None:
        """Use what the store holds for the plan (a hit, or the base of an increment); then join or open the
        flight of what is still to fetch."""
        kept = decode_value(value)
        if kept is not None:
            if _valid(kept):
                self._use_kept(job, kept, now, period_grid_seconds(job.plan), job.incremental)
            else:
                metrics.RESULT_CACHE_INVALID.labels(metrics.datasource_label(self._datasource)).inc()
        if job.fetch is not None and job.flight_of is not None:
            self._fly(job, job.flight_of(job.fetch))

    def _flight_key(self, identity: AwsIdentity, queries: list[dict[str, Any]], label_timezone: str,
                    fetch: GetMetricDataPlan) -> bytes:
        return result_key(self._secret, identity, queries, _epochs(fetch.start, fetch.end), label_timezone)

    def _use_kept(self, job: _Job, kept: dict[str, Any], now: float, grid: int, incremental: bool) -> None:
        kept_start, kept_end = kept["window"]
        start, end = job.window
        job.kept_end = kept_end
        age = now - kept["fetched"]
        if kept_start <= start and end <= kept_end and (incremental or (kept_start, kept_end) == job.window) \
                and 0 <= age < self._settings.ttl_s:
            job.mode, job.fetch = HIT, None
            job.served = _outcome(job.plan, kept, start, end)
            return
        if not job.live or not (kept_start <= start < kept_end <= end):
            return
        if not 0 <= now - kept["full"] < self._settings.full_refresh_s:
            return  # the kept part is too old to trust for late data: fetch the whole window again
        if not _labels_unique(kept):
            return  # series are matched by Id and label (`_merge`): with a label repeated, fetch it all again
        # The overlap is whole periods of the plan's period grid (so the tail's StartTime is on it: the tail is
        # recent, AWS rounds it to the minute only) and at least the longest period, the one still filling.
        overlap = max(grid, -(-self._settings.late_data_s // grid) * grid)
        cut = max(start, kept_end - overlap)
        if cut <= start or job.fetch is None:
            return
        job.mode, job.base, job.cut = INCREMENTAL, kept, cut
        # The kept entry also keeps up to one overlap before the new window: a viewer whose clock is a little
        # behind (its window a period earlier) is still answered from it instead of fetching it all again.
        job.keep_from = max(kept_start, start - overlap)
        job.fetch = dataclasses.replace(job.fetch, start=datetime.fromtimestamp(cut, UTC))

    def _fly(self, job: _Job, key: bytes) -> None:
        job.flight_key = key
        job.flight, job.leader = self._cache._join(key)
        job.leads = job.leader

    # --- waiting for another request's call ------------------------------------------------------------------
    def _wait(self, job: _Job, run: RunPlans) -> None:
        job.fetched = self._waited(job, run)

    def _waited(self, job: _Job, run: RunPlans) -> PlanOutcome:
        assert job.flight is not None and job.fetch is not None
        scope = deadlines.current.get()
        started = time.perf_counter()
        while True:
            if scope is not None and scope.stopped:
                return PlanOutcome(plan=job.fetch, error=scope.error())
            wait = 0.25 if scope is None else max(0.01, min(0.25, scope.remaining()))
            try:
                outcome, shareable = job.flight.future.result(timeout=wait)
                break
            except FutureTimeout:
                continue
            except RuntimeError:
                shareable = False
                break
        metrics.COALESCED_WAITS.labels(metrics.datasource_label(self._datasource)).inc()
        metrics.COALESCED_WAIT_SECONDS.observe(time.perf_counter() - started)
        if not shareable:
            job.leader = True  # this request makes the call itself, and its budget counts the points there
            return run([job.fetch])[0]  # the leader's answer was its own (cancelled, over its budget)
        job.mode = COALESCED if job.mode in (MISS, BYPASS, OFF) else job.mode
        job.leader = False
        return _copy(outcome)

    # --- after the calls -------------------------------------------------------------------------------------
    def _finish(self, job: _Job, now: float, budget: PointBudget, run: RunPlans) -> PlanOutcome:
        if job.served is not None:
            return _charged(job.served, budget, job.mode)
        fetched = job.fetched
        assert fetched is not None
        charged_already = job.leader or job.flight is None
        if job.mode == INCREMENTAL:
            merged = None
            if _clean(fetched) and job.base is not None:
                fresh = _payload(fetched, job.cut, job.window[1], now, now)
                merged = _merge(job.base, fresh, (job.keep_from, job.window[1]), job.cut)
                if merged is None:
                    # Series of one Id share a label in the new part: they cannot be matched to the kept ones,
                    # so the whole window is fetched (by this request: execute counts its points).
                    whole = dataclasses.replace(job.plan, start=_moment(job.window[0]), end=_moment(job.window[1]))
                    fetched, job.leader, charged_already = run([whole])[0], True, True
            if merged is not None:
                self._keep(job, merged)
                answer = _outcome(job.plan, merged, *job.window)
                answer.pages = fetched.pages
                # The fetched part was counted by execute when this request made the call.
                kept_points = _points(answer) - (_points(fetched) if charged_already else 0)
                return _charged(answer, budget, INCREMENTAL, kept_points)
            job.mode = MISS  # the tail failed: its error is the answer
        if _clean(fetched) and self._store is not None:
            self._keep(job, _payload(fetched, *job.window, now, now))
        answer = dataclasses.replace(fetched, plan=job.plan)
        if charged_already:
            answer.cache = job.mode
            return answer
        return _charged(answer, budget, job.mode)

    def _keep(self, job: _Job, payload: dict[str, Any]) -> None:
        if self._store is None or not job.entry_key:
            return
        if job.live and job.kept_end > payload["window"][1]:
            return  # a newer live window is kept already: an older one must not replace it
        ttl = self._settings.ttl_s
        if job.live:
            # Kept as the base of later increments until its oldest part must be fetched whole again.
            ttl = max(ttl, self._settings.full_refresh_s - (time.time() - payload["full"]))
        value = encode_value(payload)
        if len(value) > self._settings.max_bytes // 4:
            return  # the in-process store's rule for every store (a shared Redis too): one answer stays small
        self._store.put(job.entry_key, value, ttl)


def _shareable(outcome: PlanOutcome, scope: deadlines.RequestScope | None) -> bool:
    """Whether an outcome is the endpoint's answer rather than the leading request's own limits: its deadline or
    cancellation, its point budget, or a pacing refusal (aws/pacing.py refuses a call whose turn comes after
    the leader's deadline; a waiter with more time left may still be served)."""
    if scope is not None and scope.stopped:
        return False
    errors = [outcome.error, *outcome.query_errors.values()]
    return not any(e is not None and (e.status == POINTS_LIMIT_STATUS or isinstance(e, PacingRefused))
                   for e in errors)


def _clean(outcome: PlanOutcome) -> bool:
    """Only complete answers are kept: no error, no Messages, every series Complete and well paired."""
    return (outcome.error is None and not outcome.query_errors and not outcome.messages
            and all(s.status_code == "Complete" and not s.messages and not s.unpaired_timestamps
                    and not s.unpaired_values for series in outcome.results.values() for s in series))


def _valid(kept: dict[str, Any]) -> bool:
    """Whether a decoded value has the payload's full shape (`_payload`): a value of the right version byte but
    another shape (a bug, another writer, a damaged shared store) is a miss, never an error."""
    try:
        window, fetched, full, series, results = (kept["window"], kept["fetched"], kept["full"], kept["series"],
                                                  kept["results"])
        pages = kept.get("pages", 1)
        return (isinstance(window, list) and len(window) == 2 and all(map(_number, (*window, fetched, full)))
                and (pages is None or _integer(pages))
                and isinstance(series, dict) and all(_integer(v) for v in series.values())
                and isinstance(results, dict) and all(map(_series_list, results.values())))
    except (KeyError, TypeError, ValueError):
        return False


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _series_list(value: object) -> bool:
    """[[label, epoch timestamps, values], ...] with as many values as timestamps."""
    return isinstance(value, list) and all(
        isinstance(s, list) and len(s) == 3 and isinstance(s[0], str) and isinstance(s[1], list)
        and isinstance(s[2], list) and len(s[1]) == len(s[2]) and all(map(_number, s[1]))
        and all(map(_number, s[2])) for s in value)


def _internal_error(plan: GetMetricDataPlan) -> PlanOutcome:
    """The answer for a plan the cache's own code failed on (logged with its traceback)."""
    return PlanOutcome(plan=plan, error=PluginError(
        "internal plugin error in the result cache; this query was not answered, the request's others were",
        status=500, source=ErrorSource.PLUGIN))


def _epochs(start: datetime, end: datetime) -> list[object]:
    return [start.timestamp(), end.timestamp()]


def _payload(outcome: PlanOutcome, start: float, end: float, fetched: float, full: float) -> dict[str, Any]:
    """An outcome as the stored value's payload: series as [label, epoch timestamps, values]."""
    return {
        "window": [start, end], "fetched": fetched, "full": full, "pages": outcome.pages,
        "series": dict(outcome.series_returned),
        "results": {query_id: [[s.label, [t.timestamp() for t in s.timestamps], list(s.values)] for s in series]
                    for query_id, series in outcome.results.items()},
    }


def _labels_unique(payload: dict[str, Any]) -> bool:
    """Whether no two series of one Id share a label (AWS may return several under one Id, e.g. from a math
    expression over several metrics with equal labels, and does not promise their order)."""
    return all(len({s[0] for s in series}) == len(series) for series in payload["results"].values())


def _merge(kept: dict[str, Any], fresh: dict[str, Any], window: tuple[float, float], cut: float
           ) -> dict[str, Any] | None:
    """Kept points in [window start, cut) followed by the fetched points from `cut`, series matched by Id and
    label (a series only one side has is kept as it is there). None when a label repeats within an Id on either
    side: the series could not be told apart, and the whole window must be fetched."""
    if not (_labels_unique(kept) and _labels_unique(fresh)):
        return None
    start, _ = window
    results: dict[str, list[list[Any]]] = {}
    for query_id in {**kept["results"], **fresh["results"]}:
        merged: dict[str, list[Any]] = {}
        for label, stamps, values in kept["results"].get(query_id, []):
            keep = [i for i, t in enumerate(stamps) if start <= t < cut]
            merged[label] = [label, [stamps[i] for i in keep], [values[i] for i in keep]]
        for label, stamps, values in fresh["results"].get(query_id, []):
            series = merged.setdefault(label, [label, [], []])
            series[1].extend(stamps)
            series[2].extend(values)
        results[query_id] = list(merged.values())
    series_count = {k: max(kept["series"].get(k, 0), fresh["series"].get(k, 0))
                    for k in {**kept["series"], **fresh["series"]}}
    return {"window": list(window), "fetched": fresh["fetched"], "full": min(kept["full"], fresh["full"]),
            "pages": fresh["pages"], "series": series_count, "results": results}


def _outcome(plan: GetMetricDataPlan, payload: dict[str, Any], start: float, end: float) -> PlanOutcome:
    """A stored payload as this request's outcome, trimmed to [start, end)."""
    outcome = PlanOutcome(plan=plan, pages=int(payload.get("pages") or 1), cache=HIT)
    outcome.series_returned = {str(k): int(v) for k, v in payload["series"].items()}
    for query_id, series in payload["results"].items():
        if query_id not in plan.by_id:
            continue
        for label, stamps, values in series:
            keep = [i for i, t in enumerate(stamps) if start <= t < end]
            outcome.results.setdefault(query_id, []).append(SeriesResult(
                id=query_id, label=label, timestamps=[_moment(stamps[i]) for i in keep],
                values=[values[i] for i in keep]))
    return outcome


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _moment(epoch: float) -> datetime:
    return _EPOCH + timedelta(seconds=epoch)


def _copy(outcome: PlanOutcome) -> PlanOutcome:
    """Another request's outcome as this one's own (series copied: frames are built per request)."""
    results = {k: [dataclasses.replace(s, timestamps=list(s.timestamps), values=list(s.values),
                                       messages=list(s.messages)) for s in v] for k, v in outcome.results.items()}
    return dataclasses.replace(outcome, results=results, messages=list(outcome.messages),
                               query_errors=dict(outcome.query_errors), series_returned=dict(outcome.series_returned),
                               seen_series=set(outcome.seen_series))


def _points(outcome: PlanOutcome) -> int:
    return sum(len(s.values) for series in outcome.results.values() for s in series)


def _charged(outcome: PlanOutcome, budget: PointBudget, mode: str, points: int | None = None) -> PlanOutcome:
    """Count an answer this request did not fetch itself against its own point budget (execute.py's rules)."""
    outcome.cache = mode
    for query_id, series in list(outcome.results.items()):
        if sum(len(s.values) for s in series) > budget.per_query:
            del outcome.results[query_id]
            outcome.query_errors[query_id] = budget.query_error()
    if not budget.take(_points(outcome) if points is None else max(0, points)):
        outcome.results.clear()
        outcome.error = budget.request_error()
    return outcome
