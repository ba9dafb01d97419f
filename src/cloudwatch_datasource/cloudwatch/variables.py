"""The legacy CallResource routes behind Grafana's CloudWatch template-variable queries
(handleGetEbsVolumeIds and its siblings in grafana/grafana pkg/tsdb/cloudwatch/; docs/queries.md,
"Template-variable routes"):
`ebs-volume-ids`, `ec2-instance-attribute` and `resource-arns`.

They keep Grafana's legacy handler shape (routes.py, `Shape.LEGACY`), not the modern one of resources.py: success
is a JSON array of `{"text", "value", "label"}`, and every error is HTTP 400 with the plain-text body
`unexpected error <message>`.
`region` absent, "" or "default" means the datasource's default region. Listings stop at the operator's page cap
(AWS_CW_LIST_METRICS_PAGE_LIMIT), like every other listing of the plugin.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from ..aws import aws_call, scrub
from .paging import items
from .routes import ResourceRequest, Route, RouteError, Shape

_TAG_PREFIX = "Tags."


def _unanswerable(message: str) -> RouteError:
    """A request this route cannot answer; rendered as Grafana's `unexpected error <message>`."""
    return RouteError(400, "unexpected error", message)


# --- routes -------------------------------------------------------------------------------------------------

def ebs_volume_ids(request: ResourceRequest) -> list[str]:
    """The EBS volume ids attached to the `instanceId` instances, in DescribeInstances order."""
    instance_ids = _multi_value(request.params.get("instanceId", ""))
    if not instance_ids:
        # Without ids DescribeInstances would list every instance of the region: not what the variable asks for.
        raise _unanswerable("instanceId is required")
    ec2 = _client(request, "ec2")
    volumes: dict[str, None] = {}
    for instance in _describe_instances(ec2, request, InstanceIds=instance_ids):
        for mapping in instance.get("BlockDeviceMappings") or []:
            volume_id = (mapping.get("Ebs") or {}).get("VolumeId")
            if volume_id:
                volumes[volume_id] = None
    return list(volumes)


def ec2_instance_attribute(request: ResourceRequest) -> list[str]:
    """One attribute (`Tags.<key>` or a path of Instance fields) of every instance the filters match, unique
    and sorted. Instances without a value for it (no such tag, no private IP once terminated) add nothing."""
    attribute = request.params.get("attributeName", "").strip()
    if not attribute:
        raise _unanswerable("attributeName is required")
    pairs = _json_lists("filters", request.params, example='{"tag:Team": ["web"]}')
    # A filter with no values is a row nothing was picked in yet (or a variable that expanded to nothing): no
    # filter on that name, rather than a value-less EC2 filter whose meaning EC2 does not document.
    filters = [{"Name": name, "Values": values} for name, values in pairs if values]
    params: dict[str, Any] = {"Filters": filters} if filters else {}
    ec2 = _client(request, "ec2")
    read = _attribute_reader(attribute, ec2)
    found = {value for instance in _describe_instances(ec2, request, **params)
             if (value := read(instance)) is not None}
    return sorted(found)


def resource_arns(request: ResourceRequest) -> list[str]:
    """The ARNs of the `resourceType` resources carrying the `tags` (key → values; no values means any value)."""
    params: dict[str, Any] = {}
    resource_type = request.params.get("resourceType", "").strip()
    if resource_type:
        params["ResourceTypeFilters"] = [resource_type]
    tag_filters = [{"Key": key, "Values": values} if values else {"Key": key}
                   for key, values in _json_lists("tags", request.params, example='{"Team": ["web"]}')]
    if tag_filters:
        params["TagFilters"] = tag_filters
    tagging = _client(request, "resourcegroupstaggingapi")
    arns: dict[str, None] = {}
    for resource in _listing(tagging, "get_resources", "ResourceTagMappingList", request.page_limit,
                             "tag:GetResources", region=request.region_or_default(),
                             datasource=request.datasource,
                             **params):
        if resource.get("ResourceARN"):
            arns[resource["ResourceARN"]] = None
    return list(arns)


ROUTES: dict[str, Route] = {
    "ebs-volume-ids": Route(ebs_volume_ids, Shape.LEGACY),
    "ec2-instance-attribute": Route(ec2_instance_attribute, Shape.LEGACY),
    "resource-arns": Route(resource_arns, Shape.LEGACY),
}


# --- helpers ------------------------------------------------------------------------------------------------

def _client(request: ResourceRequest, service_name: str) -> Any:
    return request.clients(request.region_or_default(), service_name)


def _describe_instances(ec2: Any, request: ResourceRequest, **params: Any) -> Iterator[dict[str, Any]]:
    """Every instance of every reservation DescribeInstances returns (pages capped)."""
    for reservation in _listing(ec2, "describe_instances", "Reservations", request.page_limit,
                                "ec2:DescribeInstances", region=request.region_or_default(),
                                datasource=request.datasource,
                                **params):
        yield from reservation.get("Instances") or []


def _listing(client: Any, operation: str, key: str, page_limit: int, iam_action: str, *, region: str,
             datasource: str, **params: Any) -> Iterator[dict[str, Any]]:
    """paging.items with AWS failures described (naming `iam_action`) for Grafana's `unexpected error` body."""
    with aws_call(iam_action.partition(":")[2], region=region, datasource=datasource, shown_as=iam_action):
        yield from items(client, operation, key, page_limit, **params)


def _multi_value(raw: str) -> list[str]:
    """Grafana's multi-value variable syntax: `{i-1,i-2}` → ["i-1", "i-2"]; anything else is one value."""
    text = raw.strip()
    values = text[1:].removesuffix("}").split(",") if text.startswith("{") else [text]
    return list(dict.fromkeys(v.strip() for v in values if v.strip()))


def _json_lists(name: str, params: Mapping[str, str], *, example: str) -> Iterable[tuple[str, list[str]]]:
    """A `{"key": ["value", ...]}` parameter as (key, values) pairs; absent or blank means none. A key whose
    value is null is left out, as Grafana does."""
    raw = params.get(name, "")
    if not raw.strip():
        return []
    problem = f"expected a JSON object mapping each name to a list of strings, e.g. {example}"
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise _unanswerable(f"error parsing {name}: {problem} ({exc})") from None
    if not isinstance(parsed, dict):
        raise _unanswerable(f"error parsing {name}: {problem}")
    pairs: list[tuple[str, list[str]]] = []
    for key, values in sorted(parsed.items()):
        if values is None:
            continue
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise _unanswerable(f"error parsing {name}: {problem}")
        pairs.append((key, values))
    return pairs


def _attribute_reader(attribute: str, ec2: Any) -> Callable[[dict[str, Any]], str | None]:
    """A function reading `attribute` from one DescribeInstances instance, or None when it has no value.

    A struct path is checked against botocore's EC2 model first, as Grafana's reflection over the Go SDK's
    Instance struct does: a misspelt or non-text field is an error, not an empty list.
    """
    if attribute.startswith(_TAG_PREFIX):
        key = attribute[len(_TAG_PREFIX):]

        def tag_value(instance: dict[str, Any]) -> str | None:
            return next((t.get("Value") for t in instance.get("Tags") or [] if t.get("Key") == key), None)

        return tag_value
    path = attribute.split(".")
    shape = ec2.meta.service_model.shape_for("Instance")
    for field in path:
        shape = getattr(shape, "members", {}).get(field)
        if shape is None:
            break
    if shape is None or shape.type_name not in ("string", "timestamp", "boolean", "integer", "long"):
        raise _unanswerable(f"invalid attribute path {scrub(attribute[:100])!r}: use Tags.<key> or a text "
                                 "field of an EC2 instance such as InstanceId, InstanceType or "
                                 "Placement.AvailabilityZone")

    def field_value(instance: dict[str, Any]) -> str | None:
        value: Any = instance
        for field in path:
            value = value.get(field) if isinstance(value, dict) else None
        if isinstance(value, datetime):
            return _go_time_string(value)
        if isinstance(value, bool):  # Go prints true/false (EbsOptimized, EnaSupport)
            return str(value).lower()
        if isinstance(value, int):  # AmiLaunchIndex, CpuOptions.CoreCount
            return str(value)
        return value if isinstance(value, str) else None

    return field_value


def _go_time_string(moment: datetime) -> str:
    # Grafana prints a time field (LaunchTime) with Go's time.String(): "2026-01-02 15:04:05 +0000 UTC".
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    fraction = f".{utc.microsecond:06d}".rstrip("0") if utc.microsecond else ""
    return f"{utc:%Y-%m-%d %H:%M:%S}{fraction} +0000 UTC"
