"""Plain domain types for the plugin protocol, free of protobuf.

protocol/convert.py turns generated protobuf messages into these and back, so nothing above the protocol layer
imports a `*_pb2` module (the same edge conversion Grafana's Rust SDK does). Field meanings follow
grafana-plugin-sdk-go's proto/backend.proto (ours: proto/backend.proto).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum

from .data import Frame
from .errors import ErrorSource


@dataclass(frozen=True)
class DataSourceInstance:
    """Who the datasource is and what Grafana stored for it (jsonData bytes + decrypted secrets)."""

    uid: str = ""  # unique within one Grafana organisation only
    org_id: int = 0
    name: str = ""
    id: int = 0
    url: str = ""
    database: str = ""
    json_data: bytes = b""
    decrypted_secure_json_data: Mapping[str, str] = field(default_factory=dict, repr=False)
    last_updated_ms: int = 0


@dataclass(frozen=True)
class PluginContext:
    org_id: int = 0
    plugin_id: str = ""
    datasource: DataSourceInstance | None = None
    # Grafana's per-request config (AWS_AUTH_* keys etc.); wins over the process environment. Kept out of repr:
    # it can carry Grafana's own secrets (GF_PLUGIN_APP_CLIENT_SECRET, secure socks proxy keys).
    grafana_config: Mapping[str, str] = field(default_factory=dict, repr=False)
    plugin_version: str = ""
    user_agent: str = ""
    user_login: str = ""


@dataclass(frozen=True)
class TimeRange:
    from_ms: int
    to_ms: int


@dataclass(frozen=True)
class DataQuery:
    ref_id: str
    time_range: TimeRange
    json: bytes = b""
    query_type: str = ""
    max_data_points: int = 0
    interval_ms: int = 0


@dataclass(frozen=True)
class QueryDataRequest:
    context: PluginContext
    queries: tuple[DataQuery, ...]
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)  # forwarded Authorization, Cookie...


@dataclass
class DataResponse:
    """The answer for one refId: frames, or an error with its status and source (frames may be kept too)."""

    frames: list[Frame] = field(default_factory=list)
    error: str = ""
    status: int = 200
    error_source: ErrorSource | None = None

    @classmethod
    def failure(cls, message: str, *, status: int, source: ErrorSource, frames: list[Frame] | None = None
                ) -> DataResponse:
        return cls(frames=list(frames or []), error=message, status=status, error_source=source)


class HealthStatus(IntEnum):
    UNKNOWN = 0
    OK = 1
    ERROR = 2


@dataclass(frozen=True)
class CheckHealthResult:
    status: HealthStatus
    message: str
    details: Mapping[str, object] = field(default_factory=dict)  # becomes jsonDetails (a JSON object)


@dataclass(frozen=True)
class CallResourceRequest:
    context: PluginContext
    path: str
    method: str
    url: str = ""
    headers: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False)  # incoming HTTP headers
    body: bytes = b""


@dataclass(frozen=True)
class CallResourceResponse:
    status: int
    body: bytes = b""
    headers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
