"""Calling the CallResource layer in process (cloudwatch/routes.py) the way the service does, for the route suites'
unit tests; the handshake tests go through the Go host instead (tests/support/grafana_host.py)."""

from __future__ import annotations

from typing import Any

from cloudwatch_datasource.backend import CallResourceRequest, CallResourceResponse, PluginContext
from cloudwatch_datasource.cloudwatch import ClientFactory, resources, variables
from cloudwatch_datasource.cloudwatch.picker_cache import PickerCache
from cloudwatch_datasource.cloudwatch.routes import ResourceRequest, handle_resource, parse_request, route_table
from cloudwatch_datasource.cloudwatch_logs import routes as logs_routes

ROUTES = route_table(resources.ROUTES, variables.ROUTES, logs_routes.ROUTES)


def call_route(path: str, query: str = "", *, clients: ClientFactory, default_region: str = "us-east-1",
               custom_namespaces: tuple[str, ...] = (), page_limit: int = 500, external_id: str = "",
               method: str = "GET", cache: PickerCache | None = None, identity: Any = "test") -> CallResourceResponse:
    request = CallResourceRequest(context=PluginContext(), path=path, method=method,
                                  url=f"{path}?{query}" if query else path)
    path_, params = parse_request(request)
    resource = ResourceRequest(path_, params, default_region=default_region, custom_namespaces=custom_namespaces,
                               page_limit=page_limit, clients=clients, external_id=external_id, identity=identity)
    return handle_resource(request, ROUTES, resource, cache)
