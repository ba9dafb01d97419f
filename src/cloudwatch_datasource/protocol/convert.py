"""The edge: generated protobuf messages ⇄ the plain domain types in backend.py.

Handlers above this layer never see protobuf. Field meanings: proto/backend.proto (Grafana's pluginv2
protocol, as grafana-plugin-sdk-go's proto/backend.proto defines it).
"""

from __future__ import annotations

import json

import structlog

from ..backend import (
    CallResourceRequest,
    CallResourceResponse,
    CheckHealthResult,
    DataQuery,
    DataResponse,
    DataSourceInstance,
    PluginContext,
    QueryDataRequest,
    TimeRange,
)
from ..errors import ErrorSource
from ..jsontext import safe_text
from .arrow import encode_frame
from .pb import backend_pb2 as pb

log = structlog.get_logger(__name__)


def plugin_context(msg: pb.PluginContext) -> PluginContext:
    ds = None
    if msg.HasField("dataSourceInstanceSettings"):
        s = msg.dataSourceInstanceSettings
        ds = DataSourceInstance(
            uid=s.uid, org_id=msg.orgId, name=s.name, id=s.id, url=s.url, database=s.database,
            json_data=bytes(s.jsonData), decrypted_secure_json_data=dict(s.decryptedSecureJsonData),
            last_updated_ms=s.lastUpdatedMS,
        )
    return PluginContext(
        org_id=msg.orgId,
        plugin_id=msg.pluginId,
        datasource=ds,
        grafana_config=dict(msg.grafanaConfig),
        plugin_version=msg.pluginVersion,
        user_agent=msg.userAgent,
        user_login=msg.user.login if msg.HasField("user") else "",
    )


def query_data_request(msg: pb.QueryDataRequest) -> QueryDataRequest:
    queries = tuple(
        DataQuery(
            ref_id=q.refId,
            time_range=TimeRange(from_ms=q.timeRange.fromEpochMS, to_ms=q.timeRange.toEpochMS),
            json=bytes(q.json),
            query_type=q.queryType,
            max_data_points=q.maxDataPoints,
            interval_ms=q.intervalMS,
        )
        for q in msg.queries
    )
    return QueryDataRequest(context=plugin_context(msg.pluginContext), queries=queries, headers=dict(msg.headers))


def data_response(resp: DataResponse) -> pb.DataResponse:
    """Encode one refId's answer. A frame that can't be encoded becomes this refId's error: one bad frame
    must not fail the whole QueryData call (Grafana would drop every refId)."""
    out = pb.DataResponse(format=pb.ARROW)
    try:
        out.frames.extend(encode_frame(f) for f in resp.frames)
    except Exception as exc:  # noqa: BLE001 - any encoder failure is reported on this refId, never raised
        log.error("frame encoding failed", error=str(exc))
        return pb.DataResponse(format=pb.ARROW, status=500, error=safe_text(f"internal error encoding frames: {exc}"),
                               errorSource=ErrorSource.PLUGIN.value)
    # Grafana turns a status outside 100-599 (including 0) into 500 "unknown": always set it.
    out.status = resp.status if 100 <= resp.status <= 599 else (500 if resp.error else 200)
    if resp.error:
        # protobuf refuses a str that is not UTF-8-encodable; one such message must not fail every refId.
        out.error = safe_text(resp.error)
        out.errorSource = (resp.error_source or ErrorSource.PLUGIN).value
    return out


def query_data_response(responses: dict[str, DataResponse]) -> pb.QueryDataResponse:
    out = pb.QueryDataResponse()
    for ref_id, resp in responses.items():
        out.responses[ref_id].CopyFrom(data_response(resp))
    return out


def check_health_response(result: CheckHealthResult) -> pb.CheckHealthResponse:
    details = json.dumps(dict(result.details)).encode() if result.details else b""
    status = pb.CheckHealthResponse.HealthStatus.Value(result.status.name)
    return pb.CheckHealthResponse(status=status, message=safe_text(result.message), jsonDetails=details)


def call_resource_request(msg: pb.CallResourceRequest) -> CallResourceRequest:
    return CallResourceRequest(
        context=plugin_context(msg.pluginContext),
        path=msg.path,
        method=msg.method,
        url=msg.url,
        headers={k: tuple(v.values) for k, v in msg.headers.items()},
        body=bytes(msg.body),
    )


def call_resource_response(resp: CallResourceResponse) -> pb.CallResourceResponse:
    out = pb.CallResourceResponse(code=resp.status, body=resp.body)
    for key, values in resp.headers.items():
        out.headers[key].values.extend(values)
    return out
