"""Pacing GetMetricData below AWS's quotas: queue a call instead of sending it to be throttled.

AWS's quotas for GetMetricData, per account and region (CloudWatch service quotas,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html, "GetMetricData"; also
https://repost.aws/knowledge-center/cloudwatch-getmetricdata-api):
- 50 transactions (calls) per second;
- 180,000 datapoints per second when the request's StartTime is at most three hours before now, 396,000 when it
  is further back.
Both can be raised through Service Quotas. Over them AWS answers `Throttling: Rate exceeded`, which botocore retries
a few times and then the panel fails: the complaint of grafana/grafana#20348 and #27260 on big dashboards.

So every GetMetricData call (each page of a NextToken chain is one) first reserves its share of two token buckets
of the (AWS identity, region) it goes to: one call in the calls bucket, and its estimated datapoints in the
datapoints bucket of its StartTime's class (recent / historic). A reservation is never refused for lack of tokens:
it may take tokens the bucket does not have yet (the balance goes negative) and is told how long to wait for them,
the way golang.org/x/time/rate's `Reserve` works. Calls thus leave in the order they asked, each waiting its turn;
nothing spins or polls. A call whose request ends (deadline, cancellation) while it waits is not sent and gives
its tokens back. A wait that would end after the request's deadline (deadlines.py) is not waited: the call
fails at once with `PacingRefused` (429) naming the limits, and that plan's refIds get the error, the others of the
request are still answered.

The datapoints of a call are estimated before it is sent, from the request: each MetricDataQuery counts one series
of (EndTime - StartTime) / Period points (a SEARCH or Metrics Insights query may return many series: counted as one),
at most the 100,800 points one answer holds. When the answer has more (a SEARCH with many series), the difference is
charged afterwards, so the next calls wait for it.

The defaults are 80% of AWS's default quotas (`DEFAULT_LIMITS`): other tools share the account's quota.
Operators change them for every datasource ([plugin.<id>] settings, policy.ClientTuning), a datasource for itself
(jsonData, settings.py); 0 turns a limit off. A bucket holds one second's worth (the burst).

The identity is what AWS counts against: the account of an assumed role's ARN, else the credentials' source (the
access key id for keys, the profile for the default chain and credentials files), with the endpoint; hashed, never
shown. Two IAM users of one account are two identities here but one quota at AWS: lower the limits when several
identities of one account are used at once. Pacing is per plugin process: N Grafana servers (HA) each pace
themselves; it is not coordinated through the shared Redis cache.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import deadlines, metrics
from ..errors import ErrorSource, PluginError

# AWS's default quotas (module docstring).
AWS_CALLS_PER_SECOND = 50
AWS_DATAPOINTS_PER_SECOND_RECENT = 180_000
AWS_DATAPOINTS_PER_SECOND_HISTORIC = 396_000
RECENT_START_S = 3 * 3600  # a StartTime at most this far back is "recent"
# One GetMetricData answer holds at most this many datapoints (its MaxDatapoints default).
MAX_DATAPOINTS_PER_CALL = 100_800
DEFAULT_PERIOD_S = 60
DEFAULT_FRACTION = 0.8
PACING_STATUS = 429


@dataclass(frozen=True)
class PacingLimits:
    """Per (identity, region); 0 means no limit of that kind."""

    calls_per_second: float = AWS_CALLS_PER_SECOND * DEFAULT_FRACTION
    datapoints_per_second_recent: float = AWS_DATAPOINTS_PER_SECOND_RECENT * DEFAULT_FRACTION
    datapoints_per_second_historic: float = AWS_DATAPOINTS_PER_SECOND_HISTORIC * DEFAULT_FRACTION

    def describe(self) -> str:
        def shown(rate: float, unit: str) -> str:
            return f"{rate:,.0f} {unit}/s" if rate > 0 else f"no {unit} limit"
        return (f"{shown(self.calls_per_second, 'calls')}, {shown(self.datapoints_per_second_recent, 'datapoints')} "
                f"for the last 3 hours, {shown(self.datapoints_per_second_historic, 'datapoints')} further back")


DEFAULT_LIMITS = PacingLimits()


class PacingRefused(PluginError):
    """The call's turn would come after the request's deadline: it is not sent."""

    def __init__(self, operation: str, wait_s: float, remaining_s: float, limits: PacingLimits) -> None:
        super().__init__(
            f"{operation} was not sent: the plugin paces calls to AWS below its quotas per account and region "
            f"({limits.describe()}), and this call's turn would come in {wait_s:.1f} s, after the request's "
            f"deadline ({max(0.0, remaining_s):.1f} s left). Too many queries are waiting for this account and "
            "region: try again, use fewer panels or queries, longer periods or shorter time ranges, or raise the "
            "datasource's pacing limits if your AWS quotas are higher",
            status=PACING_STATUS, source=ErrorSource.DOWNSTREAM)


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved; the balance may go negative (reservations ahead)."""

    def __init__(self, rate: float, now: float) -> None:
        self.rate = rate
        self.burst = rate  # one second's worth
        self.tokens = rate
        self.at = now

    def retune(self, rate: float) -> None:
        if rate != self.rate:
            self.rate, self.burst = rate, rate
            self.tokens = min(self.tokens, self.burst)

    def _refill(self, now: float) -> None:
        if now > self.at:
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now

    def wait_for(self, amount: float, now: float) -> float:
        """Seconds from `now` until `amount` tokens are there (0 when they are; always 0 without a limit)."""
        if self.rate <= 0 or amount <= 0:
            return 0.0
        self._refill(now)
        return max(0.0, (amount - self.tokens) / self.rate)

    def take(self, amount: float, now: float) -> None:
        if self.rate > 0 and amount > 0:
            self._refill(now)
            self.tokens -= amount

    def give_back(self, amount: float, now: float) -> None:
        """Return tokens taken for a call that was never sent (at most up to the burst)."""
        if self.rate > 0 and amount > 0:
            self._refill(now)
            self.tokens = min(self.burst, self.tokens + amount)


@dataclass
class _Buckets:
    calls: TokenBucket
    recent: TokenBucket
    historic: TokenBucket

    def datapoints(self, recent: bool) -> TokenBucket:
        return self.recent if recent else self.historic


class Pacer:
    """The buckets of every (identity, region) this process calls, least recently used dropped beyond
    `max_keys`. Thread-safe. `clock` is monotonic seconds (injected by the tests: nothing here sleeps)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 1024) -> None:
        self._clock = clock
        self._max_keys = max(1, max_keys)
        self._lock = threading.Lock()
        self._buckets: OrderedDict[tuple[str, str], _Buckets] = OrderedDict()

    def _for(self, key: tuple[str, str], limits: PacingLimits, now: float) -> _Buckets:
        found = self._buckets.get(key)
        if found is None:
            found = self._buckets[key] = _Buckets(TokenBucket(limits.calls_per_second, now),
                                                  TokenBucket(limits.datapoints_per_second_recent, now),
                                                  TokenBucket(limits.datapoints_per_second_historic, now))
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            # Datasources sharing an identity share its buckets; the limits of the latest call apply.
            found.calls.retune(limits.calls_per_second)
            found.recent.retune(limits.datapoints_per_second_recent)
            found.historic.retune(limits.datapoints_per_second_historic)
        self._buckets.move_to_end(key)
        return found

    def reserve(self, key: tuple[str, str], limits: PacingLimits, datapoints: int, *, recent: bool,
                remaining_s: float | None = None, operation: str = "GetMetricData") -> float:
        """Reserve one call and `datapoints`; return the seconds to wait before sending. Raises PacingRefused
        (reserving nothing) when that wait would reach past `remaining_s`, the request's time left."""
        with self._lock:
            now = self._clock()
            buckets = self._for(key, limits, now)
            points = buckets.datapoints(recent)
            wait = max(buckets.calls.wait_for(1, now), points.wait_for(datapoints, now))
            if remaining_s is not None and wait > 0 and wait >= remaining_s:
                raise PacingRefused(operation, wait, remaining_s, limits)
            buckets.calls.take(1, now)
            points.take(datapoints, now)
            return wait

    def give_back(self, key: tuple[str, str], datapoints: int, *, recent: bool) -> None:
        """Undo a reservation whose call was not sent (its request ended while it waited for its turn): the calls
        queued behind it, and later ones, are not held back for a call that never went to AWS."""
        with self._lock:
            buckets = self._buckets.get(key)
            if buckets is not None:
                now = self._clock()
                buckets.calls.give_back(1, now)
                buckets.datapoints(recent).give_back(datapoints, now)

    def charge(self, key: tuple[str, str], datapoints: int, *, recent: bool) -> None:
        """Take `datapoints` more (an answer larger than its estimate): later calls wait for them."""
        with self._lock:
            buckets = self._buckets.get(key)
            if buckets is not None:
                buckets.datapoints(recent).take(datapoints, self._clock())


# --- the estimate ---------------------------------------------------------------------------------------------

def _seconds(value: Any) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def estimate_datapoints(params: Mapping[str, Any]) -> int:
    """GetMetricData's datapoints before the call (module docstring): one series per MetricDataQuery."""
    start, end = _seconds(params.get("StartTime")), _seconds(params.get("EndTime"))
    if start is None or end is None or end <= start:
        return 1
    total = 0
    queries = params.get("MetricDataQueries")
    for query in queries if isinstance(queries, Sequence) else ():
        if not isinstance(query, Mapping):
            continue
        stat = query.get("MetricStat")
        period = stat.get("Period") if isinstance(stat, Mapping) else query.get("Period")
        if not isinstance(period, int) or isinstance(period, bool) or period <= 0:
            period = DEFAULT_PERIOD_S
        total += math.ceil((end - start) / period)
    cap = params.get("MaxDatapoints")
    cap = cap if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0 else MAX_DATAPOINTS_PER_CALL
    return max(1, min(total, cap))


def is_recent(params: Mapping[str, Any], now_wall: float | None = None) -> bool:
    """Whether the request's StartTime is at most three hours back (the 180,000 datapoints/s quota)."""
    start = _seconds(params.get("StartTime"))
    now = time.time() if now_wall is None else now_wall
    return start is None or now - start <= RECENT_START_S


def datapoints_returned(parsed: Mapping[str, Any] | None) -> int:
    results = (parsed or {}).get("MetricDataResults")
    if not isinstance(results, list):
        return 0
    return sum(len(r["Values"]) for r in results if isinstance(r, dict) and isinstance(r.get("Values"), list))


# --- the identity ---------------------------------------------------------------------------------------------

def pacing_identity(*, auth_type: str, access_key: str, profile: str, assume_role_arn: str, endpoint: str) -> str:
    """Who AWS counts the calls of (module docstring), as a short hash: the account of an assumed role, else the
    credentials' source."""
    arn_parts = assume_role_arn.split(":")
    if assume_role_arn and len(arn_parts) >= 5 and arn_parts[4].isdigit():
        who = ["account", arn_parts[1], arn_parts[4]]  # partition, account id
    elif assume_role_arn:
        who = ["role", assume_role_arn]
    else:
        who = ["source", auth_type, access_key, profile]
    material = "\x00".join([*who, endpoint])
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:24]


# One pacer for the process: the quotas are the account's, whichever datasource or request calls.
PACER = Pacer()

_PACED = "cloudwatch_plugin_paced"


class PacedOperation:
    """The botocore hooks of one AwsSession for one paced operation (sessions.py registers them):
    `before_parameter_build` reserves and waits, `after_call` charges what the answer had beyond its estimate.
    botocore emits both once per API call, in the calling thread (botocore/client.py `_make_api_call`), so the
    wait holds only the call that waits."""

    def __init__(self, operation: str, identity: str, region: str, limits: PacingLimits, datasource: str,
                 pacer: Pacer = PACER) -> None:
        self.operation = operation
        self.key = (identity, region)
        self.limits = limits
        self.datasource = datasource
        self.pacer = pacer

    def before_parameter_build(self, params: Mapping[str, Any] | None = None,
                               context: dict[str, Any] | None = None, **_: Any) -> None:
        params = params or {}
        estimate = estimate_datapoints(params)
        recent = is_recent(params)
        scope = deadlines.current.get()
        region = metrics.region_label(self.key[1])
        try:
            wait = self.pacer.reserve(self.key, self.limits, estimate, recent=recent,
                                      remaining_s=scope.remaining() if scope is not None else None,
                                      operation=self.operation)
        except PacingRefused:
            metrics.PACING_REFUSED.labels(metrics.datasource_label(self.datasource), region, self.operation).inc()
            raise
        metrics.PACING_WAIT_SECONDS.labels(region, self.operation).observe(wait)
        if context is not None:
            context[_PACED] = (estimate, recent)
        if wait > 0:
            # The scope's own event: a request that ends (deadline, cancellation) stops waiting at once.
            if scope is not None:
                if scope.wait(wait):
                    # Not sent: its tokens go back (else a cancelled storm of requests holds the bucket for
                    # calls AWS never saw, and the next request's turn is pushed past its deadline).
                    self.pacer.give_back(self.key, estimate, recent=recent)
                    if context is not None:
                        context.pop(_PACED, None)
                    raise scope.error()
            else:
                time.sleep(wait)

    def after_call(self, parsed: Mapping[str, Any] | None = None, context: dict[str, Any] | None = None,
                   **_: Any) -> None:
        paced = context.pop(_PACED, None) if context is not None else None
        if paced is None:
            return
        estimate, recent = paced
        extra = datapoints_returned(parsed) - estimate
        if extra > 0:
            self.pacer.charge(self.key, extra, recent=recent)
