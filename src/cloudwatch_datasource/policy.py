"""The operator's switches: what grafana.ini's [aws] section allows this plugin to do.

Grafana passes them as process environment variables at start and, for plugins listed in
`[aws] forward_settings_to_plugins`, again per request in PluginContext.grafanaConfig; the request wins
(grafana/grafana-aws-sdk pkg/awsds/authSettings.go; docs/auth.md). This module is the one place that reads them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .durations import parse_duration_seconds

ALLOWED_AUTH_PROVIDERS = "AWS_AUTH_AllowedAuthProviders"
ASSUME_ROLE_ENABLED = "AWS_AUTH_AssumeRoleEnabled"
SESSION_DURATION = "AWS_AUTH_SESSION_DURATION"
EXTERNAL_ID = "AWS_AUTH_EXTERNAL_ID"
LIST_METRICS_PAGE_LIMIT = "AWS_CW_LIST_METRICS_PAGE_LIMIT"
PER_DATASOURCE_HTTP_PROXY_ENABLED = "AWS_AUTH_PerDatasourceHTTPProxyEnabled"
# The same switch as this plugin's own key ([plugin.<id>] per_datasource_http_proxy_enabled): since Grafana 12.4 a
# plugin sees no host environment, and which Grafana setting produces the AWS_AUTH_ key is not documented.
PLUGIN_PER_DATASOURCE_HTTP_PROXY_ENABLED = "GF_PLUGIN_PER_DATASOURCE_HTTP_PROXY_ENABLED"

DEFAULT_ALLOWED_AUTH_PROVIDERS = ("default", "keys", "credentials")
DEFAULT_SESSION_SECONDS = 15 * 60
DEFAULT_LIST_METRICS_PAGE_LIMIT = 500
# STS accepts 15 minutes to 12 hours; a value outside is clamped rather than sent and refused.
_MIN_SESSION_SECONDS, _MAX_SESSION_SECONDS = 900, 43200

_TRUE = {"1", "t", "true", "yes", "on"}
_FALSE = {"0", "f", "false", "no", "off"}


@dataclass(frozen=True)
class OperatorPolicy:
    allowed_auth_providers: tuple[str, ...] = DEFAULT_ALLOWED_AUTH_PROVIDERS
    assume_role_enabled: bool = True
    session_duration_seconds: int = DEFAULT_SESSION_SECONDS
    external_id: str = ""
    list_metrics_page_limit: int = DEFAULT_LIST_METRICS_PAGE_LIMIT
    per_datasource_http_proxy_enabled: bool = False

    @classmethod
    def resolve(cls, grafana_config: Mapping[str, str] | None = None,
                environ: Mapping[str, str] | None = None) -> OperatorPolicy:
        """Request config first, then the process environment, then Grafana's defaults."""
        env = os.environ if environ is None else environ
        cfg = grafana_config or {}

        def read(key: str) -> str | None:
            value = cfg.get(key)
            if value is None or value == "":
                value = env.get(key)
            return value if value not in (None, "") else None

        allowed = read(ALLOWED_AUTH_PROVIDERS)
        providers = (tuple(p.strip() for p in allowed.split(",") if p.strip())
                     if allowed is not None else DEFAULT_ALLOWED_AUTH_PROVIDERS)
        return cls(
            allowed_auth_providers=providers,
            # An unreadable value disables assume role: an operator switch fails closed.
            assume_role_enabled=_parse_bool(read(ASSUME_ROLE_ENABLED), default=True, invalid=False),
            session_duration_seconds=_parse_session(read(SESSION_DURATION)),
            external_id=read(EXTERNAL_ID) or "",
            list_metrics_page_limit=_parse_positive_int(read(LIST_METRICS_PAGE_LIMIT),
                                                        DEFAULT_LIST_METRICS_PAGE_LIMIT),
            # Off unless the operator turned it on: the datasource's proxy fields are then ignored.
            per_datasource_http_proxy_enabled=_parse_bool(
                read(PER_DATASOURCE_HTTP_PROXY_ENABLED) or read(PLUGIN_PER_DATASOURCE_HTTP_PROXY_ENABLED),
                default=False, invalid=False),
        )


def _parse_bool(value: str | None, *, default: bool, invalid: bool) -> bool:
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return invalid


def _parse_session(value: str | None) -> int:
    if value is None:
        return DEFAULT_SESSION_SECONDS
    try:
        seconds = int(parse_duration_seconds(value))
    except ValueError:
        return DEFAULT_SESSION_SECONDS
    return max(_MIN_SESSION_SECONDS, min(_MAX_SESSION_SECONDS, seconds))


def _parse_positive_int(value: str | None, default: int) -> int:
    try:
        parsed = int(value) if value is not None else default
    except ValueError:
        return default
    return parsed if parsed > 0 else default


def _parse_positive_float(value: str | None, default: float) -> float:
    try:
        parsed = float(value) if value is not None else default
    except ValueError:
        return default
    return parsed if 0 < parsed < float("inf") else default


# --- The plugin's own tuning, from `[plugin.<id>]` keys (Grafana exports them as GF_PLUGIN_<KEY>) -----------

# Grafana's own data proxy gives a request 30 s ([dataproxy] timeout); a dashboard query that needs longer than a
# minute is better failed clearly than left holding a worker and the datasource's in-flight slot.
DEFAULT_REQUEST_TIMEOUT_S = 60.0
# AWS's list price for GetMetricData, "$0.01 per 1,000 metrics requested" (https://aws.amazon.com/cloudwatch/pricing/,
# US East, checked 2026-11-30: docs/queries.md "Metrics requested and cost"); regions and the free tier differ.
DEFAULT_PRICE_PER_1000_METRICS = 0.01


def _parse_price(value: str | None) -> float:
    """A price is ≥ 0 (0 turns the estimate off, e.g. within the free tier); anything else keeps the default."""
    return _parse_non_negative_float(value, DEFAULT_PRICE_PER_1000_METRICS)


def _parse_non_negative_float(value: str | None, default: float) -> float:
    try:
        parsed = float(value) if value is not None else default
    except ValueError:
        return default
    return parsed if 0 <= parsed < float("inf") else default


# GetMetricData pacing per (AWS identity, region), aws/pacing.py: 80% of AWS's default quotas (50 calls/s; 180,000
# datapoints/s for a StartTime within 3 hours, 396,000 further back: docs.aws.amazon.com/AmazonCloudWatch/latest/
# monitoring/cloudwatch_limits.html). 0 turns a limit off.
DEFAULT_GETMETRICDATA_CALLS_PER_SECOND = 40.0
DEFAULT_GETMETRICDATA_DATAPOINTS_PER_SECOND = 144_000.0
DEFAULT_GETMETRICDATA_HISTORIC_DATAPOINTS_PER_SECOND = 316_800.0

# Picker answers (ListMetrics-backed routes) are reused for 5 minutes: a new metric shows up in a picker within
# that, while an editor session's repeated opens cost no AWS call; 500,000 items is about 50 MB at most.
DEFAULT_PICKER_CACHE_TTL_S = 300.0
DEFAULT_PICKER_CACHE_MAX_ENTRIES = 1024
DEFAULT_PICKER_CACHE_MAX_ITEMS = 500_000


def _parse_ttl(value: str | None) -> float:
    """Seconds ≥ 0 (0 turns the picker cache off); anything else keeps the default."""
    return _parse_non_negative_float(value, DEFAULT_PICKER_CACHE_TTL_S)


# About 90 bytes of Python objects per kept point (a datetime and a float in lists, cloudwatch/execute.py), plus
# the Arrow frame and its protobuf copy: 1 M points per request keeps a request's peak near 200 MB over the idle
# process (`make bench`, section 10). 1 M points is 2 years of 1-minute data for one series.
DEFAULT_MAX_POINTS_PER_QUERY = 1_000_000
DEFAULT_MAX_POINTS_PER_REQUEST = 1_000_000


# Logs Insights queries the plugin runs at once per (credentials, region), cloudwatch_logs/limits.py. AWS's quota
# counts every client of the account: 100 concurrent Logs Insights QL queries and 15 OpenSearch PPL/SQL ones
# ("CloudWatch Logs quotas" in the CloudWatch Logs user guide; the StartQuery API reference still says 30). 30 and
# 15 leave room for the console and other tools; an operator with a raised quota may set more.
DEFAULT_LOGS_MAX_CONCURRENT_QUERIES = 30
DEFAULT_LOGS_MAX_CONCURRENT_OPENSEARCH_QUERIES = 15


@dataclass(frozen=True)
class ClientTuning:
    """How AWS clients retry and time out. botocore implements the retry modes; we only choose one."""

    retry_mode: str = "standard"  # botocore "standard" or "adaptive" (client-side rate limiting)
    max_attempts: int = 3
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0
    max_concurrency: int = 8  # GetMetricData calls in flight per QueryData request
    grpc_workers: int = 96  # RPCs served at once; also sizes each AWS client's connection pool
    # RPCs one datasource may have in flight (two thirds of the workers): a big dashboard's burst fits, and a hung
    # endpoint still leaves a third of the workers to the other datasources.
    max_in_flight_per_datasource: int = 64
    # The most one RPC may take, whatever botocore's per-read timeouts and retries would allow (deadlines.py);
    # a shorter gRPC deadline from the host wins.
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S
    # Datapoints kept for one refId, and for one QueryData request; beyond them the refIds concerned fail with a
    # clear error instead of the plugin holding gigabytes (cloudwatch/execute.py, PointBudget).
    max_points_per_query: int = DEFAULT_MAX_POINTS_PER_QUERY
    max_points_per_request: int = DEFAULT_MAX_POINTS_PER_REQUEST
    # US dollars per 1,000 GetMetricData metrics requested, for the cost estimate in CloudWatch metrics and frame
    # meta (docs/queries.md, "Metrics requested and cost": AWS's list price and its date).
    price_per_1000_metrics: float = DEFAULT_PRICE_PER_1000_METRICS
    # GetMetricData pacing (aws/pacing.py); a datasource's jsonData may set its own.
    getmetricdata_calls_per_second: float = DEFAULT_GETMETRICDATA_CALLS_PER_SECOND
    getmetricdata_datapoints_per_second: float = DEFAULT_GETMETRICDATA_DATAPOINTS_PER_SECOND
    getmetricdata_historic_datapoints_per_second: float = DEFAULT_GETMETRICDATA_HISTORIC_DATAPOINTS_PER_SECOND
    # The editor's picker cache (cloudwatch/picker_cache.py): how long a ListMetrics-backed answer is reused
    # (0 turns the cache off), and how many answers and answer items it keeps at most.
    picker_cache_ttl_s: float = DEFAULT_PICKER_CACHE_TTL_S
    picker_cache_max_entries: int = DEFAULT_PICKER_CACHE_MAX_ENTRIES
    picker_cache_max_items: int = DEFAULT_PICKER_CACHE_MAX_ITEMS
    # Concurrent Logs Insights queries per (credentials, region): QL, and OpenSearch PPL/SQL.
    logs_max_concurrent_queries: int = DEFAULT_LOGS_MAX_CONCURRENT_QUERIES
    logs_max_concurrent_opensearch_queries: int = DEFAULT_LOGS_MAX_CONCURRENT_OPENSEARCH_QUERIES

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ClientTuning:
        env = os.environ if environ is None else environ
        mode = env.get("GF_PLUGIN_AWS_RETRY_MODE", "standard").strip().lower()
        workers = _parse_positive_int(env.get("GF_PLUGIN_GRPC_WORKERS"), 96)
        return cls(
            retry_mode=mode if mode in ("standard", "adaptive", "legacy") else "standard",
            max_attempts=_parse_positive_int(env.get("GF_PLUGIN_AWS_MAX_ATTEMPTS"), 3),
            connect_timeout_s=float(_parse_positive_int(env.get("GF_PLUGIN_AWS_CONNECT_TIMEOUT"), 5)),
            read_timeout_s=float(_parse_positive_int(env.get("GF_PLUGIN_AWS_READ_TIMEOUT"), 30)),
            max_concurrency=_parse_positive_int(env.get("GF_PLUGIN_MAX_CONCURRENCY"), 8),
            grpc_workers=workers,
            max_in_flight_per_datasource=_parse_positive_int(env.get("GF_PLUGIN_MAX_IN_FLIGHT_PER_DATASOURCE"),
                                                             max(1, workers * 2 // 3)),
            request_timeout_s=_parse_positive_float(env.get("GF_PLUGIN_REQUEST_TIMEOUT"),
                                                    DEFAULT_REQUEST_TIMEOUT_S),
            max_points_per_query=_parse_positive_int(env.get("GF_PLUGIN_MAX_POINTS_PER_QUERY"),
                                                     DEFAULT_MAX_POINTS_PER_QUERY),
            max_points_per_request=_parse_positive_int(env.get("GF_PLUGIN_MAX_POINTS_PER_REQUEST"),
                                                       DEFAULT_MAX_POINTS_PER_REQUEST),
            price_per_1000_metrics=_parse_price(env.get("GF_PLUGIN_PRICE_PER_1000_METRICS")),
            getmetricdata_calls_per_second=_parse_non_negative_float(
                env.get("GF_PLUGIN_GETMETRICDATA_CALLS_PER_SECOND"), DEFAULT_GETMETRICDATA_CALLS_PER_SECOND),
            getmetricdata_datapoints_per_second=_parse_non_negative_float(
                env.get("GF_PLUGIN_GETMETRICDATA_DATAPOINTS_PER_SECOND"), DEFAULT_GETMETRICDATA_DATAPOINTS_PER_SECOND),
            getmetricdata_historic_datapoints_per_second=_parse_non_negative_float(
                env.get("GF_PLUGIN_GETMETRICDATA_HISTORIC_DATAPOINTS_PER_SECOND"),
                DEFAULT_GETMETRICDATA_HISTORIC_DATAPOINTS_PER_SECOND),
            picker_cache_ttl_s=_parse_ttl(env.get("GF_PLUGIN_PICKER_CACHE_TTL")),
            picker_cache_max_entries=_parse_positive_int(env.get("GF_PLUGIN_PICKER_CACHE_MAX_ENTRIES"),
                                                         DEFAULT_PICKER_CACHE_MAX_ENTRIES),
            picker_cache_max_items=_parse_positive_int(env.get("GF_PLUGIN_PICKER_CACHE_MAX_ITEMS"),
                                                       DEFAULT_PICKER_CACHE_MAX_ITEMS),
            logs_max_concurrent_queries=_parse_positive_int(env.get("GF_PLUGIN_LOGS_MAX_CONCURRENT_QUERIES"),
                                                            DEFAULT_LOGS_MAX_CONCURRENT_QUERIES),
            logs_max_concurrent_opensearch_queries=_parse_positive_int(
                env.get("GF_PLUGIN_LOGS_MAX_CONCURRENT_OPENSEARCH_QUERIES"),
                DEFAULT_LOGS_MAX_CONCURRENT_OPENSEARCH_QUERIES),
        )
