"""The plugin's own Prometheus metrics, served through Diagnostics.CollectMetrics.

Grafana exposes them at /metrics/plugins/<pluginId>. One registry for the process (not the global default one,
so tests and embedders don't see each other's series).

Label cardinality is bounded: regions by `region_label`, datasources by `forget_datasource`, which aws/sessions.py
calls when the client cache evicts a datasource's last entry, and by a cap on the datasources with series
(`MAX_DATASOURCES`, least recently used dropped first) for those that never reach the cache (unusable settings).
A dropped series that comes back starts again at 0, which Prometheus' rate() reads as a counter reset.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

QUERIES = Counter(
    "cloudwatch_plugin_queries", "Queries answered, by datasource and outcome",
    ["datasource", "outcome"], registry=REGISTRY,
)
AWS_CALLS = Counter(
    "cloudwatch_plugin_aws_calls", "AWS API calls made, by datasource, region and operation",
    ["datasource", "region", "operation"], registry=REGISTRY,
)
AWS_ERRORS = Counter(
    "cloudwatch_plugin_aws_errors", "AWS API calls that failed, by operation and AWS error code",
    ["datasource", "region", "operation", "code"], registry=REGISTRY,
)
AWS_THROTTLES = Counter(
    "cloudwatch_plugin_aws_throttles", "AWS API calls that ended throttled after botocore's retries",
    ["datasource", "region", "operation"], registry=REGISTRY,
)
AWS_CALL_SECONDS = Histogram(
    "cloudwatch_plugin_aws_call_duration_seconds",
    "Time of one AWS API call (one attempt chain through botocore's retries), by region and operation",
    ["region", "operation"], registry=REGISTRY,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
# What GetMetricData bills (docs/queries.md, "Metrics requested and cost"): metrics requested, and their cost at
# the operator's price per 1,000 ([plugin.<id>] price_per_1000_metrics, policy.py).
METRICS_REQUESTED = Counter(
    "cloudwatch_plugin_getmetricdata_metrics_requested",
    "Metrics requested through GetMetricData (AWS's billing unit), by datasource and region",
    ["datasource", "region"], registry=REGISTRY,
)
ESTIMATED_COST = Counter(
    "cloudwatch_plugin_getmetricdata_estimated_cost_usd",
    "Estimated GetMetricData cost in US dollars at the configured price per 1,000 metrics requested",
    ["datasource", "region"], registry=REGISTRY,
)
# GetMetricData calls queued below AWS's quotas (aws/pacing.py): every paced call's wait (0 included, so the count
# is the paced calls), and the calls not sent because their turn came after the request's deadline.
PACING_WAIT_SECONDS = Histogram(
    "cloudwatch_plugin_pacing_wait_seconds",
    "Time an AWS call waited for its turn under the plugin's pacing, by region and operation",
    ["region", "operation"], registry=REGISTRY,
    buckets=(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
PACING_REFUSED = Counter(
    "cloudwatch_plugin_pacing_refused",
    "AWS calls not sent because their turn under the plugin's pacing came after the request's deadline",
    ["datasource", "region", "operation"], registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "cloudwatch_plugin_request_duration_seconds", "Time to answer one plugin RPC",
    ["method"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
# The result cache and coalescing (cloudwatch/result_cache.py, docs/queries.md "Result cache and incremental
# refresh"): `outcome` is one of hit, miss, incremental, coalesced, bypass (alert evaluations), off.
RESULT_CACHE_LOOKUPS = Counter(
    "cloudwatch_plugin_result_cache_lookups",
    "GetMetricData call chains a query needed, by datasource and how they were answered", ["datasource", "outcome"],
    registry=REGISTRY,
)
RESULT_CACHE_BYTES = Gauge(
    "cloudwatch_plugin_result_cache_bytes", "Bytes held by the in-process result caches (keys and values)",
    registry=REGISTRY,
)
RESULT_CACHE_INVALID = Counter(
    "cloudwatch_plugin_result_cache_invalid_values",
    "Stored values of the current version that did not have the cache's shape (treated as misses)",
    ["datasource"], registry=REGISTRY,
)
COALESCED_WAITS = Counter(
    "cloudwatch_plugin_coalesced_waits", "Call chains a request waited for instead of calling AWS itself",
    ["datasource"], registry=REGISTRY,
)
COALESCED_WAIT_SECONDS = Histogram(
    "cloudwatch_plugin_coalesced_wait_seconds", "Time a request waited for another request's identical call",
    registry=REGISTRY, buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


# Twice the client cache's default size (aws/sessions.py, AwsSessions max_entries=256).
MAX_DATASOURCES = 512
_BY_DATASOURCE = (QUERIES, AWS_CALLS, AWS_ERRORS, AWS_THROTTLES, METRICS_REQUESTED, ESTIMATED_COST,
                  RESULT_CACHE_LOOKUPS, RESULT_CACHE_INVALID, COALESCED_WAITS, PACING_REFUSED)
_seen: OrderedDict[str, None] = OrderedDict()
_seen_lock = threading.Lock()


def datasource_label(uid: str) -> str:
    """`uid` as a metric label, noted as recently used; the least recently used datasource's series go when more
    than MAX_DATASOURCES have series."""
    with _seen_lock:
        _seen[uid] = None
        _seen.move_to_end(uid)
        oldest = _seen.popitem(last=False)[0] if len(_seen) > MAX_DATASOURCES else None
    if oldest is not None:
        _remove(oldest)
    return uid


def forget_datasource(uid: str) -> None:
    """Drop every series of this datasource (it left the client cache)."""
    with _seen_lock:
        _seen.pop(uid, None)
    _remove(uid)


def _remove(uid: str) -> None:
    for metric in _BY_DATASOURCE:
        metric.remove_by_labels({"datasource": uid})


# AWS error codes come from the endpoint's answer (any text a proxy or a broken endpoint sends): the first
# MAX_CODES distinct ones are labels, later ones "other".
MAX_CODES = 64
_codes: set[str] = set()


def code_label(code: str) -> str:
    with _seen_lock:
        if code in _codes:
            return code
        if len(_codes) < MAX_CODES and len(code) <= 64 and code.replace(".", "").replace("_", "").isalnum():
            _codes.add(code)
            return code
    return "other"


def exposition() -> bytes:
    """All metrics in Prometheus text format."""
    return bytes(generate_latest(REGISTRY))


def region_label(region: str) -> str:
    """The region as a metric label: a region AWS knows, else "other". Regions come from query JSON, and any
    string botocore accepts would otherwise become a new, never-freed series."""
    return region if region in _known_regions() else "other"


@functools.cache
def _known_regions() -> frozenset[str]:
    # botocore's endpoint data lists every partition's regions (aws, aws-cn, aws-us-gov, iso...), opt-in included.
    import botocore.loaders

    endpoints = botocore.loaders.create_loader().load_data("endpoints")
    return frozenset(r for partition in endpoints.get("partitions", []) for r in partition.get("regions", {}))
