"""One Grafana CloudWatch Logs query (JSON bytes + time range) → a validated, frozen LogsQuery, and the StartQuery
parameters it asks for.

Field names and defaults are Grafana's (grafana/grafana pkg/tsdb/cloudwatch/kinds/dataquery, CloudWatchLogsQuery,
and models/logs_query.go; docs/queries.md, "Logs queries"): `queryMode: "Logs"` (or Grafana's own frontend's
`type: "logAction"`), `expression` (or `queryString`), `queryLanguage` (`CWLI` default, `SQL`, `PPL`: the values
botocore's logs model lists for StartQuery's queryLanguage), `logGroups` (`arn`, `name`, `accountId`), the legacy
`logGroupNames`, `region` (""/"default" = the datasource's), `statsGroups`, `limit`, and for the Grafana polling
protocol `subtype` and `queryId`.

AWS's rules checked here, before a call AWS would refuse (CloudWatch Logs API reference, StartQuery): at most 50
log groups; `limit` 1..10,000 (botocore's model allows 100,000 for CWLI with paging, the plugin keeps one
GetQueryResults page, docs/queries.md); one of log groups or a SOURCE command in the query.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from ..backend import DataQuery

# The metrics parser's JSON and string readers: one wording of JSON and field errors for every kind of query.
from ..cloudwatch.query import _load as load_model
from ..cloudwatch.query import _str
from ..durations import parse_duration_seconds
from ..errors import QueryError
from ..settings import MISSING_REGION, region_or_default

# StartQuery: "You can include up to 50 log groups" (logGroupNames / logGroupIdentifiers).
MAX_LOG_GROUPS = 50
# GetQueryResults returns at most 10,000 rows per call; the plugin reads one page per query (a memory bound).
MAX_ROWS = 10_000
# Grafana's default when jsonData.logsTimeout is unset or zero (models/settings.go: 30 minutes, the frontend's).
DEFAULT_LOGS_TIMEOUT_S = 30 * 60.0

# The fields Grafana adds in front of every CWLI query so each row keeps the log group and stream it came from
# (log_actions.go, logContextFieldsClause: ltrim() because Logs Insights refuses a bare alias of @log/@logStream).
LOG_IDENTIFIER = "__log__grafana_internal__"
LOGSTREAM_IDENTIFIER = "__logstream__grafana_internal__"
CONTEXT_FIELDS = f"fields @timestamp,ltrim(@log) as {LOG_IDENTIFIER},ltrim(@logStream) as {LOGSTREAM_IDENTIFIER}"
LOG_GROUPS_MACRO = "$__logGroups"
SOURCE_MACRO = "$__source"  # Grafana's newer SQL macro; without data-source selections it names the log groups

# SOURCE's limits (CloudWatch Logs user guide, "SOURCE"): at most 5 name prefixes of 3 characters or more, no
# wildcard; at most 20 account identifiers (Grafana's log_actions.go checks the same before StartQuery).
MAX_PREFIXES = 5
MIN_PREFIX_LENGTH = 3
MAX_ACCOUNTS = 20

_LOGS_TYPES = {"logAction"}
_ANNOTATION_TYPES = {"annotationQuery"}
_SOURCE_CWLI = re.compile(r"(?i)^\s*source\s+")
_SOURCE_PPL = re.compile(r"(?im)(^|\|)\s*(search\s+)?source\s*=")
_STATS_BY = re.compile(r"(?is)\bstats\b.*?\bby\b(.*?)(?=\||$)")


class QueryLanguage(StrEnum):
    CWLI = "CWLI"  # CloudWatch Logs Insights query language
    SQL = "SQL"  # OpenSearch SQL
    PPL = "PPL"  # OpenSearch PPL


class Subtype(StrEnum):
    """What the query asks: the whole query run on the server (no subtype), or one step of the polling protocol
    Grafana's own frontend drives (log_actions.go: StartQuery answers the queryId, GetQueryResults one poll)."""

    RUN = ""
    START = "StartQuery"
    RESULTS = "GetQueryResults"
    STOP = "StopQuery"


class Scope(StrEnum):
    """Grafana's `logsQueryScope`: the selected log groups, every group whose name starts with one of
    `logGroupPrefixes`, or all log groups; the last two become a SOURCE command in front of a CWLI query."""

    LOG_GROUP_NAME = "logGroupName"
    NAME_PREFIX = "namePrefix"
    ALL = "allLogGroups"


@dataclass(frozen=True)
class LogGroup:
    name: str
    arn: str = ""
    account_id: str = ""


@dataclass(frozen=True)
class LogsQuery:
    ref_id: str
    region: str
    start: datetime
    end: datetime
    query_string: str
    language: QueryLanguage = QueryLanguage.CWLI
    log_groups: tuple[LogGroup, ...] = ()
    log_group_names: tuple[str, ...] = ()
    stats_groups: tuple[str, ...] = ()
    limit: int | None = None
    subtype: Subtype = Subtype.RUN
    query_id: str = ""
    scope: Scope = Scope.LOG_GROUP_NAME
    prefixes: tuple[str, ...] = ()
    log_group_class: str = ""
    account_ids: tuple[str, ...] = ()

    @property
    def start_seconds(self) -> int:
        return math.floor(self.start.timestamp())

    @property
    def end_seconds(self) -> int:
        # Grafana ceils the end: a sub-second range (trace to logs) still covers its last second.
        return math.ceil(self.end.timestamp())

    @property
    def is_stats(self) -> bool:
        return bool(self.stats_groups)

    def selected_names(self) -> list[str]:
        names = [g.name for g in self.log_groups if g.name] or list(self.log_group_names)
        return list(dict.fromkeys(names))

    def start_query_params(self) -> dict[str, Any]:
        """StartQuery's parameters (botocore names). Selected log groups with ARNs go as `logGroupIdentifiers`
        (StartQuery: "the log group name or ARN"; an ARN "without an * at the end", and the only way to name a
        monitoring account's source-account group), the legacy names as `logGroupNames`."""
        params: dict[str, Any] = {"startTime": self.start_seconds, "endTime": self.end_seconds,
                                  "queryString": self.final_query_string()}
        if self.language is not QueryLanguage.CWLI:
            params["queryLanguage"] = self.language.value
        if self.limit is not None:
            params["limit"] = self.limit
        if self.language is QueryLanguage.SQL or self.source_clause():
            return params  # the query text names its log groups: SQL's $__logGroups, or the SOURCE in front
        if any(g.arn for g in self.log_groups):
            params["logGroupIdentifiers"] = list(dict.fromkeys(_identifier(g) for g in self.log_groups))
        elif self.selected_names():
            params["logGroupNames"] = self.selected_names()
        return params

    def final_query_string(self) -> str:
        """What StartQuery runs: CWLI gets Grafana's context fields in front; SQL gets `$__logGroups` expanded to
        `logGroups(logGroupIdentifier: ['a', 'b'])` (Grafana's macro, log_actions.go)."""
        if self.language is QueryLanguage.CWLI:
            source = self.source_clause()
            return f"{source} | {CONTEXT_FIELDS}|{self.query_string}" if source else \
                f"{CONTEXT_FIELDS}|{self.query_string}"
        if self.language is QueryLanguage.SQL:
            ids = ", ".join(f"'{_sql_quote(_identifier(g) if g.arn else g.name)}'" for g in self._groups())
            text = self.query_string.replace(LOG_GROUPS_MACRO, f"logGroups(logGroupIdentifier: [{ids}])", 1)
            return text.replace(SOURCE_MACRO, f"logGroups(logGroupIdentifier: [{ids}])", 1)
        return self.query_string

    def source_clause(self) -> str:
        """`SOURCE logGroups(namePrefix: [...], class: [...], accountIdentifier: [...])` for the name-prefix and
        all-log-groups scopes of a CWLI query (Grammar: CloudWatch Logs user guide, "SOURCE"; Grafana's
        buildSourceClause), "" otherwise. STANDARD, the default class, is left out as Grafana does."""
        if self.language is not QueryLanguage.CWLI or self.scope is Scope.LOG_GROUP_NAME:
            return ""
        parts = []
        if self.scope is Scope.NAME_PREFIX:
            parts.append(f"namePrefix: {_quoted_list(self.prefixes)}")
        if self.log_group_class and self.log_group_class != "STANDARD":
            parts.append(f"class: ['{self.log_group_class}']")
        if self.account_ids:
            parts.append(f"accountIdentifier: {_quoted_list(self.account_ids)}")
        return f"SOURCE logGroups({', '.join(parts)})"

    def _groups(self) -> list[LogGroup]:
        return list(self.log_groups) or [LogGroup(name=n) for n in self.log_group_names]


def query_kind(raw_json: bytes) -> str:
    """"logs", "annotations" or "metrics" for one query's JSON (anything unreadable is left to the metrics
    parser, which explains what is wrong with it). Grafana's dispatch (cloudwatch.go, QueryData): `type`
    annotationQuery / logAction, or `queryMode` Logs / Annotations."""
    try:
        model = json.loads(raw_json or b"{}")
    except (ValueError, RecursionError):
        return "metrics"
    if not isinstance(model, dict):
        return "metrics"
    kind, mode = model.get("type"), model.get("queryMode")
    if not isinstance(kind, str | None) or not isinstance(mode, str | None):
        return "metrics"  # a wrong type: the metrics parser names the field
    if kind in _ANNOTATION_TYPES or mode == "Annotations":
        return "annotations"
    if kind in _LOGS_TYPES or mode == "Logs":
        return "logs"
    return "metrics"


def parse_logs_query(q: DataQuery, *, default_region: str) -> LogsQuery:
    """Parse and validate one logs query. Raises QueryError naming the field."""
    model, start, end, region = common_fields(q, default_region)
    subtype_raw = _str(model, "subtype")
    try:
        subtype = Subtype(subtype_raw)
    except ValueError:
        raise QueryError(f"subtype: {subtype_raw!r} is not supported (StartQuery, GetQueryResults or StopQuery; "
                         "leave it out to run the query on the server)") from None
    query_id = _str(model, "queryId")
    if subtype in (Subtype.RESULTS, Subtype.STOP) and not query_id:
        raise QueryError(f"queryId: required for subtype {subtype.value}")
    language_raw = _str(model, "queryLanguage") or QueryLanguage.CWLI.value
    try:
        language = QueryLanguage(language_raw)
    except ValueError:
        raise QueryError(f"queryLanguage: {language_raw!r} is not one of CWLI, SQL, PPL") from None
    # Grafana's frontend sends the text as `queryString` in its logAction requests and as `expression` in the
    # saved query (and alert rules); both are read, queryString first.
    text = _str(model, "queryString") or _str(model, "expression")
    log_groups = _log_groups(model.get("logGroups"))
    names = tuple(n for n in _str_list(model, "logGroupNames") if n)
    stats = model.get("statsGroups")
    stats_groups = tuple(_str_list(model, "statsGroups")) if stats is not None else stats_groups_of(text, language)
    scope_raw = _str(model, "logsQueryScope") or Scope.LOG_GROUP_NAME.value
    try:
        scope = Scope(scope_raw)
    except ValueError:
        raise QueryError(f"logsQueryScope: {scope_raw!r} is not one of logGroupName, namePrefix, "
                         "allLogGroups") from None
    query = LogsQuery(ref_id=q.ref_id, region=region, start=start, end=end, query_string=text, language=language,
                      log_groups=log_groups, log_group_names=names, stats_groups=stats_groups,
                      limit=_limit(model.get("limit")), subtype=subtype, query_id=query_id, scope=scope,
                      prefixes=tuple(_str_list(model, "logGroupPrefixes")),
                      log_group_class=_str(model, "logGroupClass"),
                      account_ids=tuple(_str_list(model, "selectedAccountIds")))
    if subtype in (Subtype.RUN, Subtype.START):
        _check_runnable(query)
    return query


def stats_groups_of(text: str, language: QueryLanguage) -> tuple[str, ...]:
    """The `by` fields of a CWLI query's last `stats` command, as Grafana's frontend derives `statsGroups` when
    it saves a query (an alias `x as name` is the field `name` in the results). A query without them keeps its
    rows as logs. Only for CWLI: SQL's GROUP BY and PPL's `by` come back as plain tables."""
    if language is not QueryLanguage.CWLI:
        return ()
    found = _STATS_BY.findall(text)
    if not found:
        return ()
    groups: list[str] = []
    depth, current = 0, ""
    for ch in found[-1] + ",":
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            part = current.strip()
            alias = re.split(r"(?i)\s+as\s+", part)
            if part:
                groups.append(alias[-1].strip())
            current = ""
            continue
        current += ch
    return tuple(groups)


def logs_timeout_seconds(raw: str) -> float:
    """jsonData.logsTimeout as Grafana reads it (models/settings.go, Duration.UnmarshalJSON): a JSON number is
    nanoseconds (settings.py keeps it as "<n>ns"), a string a Go duration ("30m"); unset or zero → 30 minutes.
    Raises QueryError: a bad value fails the logs queries, not the datasource."""
    text = raw.strip()
    if not text:
        return DEFAULT_LOGS_TIMEOUT_S
    try:
        seconds = parse_duration_seconds(text)
    except ValueError as exc:
        raise QueryError(f"jsonData.logsTimeout: {exc}") from None
    return seconds if seconds > 0 else DEFAULT_LOGS_TIMEOUT_S


def common_fields(q: DataQuery, default_region: str) -> tuple[dict[str, Any], datetime, datetime, str]:
    """The JSON object, time range and region every logs and annotation query has."""
    model = load_model(q.json)
    start, end = time_range(q)
    region = region_or_default(_str(model, "region"), default_region)
    if not region:
        raise QueryError(f"region: {MISSING_REGION}, or choose a region in the query")
    return model, start, end, region


def time_range(q: DataQuery) -> tuple[datetime, datetime]:
    try:
        start = datetime.fromtimestamp(q.time_range.from_ms / 1000, tz=UTC)
        end = datetime.fromtimestamp(q.time_range.to_ms / 1000, tz=UTC)
    except (OverflowError, ValueError, OSError):
        raise QueryError("invalid time range: from and to must be epoch milliseconds") from None
    if start >= end:
        raise QueryError("invalid time range: start time must be before end time")
    return start, end


def _check_runnable(query: LogsQuery) -> None:
    if not query.query_string.strip():
        raise QueryError("expression: the query is empty")
    count = len(query.log_groups) or len(query.log_group_names)
    if count > MAX_LOG_GROUPS:
        raise QueryError(f"logGroups: {count} log groups selected; StartQuery takes at most {MAX_LOG_GROUPS}")
    if query.source_clause():
        _check_source_scope(query)
        return
    if query.language is QueryLanguage.SQL:
        for macro in (LOG_GROUPS_MACRO, SOURCE_MACRO):
            if macro in query.query_string and not query._groups():
                raise QueryError(f"logGroups: the query uses {macro} but no log groups are selected")
        if query.query_string.count(SOURCE_MACRO) > 1:
            raise QueryError(f"expression: {SOURCE_MACRO} may appear once")
        return
    names_source = (_SOURCE_CWLI if query.language is QueryLanguage.CWLI else _SOURCE_PPL).search(
        query.query_string)
    if not count and names_source is None:
        raise QueryError("logGroups: select at least one log group (StartQuery needs log groups, or a SOURCE "
                         "command in the query)")


def _check_source_scope(query: LogsQuery) -> None:
    if _SOURCE_CWLI.search(query.query_string):
        raise QueryError("expression: the query has its own SOURCE command, but logsQueryScope "
                         f"{query.scope.value} adds one; use one or the other")
    if query.scope is Scope.NAME_PREFIX:
        if not 1 <= len(query.prefixes) <= MAX_PREFIXES:
            raise QueryError(f"logGroupPrefixes: give 1 to {MAX_PREFIXES} log group name prefixes for the "
                             "namePrefix scope")
        for prefix in query.prefixes:
            if len(prefix) < MIN_PREFIX_LENGTH or "*" in prefix:
                raise QueryError(f"logGroupPrefixes: {prefix!r} must have at least {MIN_PREFIX_LENGTH} characters "
                                 "and no '*'")
    if len(query.account_ids) > MAX_ACCOUNTS:
        raise QueryError(f"selectedAccountIds: at most {MAX_ACCOUNTS} accounts")
    # SOURCE's lists are single-quoted strings: a quote inside one would end it.
    for field, values in (("logGroupPrefixes", query.prefixes), ("selectedAccountIds", query.account_ids),
                          ("logGroupClass", (query.log_group_class,))):
        if any("'" in v for v in values):
            raise QueryError(f"{field}: must not contain a quote (')")


def _quoted_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def _identifier(group: LogGroup) -> str:
    arn = group.arn.removesuffix("*").removesuffix(":")
    return arn or group.name


def _sql_quote(text: str) -> str:
    return text.replace("'", "''")


def _log_groups(raw: Any) -> tuple[LogGroup, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise QueryError(f"logGroups: must be a list of {{arn, name, accountId}}, got {type(raw).__name__}")
    out: list[LogGroup] = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise QueryError(f"logGroups[{i}]: must be an object with arn and name")
        values = {}
        for key in ("name", "arn", "accountId"):
            value = item.get(key)
            if value is not None and not isinstance(value, str):
                raise QueryError(f"logGroups[{i}].{key}: must be a string, got {type(value).__name__}")
            values[key] = value or ""
        if not values["name"] and not values["arn"]:
            raise QueryError(f"logGroups[{i}]: needs a name or an arn")
        # Grafana's frontend sends interpolated groups as {arn, name: arn}: the name is then the ARN's.
        arn = values["arn"] or (values["name"] if values["name"].startswith("arn:") else "")
        name = values["name"] if values["name"] and not values["name"].startswith("arn:") else _name_from_arn(arn)
        out.append(LogGroup(name=name, arn=arn, account_id=values["accountId"] or _account_of(arn)))
    return tuple(dict.fromkeys(out))


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def _name_from_arn(arn: str) -> str:
    # arn:aws:logs:<region>:<account>:log-group:<name>[:*]
    parts = arn.split(":log-group:", 1)
    return parts[1].removesuffix(":*") if len(parts) == 2 else arn


def _limit(raw: Any) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or int(raw) != raw:
        raise QueryError(f"limit: must be a whole number, got {raw!r}")
    if not 1 <= int(raw) <= MAX_ROWS:
        raise QueryError(f"limit: must be between 1 and {MAX_ROWS:,} (the rows one GetQueryResults call returns)")
    return int(raw)


def _str_list(model: Mapping[str, Any], key: str) -> list[str]:
    value = model.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise QueryError(f"{key}: must be a list of strings")
    return list(value)
