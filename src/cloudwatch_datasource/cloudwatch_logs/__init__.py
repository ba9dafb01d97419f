"""CloudWatch Logs Insights queries and alarm annotations: the other half of Grafana's CloudWatch datasource.

query.py (JSON → LogsQuery, StartQuery parameters) → execute.py (StartQuery, GetQueryResults polled, StopQuery;
limits.py: concurrent queries per account and region) → frames.py (log rows, stats series); annotations.py (alarm
history → annotations frame); routes.py (the logs editor's resource routes). `answer_queries` joins them:
service.py hands it the request's logs and annotation queries (`split_queries`), the metrics pipeline gets the
rest. Nothing here knows about protobuf; AWS calls go through aws/ (`aws_call`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import structlog

from .. import deadlines
from ..backend import DataQuery, DataResponse
from ..cloudwatch import ClientFactory
from ..errors import ErrorSource, PluginError
from .annotations import annotation_frame, parse_annotation_query
from .execute import LogsQueryTimeout, Runner
from .frames import query_id_frame, result_frames, stop_frame
from .limits import SLOTS, QuerySlots, account_key
from .query import Subtype, logs_timeout_seconds, parse_logs_query, query_kind

__all__ = ["account_key", "answer_queries", "split_queries"]

log = structlog.get_logger(__name__)


def split_queries(queries: Sequence[DataQuery]) -> tuple[list[DataQuery], list[DataQuery]]:
    """(metrics queries, logs and annotation queries). A refId used more than once stays with the metrics
    pipeline, which answers every copy with its "used by N queries" error."""
    repeated = {r for r, n in Counter(q.ref_id for q in queries).items() if n > 1}
    metrics: list[DataQuery] = []
    others: list[DataQuery] = []
    for q in queries:
        (others if q.ref_id not in repeated and query_kind(q.json) != "metrics" else metrics).append(q)
    return metrics, others


def answer_queries(queries: Sequence[DataQuery], *, default_region: str, client_for_region: ClientFactory,
                   datasource: str, account: str, logs_timeout: str, page_limit: int, max_workers: int = 8,
                   slots: QuerySlots = SLOTS) -> dict[str, DataResponse]:
    """One DataResponse per refId; each query runs on its own (a pool thread in the request's scope), so one
    slow or failing query never holds up or fails another."""
    if not queries:
        return {}

    def one(q: DataQuery) -> DataResponse:
        try:
            if query_kind(q.json) == "annotations":
                annotation = parse_annotation_query(q, default_region=default_region)
                client = client_for_region(annotation.region, "cloudwatch")
                return DataResponse(frames=[annotation_frame(annotation, client, datasource=datasource,
                                                             page_limit=page_limit)])
            return _logs_response(q, default_region, client_for_region, datasource, account, logs_timeout, slots)
        except LogsQueryTimeout as exc:
            return DataResponse.failure(exc.message, status=exc.status, source=exc.source,
                                        frames=result_frames(parse_logs_query(q, default_region=default_region),
                                                             exc.partial))
        except PluginError as exc:
            return DataResponse.failure(exc.message, status=exc.status, source=exc.source)
        except Exception as exc:  # noqa: BLE001 - one query's bug fails its refId only
            log.exception("logs query failed unexpectedly", datasource=datasource)
            return DataResponse.failure(f"internal plugin error: {type(exc).__name__}", status=500,
                                        source=ErrorSource.PLUGIN)

    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(queries))),
                            thread_name_prefix="logs") as pool:
        futures = [(q.ref_id, pool.submit(deadlines.run_in_scope(one), q)) for q in queries]
        return {ref_id: future.result() for ref_id, future in futures}


def _logs_response(q: DataQuery, default_region: str, client_for_region: ClientFactory, datasource: str,
                   account: str, logs_timeout: str, slots: QuerySlots) -> DataResponse:
    query = parse_logs_query(q, default_region=default_region)
    runner = Runner(client_for_region(query.region, "logs"), query.region, datasource, account,
                    logs_timeout_seconds(logs_timeout), slots=slots)
    if query.subtype is Subtype.START:
        return DataResponse(frames=[query_id_frame(query, runner.start_leased(query))])
    if query.subtype is Subtype.RESULTS:
        return DataResponse(frames=result_frames(query, runner.results_leased(query.query_id)))
    if query.subtype is Subtype.STOP:
        return DataResponse(frames=[stop_frame(runner.stop_leased(query.query_id))])
    result = runner.run(query)
    frames = result_frames(query, result)
    if result.status == "Complete":
        return DataResponse(frames=frames)
    return DataResponse.failure(f"the Logs Insights query ended with status {result.status} (AWS's answer to "
                                "GetQueryResults); any rows it found are shown", status=502,
                                source=ErrorSource.DOWNSTREAM, frames=frames)
