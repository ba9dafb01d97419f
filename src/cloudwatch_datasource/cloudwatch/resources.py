"""CallResource routes the CloudWatch query editor uses, with Grafana's paths and JSON shapes
(grafana/grafana pkg/tsdb/cloudwatch/routes/).

`regions`, `namespaces`, `metrics`, `dimension-keys`, `dimension-values`, `accounts`, `external-id`. GET
only (405 otherwise); errors are Grafana's modern-middleware JSON `{"Message","Error","StatusCode"}`; an unknown
path is a JSON 404. ListMetrics paging stops at the operator's page limit (AWS_CW_LIST_METRICS_PAGE_LIMIT).
The legacy template-variable routes (`ebs-volume-ids`, `ec2-instance-attribute`, `resource-arns`) are dispatched
from here to variables.py, which answers in Grafana's legacy shape.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from ..aws import aws_call, aws_failure
from ..backend import CallResourceRequest, CallResourceResponse
from ..cloudwatch_logs.routes import log_group_fields, log_groups
from ..errors import PluginError
from ..settings import MISSING_REGION, DataSourceSettings, region_or_default
from . import ClientFactory
from .constants import NAMESPACE_DIMENSION_KEYS, NAMESPACE_METRICS, REGIONS
from .paging import items, pages
from .variables import VARIABLE_ROUTES, VariableRequest, handle_variable_route

log = structlog.get_logger(__name__)

_JSON = {"Content-Type": ("application/json",)}


class RouteError(Exception):
    """An HTTP error for one route: status, Grafana's message prefix, and the underlying error text."""

    def __init__(self, status: int, message: str, error: str) -> None:
        super().__init__(f"{message}: {error}")
        self.status, self.message, self.error = status, message, error


@dataclass(frozen=True)
class _Context:
    params: Mapping[str, str]
    settings: DataSourceSettings
    page_limit: int
    client_for_region: ClientFactory
    external_id: str


def handle_resource(request: CallResourceRequest, *, settings: DataSourceSettings, page_limit: int,
                    client_for_region: ClientFactory, external_id: str) -> CallResourceResponse:
    path = request.path.strip("/")
    route = _ROUTES.get(path)
    if route is None and path not in VARIABLE_ROUTES:
        return _error(404, "not found", f"no resource route {path!r}")
    if request.method.upper() != "GET":
        return _error(405, "method not allowed", f"{request.method} is not supported; use GET")
    params = _query_params(request.url)
    if route is None:
        return handle_variable_route(path, VariableRequest(params, settings.effective_default_region, page_limit,
                                                           client_for_region, settings.uid))
    ctx = _Context(params, settings, page_limit, client_for_region, external_id)
    try:
        body = route(ctx)
    except RouteError as exc:
        return _error(exc.status, exc.message, exc.error)
    except PluginError as exc:
        return _error(exc.status, f"error in {path} handler", exc.message)
    return CallResourceResponse(status=200, body=json.dumps(body).encode(), headers=_JSON)


# --- routes -------------------------------------------------------------------------------------------------

def _regions(ctx: _Context) -> Any:
    default = ctx.settings.effective_default_region
    if not default:
        raise RouteError(400, "Error in Regions Handler when connecting to aws without a default region "
                         "selection", MISSING_REGION)
    names = set(REGIONS)
    try:
        ec2 = ctx.client_for_region(default, "ec2")
        with aws_call("DescribeRegions", region=default, datasource=ctx.settings.uid):
            regions = ec2.describe_regions().get("Regions", [])
        names.update(r["RegionName"] for r in regions if r.get("RegionName"))
    except PluginError as exc:  # Grafana logs and ignores it: the static list still helps
        log.warning("ec2:DescribeRegions failed, answering with the built-in region list", error=exc.message)
    return [{"value": {"name": n}} for n in sorted(names)]


def _namespaces(ctx: _Context) -> Any:
    names = set(NAMESPACE_METRICS) | {n for n in ctx.settings.custom_metrics_namespaces if n}
    return [{"value": n} for n in sorted(names)]


def _metrics(ctx: _Context) -> Any:
    region = _region(ctx)
    namespace = ctx.params.get("namespace", "")
    if not namespace:
        return [{"value": {"name": m, "namespace": ns}}
                for ns in sorted(NAMESPACE_METRICS) for m in NAMESPACE_METRICS[ns]]
    if _is_known(namespace, ctx):
        return [{"value": {"name": m, "namespace": namespace}} for m in NAMESPACE_METRICS[namespace]]
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for metric, account in _list_metrics(ctx, region, {"Namespace": namespace}):
        name = metric.get("MetricName", "")
        if (name, account) not in seen:
            item: dict[str, Any] = {"value": {"name": name, "namespace": metric.get("Namespace", namespace)}}
            if account:
                item["accountId"] = account
            seen[(name, account)] = item
    return sorted(seen.values(), key=lambda i: (i["value"]["name"], i.get("accountId", "")))


def _dimension_keys(ctx: _Context) -> Any:
    region = _region(ctx)
    namespace = ctx.params.get("namespace", "")
    metric_name = ctx.params.get("metricName", "")
    filters = _dimension_filters(ctx.params.get("dimensionFilters", ""))
    if _is_known(namespace, ctx) and not filters:
        return [{"value": k} for k in NAMESPACE_DIMENSION_KEYS.get(namespace, ())]
    if not namespace and not filters and not metric_name:
        raise RouteError(400, "error in dimension-keys handler", "namespace is required")
    params: dict[str, Any] = {}
    if namespace:
        params["Namespace"] = namespace
    if metric_name:
        params["MetricName"] = metric_name
    if filters:
        params["Dimensions"] = filters
    filtered = {f["Name"] for f in filters}
    keys: dict[tuple[str, str], None] = {}
    for metric, account in _list_metrics(ctx, region, params):
        for dim in metric.get("Dimensions") or []:
            if dim.get("Name") and dim["Name"] not in filtered:
                keys[(dim["Name"], account)] = None
    return [_with_account({"value": k}, a) for k, a in sorted(keys)]


def _dimension_values(ctx: _Context) -> Any:
    region = _region(ctx)
    key = ctx.params.get("dimensionKey", "")
    if not key:
        raise RouteError(400, "error in dimension-values handler", "dimensionKey is required")
    filters = [f for f in _dimension_filters(ctx.params.get("dimensionFilters", "")) if f["Name"] != key]
    params: dict[str, Any] = {"Dimensions": [{"Name": key}, *filters]}
    if ctx.params.get("namespace"):
        params["Namespace"] = ctx.params["namespace"]
    if ctx.params.get("metricName"):
        params["MetricName"] = ctx.params["metricName"]
    values: dict[tuple[str, str], None] = {}
    for metric, account in _list_metrics(ctx, region, params):
        for dim in metric.get("Dimensions") or []:
            if dim.get("Name") == key and dim.get("Value") is not None:
                values[(dim["Value"], account)] = None
    return [_with_account({"value": v}, a) for v, a in sorted(values)]


def _accounts(ctx: _Context) -> Any:
    region = _region(ctx)
    oam = ctx.client_for_region(region, "oam")
    try:
        with aws_call("ListSinks", region=region, datasource=ctx.settings.uid):
            sinks = list(items(oam, "list_sinks", "Items", ctx.page_limit))
        if not sinks:
            return None  # Grafana answers JSON null when this account is not a monitoring account
        sink = sinks[0]
        accounts = [{"value": {"id": _arn_account(sink.get("Arn", "")), "arn": sink.get("Arn", ""),
                               "label": sink.get("Name", ""), "isMonitoringAccount": True}}]
        with aws_call("ListAttachedLinks", region=region, datasource=ctx.settings.uid, shown_as="ListSinks"):
            links = list(items(oam, "list_attached_links", "Items", ctx.page_limit,
                               SinkIdentifier=sink.get("Arn", "")))
        for link in links:
            arn = link.get("ResourceArn") or link.get("LinkArn", "")
            accounts.append({"value": {"id": _arn_account(arn), "arn": arn, "label": link.get("Label", ""),
                                       "isMonitoringAccount": False}})
        return accounts
    except PluginError as err:
        if aws_failure(err) is None:
            raise  # the plugin's own error (an answer check, the RPC's end): Grafana's generic handler body
        if err.status == 403:
            raise RouteError(403, "error getting accounts for current user or role",
                             f"access denied. please check your IAM policy: {err.message}") from None
        raise RouteError(err.status, "error getting accounts for current user or role", err.message) from None


def _external_id(ctx: _Context) -> Any:
    # Needs no AWS config at all (GF #84229): a datasource without a region must still show it.
    return {"externalId": ctx.external_id}


_ROUTES: dict[str, Callable[[_Context], Any]] = {
    "regions": _regions,
    "namespaces": _namespaces,
    "metrics": _metrics,
    "dimension-keys": _dimension_keys,
    "dimension-values": _dimension_values,
    "accounts": _accounts,
    "external-id": _external_id,
    "log-groups": lambda ctx: log_groups(ctx.params, client=ctx.client_for_region(_region(ctx), "logs"),
                                         region=_region(ctx), datasource=ctx.settings.uid, page_limit=ctx.page_limit),
    "log-group-fields": lambda ctx: log_group_fields(ctx.params, client=ctx.client_for_region(_region(ctx), "logs"),
                                                     region=_region(ctx), datasource=ctx.settings.uid),
}


# --- helpers ------------------------------------------------------------------------------------------------

def _query_params(url: str) -> dict[str, str]:
    # Grafana sends the path plus "?query"; a URL without "?" has no parameters.
    query = urllib.parse.urlsplit(url).query
    # Blank values are kept: region="" means the default region, but an absent region is an error.
    return {k: v[0] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}


def _region(ctx: _Context) -> str:
    if "region" not in ctx.params:
        raise RouteError(400, "error in handler", "region is required")
    region = region_or_default(ctx.params["region"], ctx.settings.effective_default_region)
    if not region:
        raise RouteError(500, "error in handler", MISSING_REGION)
    return region


def _is_known(namespace: str, ctx: _Context) -> bool:
    # A namespace listed as custom is always asked of AWS, even if it shadows a built-in one.
    return namespace in NAMESPACE_METRICS and namespace not in ctx.settings.custom_metrics_namespaces


def _dimension_filters(raw: str) -> list[dict[str, str]]:
    """`{"k": "v" | ["v", ...] | null}` → ListMetrics DimensionFilters; `*`/""/null → a name-only filter."""
    if not raw.strip():
        return []
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError):
        raise RouteError(400, "error in handler", "dimensionFilters must be a JSON object") from None
    if not isinstance(parsed, dict):
        raise RouteError(400, "error in handler", "dimensionFilters must be a JSON object")
    out: list[dict[str, str]] = []
    for name, value in sorted(parsed.items()):
        values = value if isinstance(value, list) else [value]
        concrete = [v for v in values if isinstance(v, str) and v not in ("", "*")]
        if concrete:
            # ListMetrics takes one value per dimension filter; the first one narrows like Grafana does.
            out.append({"Name": name, "Value": concrete[0]})
        else:
            out.append({"Name": name})
    return out


def _list_metrics(ctx: _Context, region: str, params: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """ListMetrics pages (capped) → (metric, owning account or "")."""
    account = ctx.params.get("accountId", "").strip()
    if account:
        params["IncludeLinkedAccounts"] = True
        if account != "all":
            params["OwningAccount"] = account
    client = ctx.client_for_region(region, "cloudwatch")
    try:
        with aws_call("ListMetrics", region=region, datasource=ctx.settings.uid):
            for page in pages(client, "list_metrics", ctx.page_limit, **params):
                owners = page.get("OwningAccounts") or []
                for i, metric in enumerate(page.get("Metrics") or []):
                    yield metric, (owners[i] if i < len(owners) else "")
    except PluginError as err:
        if aws_failure(err) is None:
            raise  # the plugin's own error (an answer check, the RPC's end): Grafana's generic handler body
        raise RouteError(err.status, "error listing metrics", err.message) from None


def _with_account(item: dict[str, Any], account: str) -> dict[str, Any]:
    if account:
        item["accountId"] = account
    return item


def _arn_account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def _error(status: int, message: str, error: str) -> CallResourceResponse:
    body = {"Message": f"{message}: {error}", "Error": error, "StatusCode": status}
    return CallResourceResponse(status=status, body=json.dumps(body).encode(), headers=_JSON)
