"""The logs editor's CallResource routes, with Grafana's paths, parameters and JSON shapes (grafana/grafana
pkg/tsdb/cloudwatch routes/log_groups.go, routes/log_group_fields.go, services/log_groups.go,
models/resources/log_groups_resource_request.go; facts only). Plain functions: parameters in, JSON-able values
out, a PluginError (its status kept) for what cannot be answered; `ROUTES` adapts them to the route layer
(cloudwatch/routes.py), and service.py adds it to its table.

- `log-groups?region=&logGroupNamePrefix=|logGroupPattern=&accountId=&limit=&listAllLogGroups=` → DescribeLogGroups;
  `[{"value": {"arn", "name"}, "accountId"}]` sorted as Grafana sorts (exact match, then prefix, then substring
  of the search term, then by name). `limit` defaults to 50 (DescribeLogGroups' maximum page); with
  `listAllLogGroups=true` every page is read, up to the operator's page limit. `accountId` (a monitoring account)
  adds `includeLinkedAccounts` and, unless it is `all`, that account as `accountIdentifiers`. The log-groups
  template variable of Grafana's frontend is answered by this route too.
- `log-group-fields?region=&logGroupName=|logGroupArn=` → GetLogGroupFields; `[{"value": {"name", "percent"}}]`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..aws import aws_call
from ..cloudwatch.paging import pages
from ..cloudwatch.routes import ResourceRequest, Route
from ..errors import PluginError

MAX_PAGE = 50  # DescribeLogGroups' `limit` maximum


def log_groups(params: Mapping[str, str], *, client: Any, region: str, datasource: str, page_limit: int
               ) -> list[dict[str, Any]]:
    prefix = params.get("logGroupNamePrefix", "")
    pattern = params.get("logGroupPattern", "")
    if prefix and pattern:
        raise PluginError("cannot set both log group name prefix and pattern", status=400)
    request: dict[str, Any] = {"limit": _limit(params.get("limit", ""))}
    if prefix:
        request["logGroupNamePrefix"] = prefix
    if pattern:
        request["logGroupNamePattern"] = pattern
    account = params.get("accountId", "").strip()
    if account:
        request["includeLinkedAccounts"] = True
        if account != "all":
            request["accountIdentifiers"] = [account]
    list_all = params.get("listAllLogGroups", "") == "true"
    found: list[dict[str, Any]] = []
    with aws_call("DescribeLogGroups", region=region, datasource=datasource):
        for page in pages(client, "describe_log_groups", page_limit if list_all else 1, **request):
            for group in page.get("logGroups") or []:
                arn, name = group.get("arn"), group.get("logGroupName")
                if isinstance(arn, str) and isinstance(name, str):
                    found.append({"value": {"arn": arn, "name": name}, "accountId": _account(arn)})
    term = (pattern or prefix).lower()
    found.sort(key=lambda g: (_priority(g["value"]["name"].lower(), term), g["value"]["name"].lower(),
                              g["value"]["name"], g["accountId"], g["value"]["arn"]))
    return found


def log_group_fields(params: Mapping[str, str], *, client: Any, region: str, datasource: str
                     ) -> list[dict[str, Any]]:
    name, arn = params.get("logGroupName", ""), params.get("logGroupArn", "")
    if not name and not arn:
        raise PluginError("you need to specify either logGroupName or logGroupArn", status=400)
    # GetLogGroupFields takes an ARN as logGroupIdentifier, without the trailing ":*" DescribeLogGroups shows.
    request = {"logGroupName": name} if name else {"logGroupIdentifier": arn.removesuffix("*").removesuffix(":")}
    with aws_call("GetLogGroupFields", region=region, datasource=datasource):
        answer = client.get_log_group_fields(**request)
    return [{"value": {"name": f["name"], "percent": _percent(f.get("percent"))}}
            for f in answer.get("logGroupFields") or [] if isinstance(f.get("name"), str)]


def _percent(raw: Any) -> int:
    """GetLogGroupFields' `percent` (0..100). botocore hands a JSON value over as the endpoint sent it, so text
    or an out-of-range number from a broken endpoint is 0 or clamped, not an exception."""
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw != raw:  # noqa: PLR0124 - NaN
        return 0
    return int(max(0, min(100, raw)))


def _log_groups_route(request: ResourceRequest) -> Any:
    region = request.region()
    return log_groups(request.params, client=request.clients(region, "logs"), region=region,
                      datasource=request.datasource, page_limit=request.page_limit)


def _log_group_fields_route(request: ResourceRequest) -> Any:
    region = request.region()
    return log_group_fields(request.params, client=request.clients(region, "logs"), region=region,
                            datasource=request.datasource)


# Not cached: log groups come and go, and a picker search is one DescribeLogGroups call.
ROUTES: dict[str, Route] = {
    "log-groups": Route(_log_groups_route),
    "log-group-fields": Route(_log_group_fields_route),
}


def _limit(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        return MAX_PAGE
    return min(value, MAX_PAGE) if value > 0 else MAX_PAGE


def _priority(name: str, term: str) -> int:
    if not term:
        return 0
    if name == term:
        return 0
    if name.startswith(term):
        return 1
    return 2 if term in name else 3


def _account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""
