"""The metrics pipeline end to end: parse → plan → execute → frames, one DataResponse per input refId.

The guarantee callers rely on: every refId of the input gets exactly one entry, and a bad query, a duplicate
Id or a failing region/time range only fails the refIds it concerns (Grafana fails the whole request on one
parse error, §2.2).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ..backend import DataQuery, DataResponse
from ..errors import QueryError
from . import ClientFactory
from .execute import PointBudget, execute_plans
from .frames import build_responses
from .plan import build_plans
from .query import MetricQuery, parse_query


def run_metric_queries(queries: Sequence[DataQuery], *, default_region: str, client_for_region: ClientFactory,
                       max_workers: int = 8, datasource: str = "", now: datetime | None = None,
                       budget: PointBudget | None = None) -> dict[str, DataResponse]:
    """Answer Grafana's metric queries. `client_for_region(region, "cloudwatch")` builds the client; it may
    raise a PluginError (e.g. auth), which then becomes those refIds' error."""
    answers: dict[str, DataResponse] = {}
    parsed: list[MetricQuery] = []
    for q in queries:
        try:
            parsed.append(parse_query(q, default_region=default_region, now=now))
        except QueryError as exc:
            answers[q.ref_id] = DataResponse.failure(exc.message, status=exc.status, source=exc.source)

    valid = []
    for query, error in _reject_duplicate_ids(parsed):
        if error is None:
            valid.append(query)
        else:
            answers[query.ref_id] = DataResponse.failure(error.message, status=error.status,
                                                         source=error.source)

    outcomes = execute_plans(build_plans(valid), client_for_region, max_workers=max_workers,
                             datasource=datasource, budget=budget)
    answers.update(build_responses(outcomes))
    for q in queries:
        answers.setdefault(q.ref_id, DataResponse())
    return answers


def _reject_duplicate_ids(queries: list[MetricQuery]) -> list[tuple[MetricQuery, QueryError | None]]:
    """AWS rejects a whole call whose MetricDataQueries repeat an Id; fail only the later duplicates instead.
    Ids only clash within one call, i.e. the same region, time range and label timezone."""
    seen: dict[tuple[object, ...], str] = {}
    out: list[tuple[MetricQuery, QueryError | None]] = []
    for q in queries:
        key = (q.region, q.start, q.end, q.timezone_utc_offset, q.id)
        first = seen.setdefault(key, q.ref_id)
        if first != q.ref_id:
            message = f'id: {q.id!r} is already used by query "{first}" in the same request'
            out.append((q, QueryError(message)))
        else:
            out.append((q, None))
    return out
