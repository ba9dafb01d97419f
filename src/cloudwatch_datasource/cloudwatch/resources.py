"""The CloudWatch editor's resource routes, with Grafana's paths and JSON shapes
(grafana/grafana pkg/tsdb/cloudwatch/routes/): `regions`, `namespaces`, `metrics`, `dimension-keys`,
`dimension-values`, `accounts`, `external-id`.

Each route reads its parameters from the ResourceRequest (routes.py: parsing, errors and the picker cache live
there) and calls a function of plain values. Known AWS namespaces are answered from namespaces.py's data file;
custom ones (and any namespace the datasource lists as custom) from ListMetrics, whose paging stops at the
operator's page limit (AWS_CW_LIST_METRICS_PAGE_LIMIT). The ListMetrics-backed routes are cached (picker_cache.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from ..aws import aws_call, aws_failure
from ..errors import PluginError
from ..settings import MISSING_REGION
from .namespaces import known_namespaces
from .paging import items, pages
from .regions import cloudwatch_regions
from .routes import ResourceRequest, Route, RouteError

log = structlog.get_logger(__name__)

# ListMetrics takes at most 10 dimension filters (ListMetrics API reference, `Dimensions`: "Maximum number of
# 10 items").
MAX_DIMENSION_FILTERS = 10


# --- routes -------------------------------------------------------------------------------------------------

def _regions(request: ResourceRequest) -> Any:
    if not request.default_region:
        raise RouteError(400, "Error in Regions Handler when connecting to aws without a default region "
                         "selection", MISSING_REGION)
    return region_answer(request.default_region, request.clients, request.datasource)


def _namespaces(request: ResourceRequest) -> Any:
    return [{"value": n} for n in sorted(set(known_namespaces()) | {n for n in request.custom_namespaces if n})]


def _metrics(request: ResourceRequest) -> Any:
    region = request.region()
    namespace = request.param("namespace")
    known = known_namespaces()
    if not namespace:
        return [{"value": {"name": m, "namespace": ns}} for ns in sorted(known) for m in known[ns].metrics]
    if _is_known(namespace, request.custom_namespaces):
        return [{"value": {"name": m, "namespace": namespace}} for m in known[namespace].metrics]
    listing = _listing(request, region)
    return metric_names(listing, {"Namespace": namespace})


def _dimension_keys(request: ResourceRequest) -> Any:
    region = request.region()
    namespace, metric_name = request.param("namespace"), request.param("metricName")
    filters = dimension_filters(request.json_param("dimensionFilters"))
    if _is_known(namespace, request.custom_namespaces) and not filters:
        keys = known_namespaces()[namespace].dimension_keys
        if keys:  # a namespace whose keys the file does not list (AWS/EC2/API, ...) is asked of ListMetrics
            return [{"value": k} for k in keys]
    if not namespace and not filters and not metric_name:
        raise RouteError(400, "error in dimension-keys handler", "namespace is required")
    return dimension_keys(_listing(request, region), namespace, metric_name, filters)


def _dimension_values(request: ResourceRequest) -> Any:
    region = request.region()
    key = request.param("dimensionKey")
    if not key:
        raise RouteError(400, "error in dimension-values handler", "dimensionKey is required")
    filters = [f for f in dimension_filters(request.json_param("dimensionFilters")) if f.name != key]
    return dimension_values(_listing(request, region), request.param("namespace"), request.param("metricName"),
                            key, filters)


def _accounts(request: ResourceRequest) -> Any:
    region = request.region()
    return monitoring_accounts(request.clients(region, "oam"), region, request.page_limit, request.datasource)


def _external_id(request: ResourceRequest) -> Any:
    # Needs no AWS config at all (GF #84229): a datasource without a region must still show it.
    return {"externalId": request.external_id}


ROUTES: dict[str, Route] = {
    "regions": Route(_regions),
    "namespaces": Route(_namespaces),
    "metrics": Route(_metrics, cached=True),
    "dimension-keys": Route(_dimension_keys, cached=True),
    "dimension-values": Route(_dimension_values, cached=True),
    "accounts": Route(_accounts),
    "external-id": Route(_external_id),
}


# --- answers from plain values -------------------------------------------------------------------------------

def region_answer(default_region: str, clients: Any, datasource: str) -> list[dict[str, Any]]:
    """botocore's regions of the default region's partition, plus what ec2:DescribeRegions adds (the account's
    enabled regions); DescribeRegions failing is logged and ignored, as Grafana does: the list still helps."""
    names = set(cloudwatch_regions(default_region))
    try:
        ec2 = clients(default_region, "ec2")
        with aws_call("DescribeRegions", region=default_region, datasource=datasource):
            regions = ec2.describe_regions().get("Regions", [])
        names.update(r["RegionName"] for r in regions if r.get("RegionName"))
    except PluginError as exc:
        log.warning("ec2:DescribeRegions failed, answering with botocore's region list", error=exc.message)
    return [{"value": {"name": n}} for n in sorted(names)]


@dataclass(frozen=True)
class DimensionFilter:
    """One `dimensionFilters` entry: a name, and the values a metric's dimension may have (none: any value)."""

    name: str
    values: tuple[str, ...]

    def list_metrics_filter(self) -> dict[str, str]:
        # ListMetrics matches one value per filter; several values are matched here, after the call.
        return {"Name": self.name, "Value": self.values[0]} if len(self.values) == 1 else {"Name": self.name}

    def matches(self, dimensions: Mapping[str, str]) -> bool:
        return self.name in dimensions and (not self.values or dimensions[self.name] in self.values)


def dimension_filters(parsed: Any) -> list[DimensionFilter]:
    """Grafana's `dimensionFilters`: `{"name": "v" | ["v", ...] | null}`. A value of "*" or "" (or null, or no
    values) means "has this dimension, any value" (grafana/grafana pkg/tsdb/cloudwatch/models/resources,
    parseDimensionFilter). Several concrete values mean "any of them": ListMetrics is asked by name and the
    answer narrowed here, where Grafana would send one filter per value (which AWS ANDs, matching nothing)."""
    if parsed is None:
        return []
    if not isinstance(parsed, dict):
        raise RouteError(400, "error in handler", "dimensionFilters must be a JSON object")
    out: list[DimensionFilter] = []
    for name, value in sorted(parsed.items()):
        values = value if isinstance(value, list) else [value]
        if not all(v is None or isinstance(v, str) for v in values):
            raise RouteError(400, "error in handler", f"dimensionFilters[{name!r}] must be a string or a list of "
                                                      "strings")
        concrete = tuple(dict.fromkeys(v for v in values if v not in (None, "", "*")))
        out.append(DimensionFilter(name, () if len(concrete) < len(values) else concrete))
    if len(out) > MAX_DIMENSION_FILTERS:
        raise RouteError(400, "error in handler", f"at most {MAX_DIMENSION_FILTERS} dimension filters (a "
                                                  f"ListMetrics limit); got {len(out)}")
    return out


# ListMetrics parameters → (metric, owning account or "") of every page, up to the page cap.
Listing = Callable[[dict[str, Any]], Iterator[tuple[dict[str, Any], str]]]


def metric_names(listing: Listing, params: dict[str, Any]) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for metric, account in listing(params):
        name = metric.get("MetricName", "")
        if (name, account) not in seen:
            seen[(name, account)] = _with_account(
                {"value": {"name": name, "namespace": metric.get("Namespace", params["Namespace"])}}, account)
    return sorted(seen.values(), key=lambda i: (i["value"]["name"], i.get("accountId", "")))


def dimension_keys(listing: Listing, namespace: str, metric_name: str,
                   filters: list[DimensionFilter]) -> list[dict[str, Any]]:
    """The dimension names of the matching metrics, except the filtered ones (Grafana's rule)."""
    filtered = {f.name for f in filters}
    keys: dict[tuple[str, str], None] = {}
    for dims, account in _matching(listing, namespace, metric_name, filters):
        for name in dims:
            if name not in filtered:
                keys[(name, account)] = None
    return [_with_account({"value": k}, a) for k, a in sorted(keys)]


def dimension_values(listing: Listing, namespace: str, metric_name: str, key: str,
                     filters: list[DimensionFilter]) -> list[dict[str, Any]]:
    values: dict[tuple[str, str], None] = {}
    for dims, account in _matching(listing, namespace, metric_name, [DimensionFilter(key, ()), *filters]):
        values[(dims[key], account)] = None
    return [_with_account({"value": v}, a) for v, a in sorted(values)]


def monitoring_accounts(oam: Any, region: str, page_limit: int, datasource: str) -> Any:
    """The monitoring account (its sink) and the source accounts linked to it; JSON null when this account is
    not a monitoring account, as Grafana answers."""
    try:
        with aws_call("ListSinks", region=region, datasource=datasource):
            sinks = list(items(oam, "list_sinks", "Items", page_limit))
        if not sinks:
            return None
        sink = sinks[0]
        accounts = [{"value": {"id": _arn_account(sink.get("Arn", "")), "arn": sink.get("Arn", ""),
                               "label": sink.get("Name", ""), "isMonitoringAccount": True}}]
        with aws_call("ListAttachedLinks", region=region, datasource=datasource, shown_as="ListSinks"):
            links = list(items(oam, "list_attached_links", "Items", page_limit, SinkIdentifier=sink.get("Arn", "")))
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


# --- helpers ------------------------------------------------------------------------------------------------

def _is_known(namespace: str, custom_namespaces: tuple[str, ...]) -> bool:
    # A namespace listed as custom is always asked of AWS, even if it shadows a known one.
    return namespace in known_namespaces() and namespace not in custom_namespaces


def _matching(listing: Listing, namespace: str, metric_name: str, filters: list[DimensionFilter]
              ) -> Iterator[tuple[dict[str, str], str]]:
    """(dimensions as a dict, account) of every listed metric every filter matches."""
    params: dict[str, Any] = {}
    if namespace:
        params["Namespace"] = namespace
    if metric_name:
        params["MetricName"] = metric_name
    if filters:
        params["Dimensions"] = [f.list_metrics_filter() for f in filters]
    for metric, account in listing(params):
        dims = {d["Name"]: d.get("Value", "") for d in metric.get("Dimensions") or [] if d.get("Name")}
        if all(f.matches(dims) for f in filters):
            yield dims, account


def _listing(request: ResourceRequest, region: str) -> Listing:
    """ListMetrics for this request: its region, account selection, page cap and datasource."""
    account = request.param("accountId").strip()
    client = request.clients(region, "cloudwatch")

    def listing(params: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
        if account:
            params["IncludeLinkedAccounts"] = True
            if account != "all":
                params["OwningAccount"] = account
        yield from list_metrics(client, region, params, request.page_limit, request.datasource)

    return listing


def list_metrics(client: Any, region: str, params: dict[str, Any], page_limit: int, datasource: str
                 ) -> Iterator[tuple[dict[str, Any], str]]:
    """ListMetrics pages (capped) → (metric, owning account or "")."""
    try:
        with aws_call("ListMetrics", region=region, datasource=datasource):
            for page in pages(client, "list_metrics", page_limit, **params):
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
