"""GetQueryResults rows → frames, the shapes Grafana's CloudWatch datasource answers with (grafana/grafana
pkg/tsdb/cloudwatch log_query.go and log_actions.go; facts only):

- **Log rows**: one frame named after the refId; each result field a column in the order AWS first sends it
  (`@ptr` dropped), `@timestamp` first and `@message` next; a column whose every value is CloudWatch's timestamp
  text (`2006-01-02 15:04:05.000`, UTC) is a time field, one whose every value is a number is a number field, the
  rest strings (`@message`, `@log`, `@logStream` and the context fields always strings); rows sorted by time;
  `meta.preferredVisualisationType: "logs"`; the context fields `__log__grafana_internal__` /
  `__logstream__grafana_internal__` kept (hidden) with any `@log` / `@logStream` the query returns; a
  "View in CloudWatch console" link on `@message` (Grafana's frontend datalinks.ts: the Logs Insights console URL,
  its queryDetail in JSURL notation).
- **`stats … by bin(…), field`** (the query has `statsGroups`): one frame per group, the group fields' values as
  labels on the number fields, the time field first and sorted, no other fields, typed `timeseries-multi`
  (https://grafana.com/developers/dataplane/timeseries) so Grafana graphs it and alerting reads it as series.
- Both carry AWS's status and statistics: `meta.custom.Status`, `meta.custom.Statistics`, and `meta.stats`
  ("Bytes scanned", "Records scanned", "Records matched", as Grafana names them).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ..data import Field, FieldType, Frame, Notice
from .execute import LogsResult
from .query import LOG_IDENTIFIER, LOGSTREAM_IDENTIFIER, MAX_ROWS, LogsQuery

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # what Logs Insights answers (Grafana's CLOUDWATCH_TS_FORMAT)
LINK_TITLE = "View in CloudWatch console"
_ALWAYS_STRING = frozenset({"@message", "@log", "@logStream", LOG_IDENTIFIER, LOGSTREAM_IDENTIFIER})
_HIDDEN = frozenset({LOG_IDENTIFIER, LOGSTREAM_IDENTIFIER})
# Columns kept per frame. Logs Insights answers the fields a query names (and a `fields *`-style query the
# discovered ones, a few hundred at most); a malformed answer with a new name on every row would otherwise cost
# names × rows cells.
MAX_FIELDS = 1_000
# A number as Logs Insights writes one (ASCII digits, optional sign, fraction and exponent). Python's float()
# accepts more (digit separators, other scripts' digits, surrounding space), which in a log line is text.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WHOLE = re.compile(r"[+-]?[0-9]+")
_MAX_EXACT_INT = 2**53  # float64 holds every whole number up to here; beyond, "…993" would read as "…992"
# Grafana's time fields are int64 nanoseconds since the epoch: up to 2262-04-11.
_MAX_TIME_NS = 2**63 - 1
_STATS_NAMES = (("bytesScanned", "Bytes scanned"), ("recordsScanned", "Records scanned"),
                ("recordsMatched", "Records matched"))


def result_frames(query: LogsQuery, result: LogsResult) -> list[Frame]:
    """The frames of one finished (or stopped) query."""
    columns, text, skipped, dropped = _columns(result.rows)
    meta = _meta(query, result, skipped, dropped)
    time_name = next((name for name, (kind, _) in columns.items() if kind is FieldType.TIME), None)
    if query.stats_groups and time_name is not None:
        return _series_frames(query, columns, time_name, meta, text)
    fields = _fields(columns, query)
    if time_name is not None:
        fields = _sorted_by(fields, time_name)
        if not query.stats_groups:
            meta["preferredVisualisationType"] = "logs"
    return [Frame(name=query.ref_id, ref_id=query.ref_id, fields=fields, meta=meta)]


def query_id_frame(query: LogsQuery, query_id: str) -> Frame:
    """Grafana's StartQuery answer (log_actions.go handleStartQuery): the queryId, and the region in meta."""
    return Frame(name=query.ref_id, ref_id=query.ref_id,
                 fields=[Field("queryId", FieldType.STRING, [query_id])],
                 meta={"custom": {"Region": query.region}})


def stop_frame(success: bool) -> Frame:
    # Grafana answers a bool field; the plugin's frames carry numbers, strings and times: 1 = stopped.
    return Frame(name="StopQueryResponse", fields=[Field("success", FieldType.NUMBER, [1.0 if success else 0.0])])


# --- columns ------------------------------------------------------------------------------------------------

Columns = dict[str, tuple[FieldType, list[Any]]]


def _columns(rows: Sequence[Any]) -> tuple[Columns, dict[str, list[str | None]], int, int]:
    """{name: (type, values)} with a value (or None) for every row, the same as AWS's text, how many malformed
    items were skipped (a row that is not a list, an entry without a field name), and how many values of fields
    beyond the first MAX_FIELDS names were left out."""
    parsed: list[dict[str, str | None]] = []
    names: dict[str, None] = {}  # every field name, in the order AWS first sends it
    skipped = 0
    dropped = 0  # values of fields beyond MAX_FIELDS
    for row in rows[:MAX_ROWS]:
        if not isinstance(row, list):
            skipped += 1
            continue
        values: dict[str, str | None] = {}
        for item in row:
            name = item.get("field") if isinstance(item, dict) else None
            if not isinstance(name, str) or not name:
                skipped += 1
                continue
            if name == "@ptr":
                continue
            if name not in names:
                if len(names) >= MAX_FIELDS:
                    dropped += 1
                    continue
                names[name] = None
            value = item.get("value")
            values[name] = value if isinstance(value, str) else None
        if values:
            parsed.append(values)
    raw = {name: [values.get(name) for values in parsed] for name in names}
    ordered = sorted(raw, key=lambda n: (n != "@timestamp", n != "@message"))
    return {name: _typed(name, raw[name]) for name in ordered}, raw, skipped, dropped


def _typed(name: str, values: list[str | None]) -> tuple[FieldType, list[Any]]:
    present = [v for v in values if v is not None]
    if name in _ALWAYS_STRING or not present:
        return FieldType.STRING, values
    if name == "@timestamp" and all(v.isascii() and v.isdigit() and int(v) * 1_000_000 <= _MAX_TIME_NS
                                    for v in present):
        # Epoch milliseconds: what moto's Logs Insights answers (AWS answers the text format below).
        return FieldType.TIME, [int(v) * 1_000_000 if v is not None else None for v in values]
    times = [_parse_time(v) for v in values]
    if all(t is not None for t, v in zip(times, values, strict=True) if v is not None):
        return FieldType.TIME, times
    numbers = [_parse_number(v) for v in values]
    if all(n is not None for n, v in zip(numbers, values, strict=True) if v is not None):
        return FieldType.NUMBER, numbers
    return FieldType.STRING, values


def _parse_time(value: str | None) -> int | None:
    if value is None or len(value) < 19:
        return None
    try:
        moment = datetime.strptime(value, TIMESTAMP_FORMAT if "." in value else "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    stamp = int(moment.replace(tzinfo=UTC).timestamp()) * 1_000_000_000 + moment.microsecond * 1000
    return stamp if stamp <= _MAX_TIME_NS else None  # beyond 2262: text, not a time Grafana can hold


def _parse_number(value: str | None) -> float | None:
    """A number Logs Insights wrote, as float64; None for anything else, and for a whole number float64 would
    change (an id). "nan"/"inf" spelled as words are text in a log line, not numbers Logs Insights computed."""
    if value is None or not value.isascii() or _NUMBER.fullmatch(value) is None:
        return None
    if _WHOLE.fullmatch(value) and abs(int(value)) > _MAX_EXACT_INT:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _fields(columns: dict[str, tuple[FieldType, list[Any]]], query: LogsQuery) -> list[Field]:
    fields = []
    for name, (kind, values) in columns.items():
        config: dict[str, Any] = {}
        if name in _HIDDEN:
            config["custom"] = {"hidden": True}
        if name == "@message":
            config["links"] = [{"title": LINK_TITLE, "url": console_link(query), "targetBlank": True}]
        fields.append(Field(name, kind, values, config=config))
    return fields


def _sorted_by(fields: list[Field], time_name: str) -> list[Field]:
    """Rows by time, ascending (Grafana sorts: AWS's order is not guaranteed); rows without a time last."""
    stamps = next(f.values for f in fields if f.name == time_name)
    order = sorted(range(len(stamps)), key=lambda i: (stamps[i] is None, stamps[i] or 0))
    if order == list(range(len(stamps))):
        return fields
    return [Field(f.name, f.type, [f.values[i] for i in order], f.labels, f.config) for f in fields]


# --- stats series -------------------------------------------------------------------------------------------

def _series_frames(query: LogsQuery, columns: Columns, time_name: str,
                   meta: dict[str, Any], text: dict[str, list[str | None]]) -> list[Frame]:
    """One timeseries-multi frame per combination of the non-time group fields' (and other text columns') values,
    labelled with AWS's text of them (a number group field's float would print 1234567 and 1234568 alike)."""
    group_names = [g for g in query.stats_groups if g in columns and g != time_name
                   and columns[g][0] is not FieldType.TIME]
    # A text column the saved statsGroups do not name (an older dashboard's, or a query edited since) still tells
    # series apart: without it two rows of one bin would be one series with that time twice (dataplane: a
    # series' times are unique).
    group_names += [n for n, (kind, _) in columns.items()
                    if kind is FieldType.STRING and n not in group_names and n not in _HIDDEN]
    value_names = [n for n, (kind, _) in columns.items() if kind is FieldType.NUMBER and n not in group_names]
    stamps = columns[time_name][1]
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, stamp in enumerate(stamps):
        if stamp is None:
            continue  # a series point needs a time (dataplane: the time field has no nulls)
        key = tuple(text[g][i] or "" for g in group_names)
        groups.setdefault(key, []).append(i)
    series_meta = {**meta, "type": "timeseries-multi", "typeVersion": [0, 1]}
    frames = []
    for key, rows in groups.items():
        rows.sort(key=lambda i: stamps[i])
        labels = dict(zip(group_names, key, strict=True))
        fields = [Field(time_name, FieldType.TIME, [stamps[i] for i in rows])]
        fields += [Field(n, FieldType.NUMBER, [columns[n][1][i] for i in rows], labels=labels)
                   for n in value_names]
        name = " ".join(key) if key else query.ref_id
        frames.append(Frame(name=name, ref_id=query.ref_id, fields=fields, meta=series_meta))
    if not frames:  # no rows: one empty series frame, so "no data" is what the readers see
        frames.append(Frame(name=query.ref_id, ref_id=query.ref_id, meta=series_meta,
                            fields=[Field(time_name, FieldType.TIME, []),
                                    *(Field(n, FieldType.NUMBER, []) for n in value_names)]))
    return frames


# --- meta ---------------------------------------------------------------------------------------------------

def _meta(query: LogsQuery, result: LogsResult, skipped: int, dropped: int) -> dict[str, Any]:
    stats = result.statistics
    custom: dict[str, Any] = {"Status": result.status, "queryId": result.query_id, "Region": query.region}
    if stats:
        custom["Statistics"] = dict(stats)
    meta: dict[str, Any] = {"custom": custom, "executedQueryString": query.final_query_string()}
    query_stats = [{"displayName": shown, "value": stats[key]} for key, shown in _STATS_NAMES
                   if isinstance(stats.get(key), int | float)]
    if query_stats:
        meta["stats"] = query_stats
    notices = []
    if result.status != "Complete":
        notices.append(Notice("warning", f"partial results: the Logs Insights query ended with status "
                                         f"{result.status}"))
    if result.truncated:
        notices.append(Notice("warning", f"only the first {MAX_ROWS:,} rows are shown (one GetQueryResults "
                                         "page); narrow the query or add a limit"))
    if dropped:
        notices.append(Notice("warning", f"only the first {MAX_FIELDS:,} fields are shown; {dropped:,} values of "
                                         "further fields were left out"))
    if skipped:
        notices.append(Notice("warning", f"{skipped} malformed result entries from AWS were left out"))
    if notices:
        meta["notices"] = notices
    return meta


# --- the console link ---------------------------------------------------------------------------------------

def console_link(query: LogsQuery) -> str:
    """The Logs Insights console for this query, its range and log groups (Grafana's frontend encodeUrl:
    `https://<region>.<console>/cloudwatch/home?region=<region>#logs-insights:queryDetail=<JSURL>`)."""
    detail = {
        "end": _iso(query.end), "start": _iso(query.start), "timeType": "ABSOLUTE", "tz": "UTC",
        "editorString": query.query_string, "isLiveTail": False,
        "source": [g.name for g in query.log_groups] or list(query.log_group_names),
    }
    region = query.region
    host = ("console.amazonaws-us-gov.com" if region.startswith("us-gov-")
            else "console.amazonaws.cn" if region.startswith("cn-") else "console.aws.amazon.com")
    return f"https://{region}.{host}/cloudwatch/home?region={region}#logs-insights:queryDetail={jsurl(detail)}"


def jsurl(value: Any) -> str:
    """JSURL notation (https://github.com/Sage/jsurl), which the console's queryDetail uses: `~(key~value…)`
    objects, `~(…)` arrays, `~'text` strings with every character but `[A-Za-z0-9_.-]` escaped as `*hh` /
    `**hhhh` (`$` as `!`)."""
    if value is None:
        return "~null"
    if isinstance(value, bool):
        return "~true" if value else "~false"
    if isinstance(value, int):
        return f"~{value}"
    if isinstance(value, float):
        return f"~{value!r}".removesuffix(".0") if math.isfinite(value) else "~null"
    if isinstance(value, str):
        return "~'" + _jsurl_text(value)
    if isinstance(value, list | tuple):
        return "~(" + ("".join(jsurl(v) for v in value) or "~") + ")"
    if isinstance(value, dict):
        return "~(" + "~".join(_jsurl_text(str(k)) + jsurl(v) for k, v in value.items()) + ")"
    return jsurl(str(value))


def _jsurl_text(text: str) -> str:
    out = []
    for ch in text:
        if ch.isascii() and (ch.isalnum() or ch in "_-."):
            out.append(ch)
        elif ch == "$":
            out.append("!")
        else:
            code = ord(ch)
            # Characters beyond the BMP go as their two UTF-16 units, as JavaScript's charCodeAt sees them.
            units = [code] if code < 0x10000 else [0xD800 + ((code - 0x10000) >> 10), 0xDC00 + (code & 0x3FF)]
            out.extend(f"*{u:02x}" if u < 0x100 else f"**{u:04x}" for u in units)
    return "".join(out)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
