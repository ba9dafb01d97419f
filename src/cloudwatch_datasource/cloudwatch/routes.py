"""The CallResource layer: one request parser, one route table, one error renderer.

A route is a plain function `handler(request: ResourceRequest) -> value`. The request carries the parsed query
parameters and plain values from the datasource (default region, custom namespaces, page limit, a client factory,
the datasource uid, the external id), never the settings object; the handler reads what it needs with the
parser's methods (`request.region()`, `request.param(...)`, `request.json_param(...)`), calls AWS through the AWS
layer, and returns a JSON-able value or raises `RouteError` (its status and Grafana's message prefix) or a
`PluginError` (the AWS layer's described error). The layer turns both into the route's shape:

- `Shape.GRAFANA` (grafana/grafana pkg/tsdb/cloudwatch/routes/middleware.go): the value as JSON; errors as
  `{"Message": "<prefix>: <error>", "Error": "<error>", "StatusCode": n}`.
- `Shape.LEGACY` (the template-variable routes, handleGetEbsVolumeIds and its siblings): a list of strings as
  `[{"text", "value", "label"}]`; every error HTTP 400 with the plain-text body `unexpected error <message>`.

Route modules export a `ROUTES` dict (path → Route); `route_table` joins them and refuses a path defined twice, so
a new module (Logs' `log-groups`, `log-group-fields`) is added in one line where the service builds its table.
GET only (405 otherwise); an unknown path is a JSON 404. A `Route(cached=True)` answer is kept in the picker cache
(picker_cache.py) under (identity, operator external id and page cap, path, parameters).
"""

from __future__ import annotations

import enum
import json
import urllib.parse
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..backend import CallResourceRequest, CallResourceResponse
from ..errors import PluginError
from ..settings import MISSING_REGION, region_or_default
from . import ClientFactory
from .picker_cache import PickerCache

_JSON = {"Content-Type": ("application/json",)}
_TEXT = {"Content-Type": ("text/plain; charset=utf-8",)}


class Shape(enum.Enum):
    GRAFANA = "grafana"
    LEGACY = "legacy"


class RouteError(Exception):
    """An HTTP error of one route: status, Grafana's message prefix, and the underlying error text."""

    def __init__(self, status: int, message: str, error: str) -> None:
        super().__init__(f"{message}: {error}")
        self.status, self.message, self.error = status, message, error


@dataclass(frozen=True)
class ResourceRequest:
    """One parsed CallResource request and the plain datasource values a handler may use."""

    path: str
    params: Mapping[str, str]
    default_region: str = ""
    custom_namespaces: tuple[str, ...] = ()
    page_limit: int = 500  # ListMetrics and other listings stop after this many pages (the operator's cap)
    clients: ClientFactory = field(default=lambda region, service: _no_clients(region, service))
    datasource: str = ""  # the uid: the AWS layer's metrics and recent failures are per datasource
    external_id: str = ""
    identity: Hashable = ""  # who AWS sees (the settings fingerprint): part of every picker-cache key

    def param(self, name: str, default: str = "") -> str:
        return self.params.get(name, default)

    def region(self) -> str:
        """`region` is required (Grafana's modern routes answer 400 without it); "" or "default" is the
        datasource's default region."""
        if "region" not in self.params:
            raise RouteError(400, "error in handler", "region is required")
        region = region_or_default(self.params["region"], self.default_region)
        if not region:
            raise RouteError(500, "error in handler", MISSING_REGION)
        return region

    def region_or_default(self) -> str:
        """`region` absent, "" or "default" all mean the default region (the legacy routes' rule)."""
        region = region_or_default(self.params.get("region"), self.default_region)
        if not region:
            raise RouteError(400, "error in handler", MISSING_REGION)
        return region

    def json_param(self, name: str) -> Any:
        """A JSON-valued parameter; absent or blank is None."""
        raw = self.params.get(name, "")
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            raise RouteError(400, "error in handler", f"{name} must be valid JSON") from None


@dataclass(frozen=True)
class Route:
    handler: Callable[[ResourceRequest], Any]
    shape: Shape = Shape.GRAFANA
    cached: bool = False  # kept in the picker cache (ListMetrics-backed answers)


def route_table(*modules: Mapping[str, Route]) -> dict[str, Route]:
    """The routes of several modules as one table; a path defined twice is a programming error."""
    table: dict[str, Route] = {}
    for routes in modules:
        for path, route in routes.items():
            if path in table:
                raise ValueError(f"resource route {path!r} is defined twice")
            table[path] = route
    return table


def parse_request(request: CallResourceRequest) -> tuple[str, dict[str, str]]:
    """(path without slashes, query parameters). Grafana sends the path plus "?query"; blank values are kept
    (region="" means the default region, but an absent region is an error); the first of repeated keys wins."""
    query = urllib.parse.urlsplit(request.url).query
    params = {k: v[0] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
    return request.path.strip("/"), params


def handle_resource(request: CallResourceRequest, routes: Mapping[str, Route], resource: ResourceRequest,
                    cache: PickerCache | None = None) -> CallResourceResponse:
    """Answer one CallResource request from `routes`; `resource` holds the parsed request (parse_request)."""
    route = routes.get(resource.path)
    if route is None:
        return render_error(Shape.GRAFANA, RouteError(404, "not found", f"no resource route {resource.path!r}"))
    if request.method.upper() != "GET":
        return render_error(Shape.GRAFANA, RouteError(405, "method not allowed",
                                                      f"{request.method} is not supported; use GET"))
    try:
        if route.cached and cache is not None:
            # Everything the answer depends on: who AWS sees (the settings fingerprint, and the operator's
            # external id, which is not in it), the request, and the operator's page cap (a longer listing).
            key = (resource.identity, resource.external_id, resource.page_limit, resource.path,
                   tuple(sorted(resource.params.items())), resource.default_region, resource.custom_namespaces)
            value = cache.get_or_compute(key, lambda: route.handler(resource))
        else:
            value = route.handler(resource)
    except RouteError as exc:
        return render_error(route.shape, exc)
    except PluginError as exc:
        return render_error(route.shape, RouteError(exc.status, f"error in {resource.path} handler", exc.message))
    return render_value(route.shape, value)


def render_value(shape: Shape, value: Any) -> CallResourceResponse:
    if shape is Shape.LEGACY:
        value = [{"text": v, "value": v, "label": v} for v in value]
    return CallResourceResponse(status=200, body=json.dumps(value).encode(), headers=_JSON)


def render_error(shape: Shape, error: RouteError) -> CallResourceResponse:
    """The one error renderer: Grafana's JSON error body, or the legacy routes' plain-text 400."""
    if shape is Shape.LEGACY:
        return CallResourceResponse(status=400, body=f"unexpected error {error.error}".encode(), headers=_TEXT)
    return json_error(error.status, f"{error.message}: {error.error}", error.error)


def json_error(status: int, message: str, error: str | None = None) -> CallResourceResponse:
    """Grafana's modern-middleware error body; `error` defaults to the message (the service's own errors)."""
    body = {"Message": message, "Error": message if error is None else error, "StatusCode": status}
    return CallResourceResponse(status=status, body=json.dumps(body).encode(), headers=_JSON)


def _no_clients(region: str, service: str) -> Any:
    raise PluginError(f"no AWS client for {service} in {region}: this request has no datasource", status=500)
