"""Stage 1: one Grafana DataQuery (JSON bytes + time range) → a validated, typed, frozen MetricQuery.

Field names and defaults are Grafana's CloudWatch ones (grafana/grafana
pkg/tsdb/cloudwatch/models/cloudwatch_query.go, ParseMetricDataQueries; docs/queries.md) so dashboards and alert rules
move over unchanged. Where Grafana fails the whole request on one bad query, this raises a QueryError naming the
field, and the pipeline fails only that refId. Deliberate differences (all in docs/queries.md): a JSON number is
accepted as `period`; an empty `id` becomes a deterministic id instead of a random uuid; the query's own required
fields are checked here, before AWS would reject the whole call.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any, TypeVar

from ..backend import DataQuery
from ..durations import parse_duration_seconds
from ..errors import QueryError
from ..jsontext import lone_surrogate_path
from ..settings import MISSING_REGION, region_or_default

# AWS's rule for MetricDataQuery.Id; math expressions refer to other queries by these ids.
ID_PATTERN = re.compile(r"^[a-z][a-zA-Z0-9_]*$")
PERIOD_AUTO_MACRO = "$__period_auto"
# Periods GetMetricData accepts: 1, 5, 10, 20, 30 (high-resolution metrics) or any multiple of 60 (MetricStat,
# Period, in the CloudWatch API reference:
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricStat.html).
HIGH_RESOLUTION_PERIODS = frozenset({1, 5, 10, 20, 30})
# The longest CloudWatch keeps any data point (hour-period data: 455 days, GetMetricData's retention list); a
# longer period can hold nothing more, and the API's Period is a 32-bit integer besides. A multiple of 3600.
MAX_PERIOD_SECONDS = 455 * 86400
# (start older than, the period must be a multiple of, data finer than that is kept for): MetricStat, Period.
_PERIOD_MULTIPLES_BY_AGE = (
    (timedelta(days=63), 3600, "63 days"),
    (timedelta(days=15), 300, "15 days"),
    (timedelta(hours=3), 60, "3 hours"),
)

_METRICS_TYPES = {"timeSeriesQuery", ""}
_MIN_TIME = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_TIME = datetime(9000, 1, 1, tzinfo=UTC)
_ALIAS_TERM = re.compile(r"\{\{\s*(.+?)\s*\}\}")
_ALIAS_PROPS = {
    "metric": "${PROP('MetricName')}",
    "namespace": "${PROP('Namespace')}",
    "period": "${PROP('Period')}",
    "region": "${PROP('Region')}",
    "stat": "${PROP('Stat')}",
    "label": "${LABEL}",
}


# Grafana's test for a dynamic label (pkg/cloudwatch/response_parser.go in grafana/grafana-cloudwatch-datasource,
# `dynamicLabel`): `${` and `}` with at least one character between them, anywhere in the label.
_DYNAMIC_LABEL = re.compile(r"\$\{.+\}")

_E = TypeVar("_E", bound=IntEnum)


class MetricQueryType(IntEnum):
    SEARCH = 0  # metric stat, SEARCH or math expression
    INSIGHTS = 1  # Metrics Insights SQL


class MetricEditorMode(IntEnum):
    BUILDER = 0
    CODE = 1


@dataclass(frozen=True)
class MetricQuery:
    """Everything later stages need from one query. Dimensions are sorted (key, values) pairs: hashable, and
    sorted because the SEARCH text and the `|&|` label order depend on sorted keys (Grafana's
    metric_data_query_builder.go and response_parser.go)."""

    ref_id: str
    region: str
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, as Grafana sent it (plan rounds it up to the minute)
    id: str
    namespace: str = ""
    metric_name: str = ""
    dimensions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    match_exact: bool = True
    statistic: str = "Average"
    period: int = 60
    period_is_auto: bool = True
    label: str = ""
    expression: str = ""
    sql_expression: str = ""
    query_type: MetricQueryType = MetricQueryType.SEARCH
    editor_mode: MetricEditorMode = MetricEditorMode.BUILDER
    account_id: str = ""
    return_data: bool = True
    timezone_utc_offset: str = ""
    notices: tuple[str, ...] = ()  # warnings for the refId's frames (a period rounded up)

    @property
    def dimension_map(self) -> dict[str, tuple[str, ...]]:
        return dict(self.dimensions)

    @property
    def is_math_or_code(self) -> bool:
        return self.query_type is MetricQueryType.SEARCH and self.editor_mode is MetricEditorMode.CODE

    @property
    def is_inferred_search(self) -> bool:
        """Builder queries that need SEARCH rather than one MetricStat (Grafana's IsInferredSearchExpression)."""
        if self.query_type is not MetricQueryType.SEARCH or self.editor_mode is not MetricEditorMode.BUILDER:
            return False
        if self.account_id == "all" or not self.match_exact:
            return True
        return any(len(values) > 1 or "*" in values for _, values in self.dimensions)


def parse_query(q: DataQuery, *, default_region: str, now: datetime | None = None) -> MetricQuery:
    """Parse and validate one query. Raises QueryError whose message names the offending field."""
    model = _load(q.json)
    _check_query_kind(model)

    try:
        start = datetime.fromtimestamp(q.time_range.from_ms / 1000, tz=UTC)
        end = datetime.fromtimestamp(q.time_range.to_ms / 1000, tz=UTC)
    except (OverflowError, ValueError, OSError):
        start = end = datetime.max.replace(tzinfo=UTC)
    # Far-off years are refused here, not by an overflow in a later stage (plan rounds the end up).
    if not (_MIN_TIME <= start <= _MAX_TIME and _MIN_TIME <= end <= _MAX_TIME):
        raise QueryError("invalid time range: from and to must be epoch milliseconds between the years "
                         f"{_MIN_TIME.year} and {_MAX_TIME.year}")
    if start >= end:
        raise QueryError("invalid time range: start time must be before end time")

    region = region_or_default(_str(model, "region"), default_region)
    if not region:
        raise QueryError(f"region: {MISSING_REGION}, or choose a region in the query")

    query_type = _enum_int(model, "metricQueryType", MetricQueryType, MetricQueryType.SEARCH)
    expression = _str(model, "expression")
    default_mode = MetricEditorMode.CODE if expression.strip() else MetricEditorMode.BUILDER
    editor_mode = _enum_int(model, "metricEditorMode", MetricEditorMode, default_mode)

    auto_seconds = auto_period(start, end, now=now)
    period, period_is_auto = _period(model.get("period"), auto_seconds)
    notices: tuple[str, ...] = ()
    if not period_is_auto:
        period, notices = _period_for_range_start(period, start, now=now)
    expression = expression.replace(PERIOD_AUTO_MACRO, str(auto_seconds))

    query = MetricQuery(
        ref_id=q.ref_id,
        region=region,
        start=start,
        end=end,
        id=_query_id(model, q.ref_id),
        namespace=_str(model, "namespace"),
        metric_name=_str(model, "metricName"),
        dimensions=_dimensions(model.get("dimensions")),
        match_exact=_bool(model, "matchExact", True),
        statistic=_statistic(model, required=query_type is MetricQueryType.SEARCH
                             and editor_mode is MetricEditorMode.BUILDER),
        period=period,
        period_is_auto=period_is_auto,
        label=_label(model),
        expression=expression,
        sql_expression=_str(model, "sqlExpression"),
        query_type=query_type,
        editor_mode=editor_mode,
        account_id=_str(model, "accountId").strip(),
        # Alerting and public dashboards send an empty `type` and always need data back, hidden or not
        # (Grafana's validateAndSetDefaults).
        return_data=not _bool(model, "hide", False) or _str(model, "type") == "",
        timezone_utc_offset=_str(model, "timezoneUTCOffset").strip(),
        notices=notices,
    )
    _check_required(query)
    return query


def auto_period(start: datetime, end: datetime, *, now: datetime | None = None) -> int:
    """Grafana's calculatePeriodBasedOnTimeRange (models/cloudwatch_query.go): ~2000 points per series, snapped to the
    periods CloudWatch still keeps for data as old as `start` (retention shrinks resolution after 15/63/455 days)."""
    now = now or datetime.now(UTC)
    datapoints = math.ceil((end - start).total_seconds() / 2000)
    age = now - start
    if age > timedelta(days=455):
        candidates: tuple[int, ...] = (21600, 86400)
    elif age > timedelta(days=63):
        candidates = (3600, 21600, 86400)
    elif age > timedelta(days=15):
        candidates = (300, 900, 3600, 21600, 86400)
    else:
        candidates = (60, 300, 900, 3600, 21600, 86400)
    for candidate in candidates:
        if candidate >= datapoints:
            return candidate
    return candidates[-1]


def migrate_alias(alias: str) -> str:
    """The deprecated `alias` template → a CloudWatch dynamic label (Grafana's getLabel, aliasPatterns)."""
    def replace(match: re.Match[str]) -> str:
        term = match.group(1)
        return _ALIAS_PROPS.get(term, f"${{PROP('Dim.{term}')}}")

    return _ALIAS_TERM.sub(replace, alias)


def derive_id(ref_id: str) -> str:
    """A valid, deterministic GetMetricData Id for a query that has none. Grafana uses `query<refId>` only
    when refId itself matches the Id pattern and a random uuid otherwise (so `A` got a new id on every
    request); here `query<refId>` is used whenever *that* is valid, else a short hash keeps ids unique and
    stable."""
    candidate = f"query{ref_id}"
    if ID_PATTERN.match(candidate):
        return candidate
    digest = hashlib.sha256(ref_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"query_{digest}"


# --- field readers: each error names the JSON field ---------------------------------------------------------

def _load(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        model = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # RecursionError: nesting too deep
        detail = (f"{exc.msg} at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError)
                  else "nested too deeply" if isinstance(exc, RecursionError) else "not UTF-8")
        raise QueryError(f"query JSON is invalid: {detail}") from None
    if not isinstance(model, dict):
        raise QueryError(f"query JSON must be an object, got {type(model).__name__}")
    # Only a \u escape can make a lone surrogate (jsontext.py); the walk runs only when the JSON has one.
    where = lone_surrogate_path(model) if b"\\u" in raw else None
    if where is not None:
        raise QueryError(f"{where or 'query JSON'}: holds a lone UTF-16 surrogate escape (\\uD800-\\uDFFF "
                         "without its pair), which is not text")
    return model


def _check_query_kind(model: Mapping[str, Any]) -> None:
    kind = _str(model, "type")
    mode = _str(model, "queryMode")
    if kind not in _METRICS_TYPES:
        raise QueryError(f"type: query type {kind!r} is not supported by this plugin (only CloudWatch "
                         "metrics queries are)")
    if mode and mode != "Metrics":
        raise QueryError(f"queryMode: {mode!r} queries are not supported by this plugin (only Metrics)")


def _str(model: Mapping[str, Any], key: str) -> str:
    value = model.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise QueryError(f"{key}: must be a string, got {type(value).__name__}")
    return value


def _bool(model: Mapping[str, Any], key: str, default: bool) -> bool:
    value = model.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise QueryError(f"{key}: must be true or false, got {type(value).__name__}")
    return value


def _enum_int(model: Mapping[str, Any], key: str, enum: type[_E], default: _E) -> _E:
    value = model.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise QueryError(f"{key}: must be one of {[m.value for m in enum]}, got {value!r}")
    try:
        return enum(value)
    except ValueError:
        raise QueryError(f"{key}: must be one of {[m.value for m in enum]}, got {value!r}") from None


def _period(raw: Any, auto_seconds: int) -> tuple[int, bool]:
    """`""`/`auto` → auto; digits → seconds; a duration (`15m`, `1h30m`) → seconds; a JSON number → seconds
    (Grafana's Go decoder rejects numbers, GF #54786; accepting them costs nothing)."""
    if raw is None:
        return auto_seconds, True
    if isinstance(raw, bool):
        raise QueryError("period: must be a string such as \"300\", \"5m\" or \"auto\", got a boolean")
    if isinstance(raw, int | float):
        seconds = float(raw)
    elif isinstance(raw, str):
        text = raw.strip()
        if text == "" or text.lower() == "auto":
            return auto_seconds, True
        try:
            seconds = parse_duration_seconds(text)
        except ValueError as exc:
            raise QueryError(f"period: {exc}") from None
    else:
        raise QueryError(f"period: must be a string such as \"300\", \"5m\" or \"auto\", "
                         f"got {type(raw).__name__}")
    if not math.isfinite(seconds) or seconds != int(seconds):
        raise QueryError(f"period: must be a whole number of seconds, got {raw!r}")
    if seconds < 1:
        raise QueryError(f"period: must be at least 1 second, got {raw!r}")
    if seconds > MAX_PERIOD_SECONDS:
        raise QueryError(f"period: {str(raw)[:40]} is longer than CloudWatch keeps any data (455 days, "
                         f"{MAX_PERIOD_SECONDS} seconds)")
    period = int(seconds)
    if period not in HIGH_RESOLUTION_PERIODS and period % 60:
        raise QueryError(f"period: {period} seconds is not a period CloudWatch accepts: use 1, 5, 10, 20, 30 or a "
                         "multiple of 60")
    return period, False


def _period_for_range_start(period: int, start: datetime, *, now: datetime | None = None
                            ) -> tuple[int, tuple[str, ...]]:
    """AWS's rule for a StartTime more than 3 hours, 15 days or 63 days back: the period must be a multiple of
    60, 300 or 3600 s, "or no data points in that time range is returned" (MetricStat, Period, in the CloudWatch
    API reference). AWS gives no error, only an empty answer, so a finer period is rounded up to the next
    multiple, with a notice on the refId: the panel keeps working as the time picker moves back, at the
    resolution AWS still keeps. (An error would break a dashboard whenever its range was widened.)"""
    age = (now or datetime.now(UTC)) - start
    for older_than, multiple, finer_kept_for in _PERIOD_MULTIPLES_BY_AGE:
        if age > older_than:
            if period % multiple == 0:
                return period, ()
            rounded = -(-period // multiple) * multiple
            return rounded, (f"period {period} s was rounded up to {rounded} s: CloudWatch keeps data finer than "
                             f"{multiple} s only for {finer_kept_for}, and returns no data for a start time "
                             "further back with a period that is not a multiple of it",)
    return period, ()


def _dimensions(raw: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise QueryError(f"dimensions: must be an object of name → value(s), got {type(raw).__name__}")
    out: list[tuple[str, tuple[str, ...]]] = []
    for key, value in raw.items():
        if isinstance(value, str):
            values: tuple[str, ...] = (value,)  # pre-6.5 dashboards stored one string per dimension
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            values = tuple(value)
        else:
            raise QueryError(f"dimensions.{key}: must be a string or a non-empty list of strings, "
                             f"got {value!r}")
        out.append((key, values))
    return tuple(sorted(out))


def _statistic(model: Mapping[str, Any], *, required: bool) -> str:
    statistic = _str(model, "statistic")
    if statistic:
        return statistic
    legacy = model.get("statistics")
    if legacy is not None:
        if not isinstance(legacy, list) or not all(isinstance(s, str) for s in legacy):
            raise QueryError("statistics: must be a list of strings (deprecated; use statistic)")
        return legacy[0] if legacy else "Average"
    if not required:
        return "Average"  # Code and SQL queries carry no statistic of their own
    if "statistic" in model:
        raise QueryError("statistic: must not be empty (e.g. Average, Sum, p99)")
    raise QueryError("statistic: query must have either statistic or statistics field")


def _label(model: Mapping[str, Any]) -> str:
    # `label` wins over the deprecated `alias` even when it is "" (the user cleared it on purpose).
    if "label" in model and model["label"] is not None:
        return _str(model, "label")
    alias = _str(model, "alias")
    return migrate_alias(alias) if alias else ""


def _query_id(model: Mapping[str, Any], ref_id: str) -> str:
    given = _str(model, "id").strip()
    if not given:
        return derive_id(ref_id)
    if not ID_PATTERN.match(given):
        raise QueryError(f"id: {given!r} is not a valid GetMetricData id (start with a lowercase letter, "
                         "then letters, digits or _)")
    return given


def _check_required(query: MetricQuery) -> None:
    """What Grafana's frontend checks before sending (grafana/grafana public/app/plugins/datasource/cloudwatch/).
    Checked here too, because a query AWS rejects would fail every other query sharing its GetMetricData call."""
    if query.query_type is MetricQueryType.INSIGHTS:
        if not query.sql_expression.strip():
            raise QueryError("sqlExpression: a Metrics Insights query needs a SQL expression")
    elif query.editor_mode is MetricEditorMode.CODE:
        if not query.expression.strip():
            raise QueryError("expression: a Code mode query needs an expression")
    else:
        if not query.namespace:
            raise QueryError("namespace: a Builder query needs a namespace")
        if not query.metric_name:
            raise QueryError("metricName: a Builder query needs a metric name")


def has_static_label(q: MetricQuery) -> bool:
    """A label of the user's with no dynamic part: the legend shows it as typed."""
    return bool(q.label) and not _DYNAMIC_LABEL.search(q.label)
