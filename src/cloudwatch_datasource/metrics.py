"""The plugin's own Prometheus metrics, served through Diagnostics.CollectMetrics.

Grafana exposes them at /metrics/plugins/<pluginId>. One registry for the process (not the global default one,
so tests and embedders don't see each other's series).
"""

from __future__ import annotations

import functools

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

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
REQUEST_SECONDS = Histogram(
    "cloudwatch_plugin_request_duration_seconds", "Time to answer one plugin RPC",
    ["method"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


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
