"""The regions the editor offers: botocore's endpoint data for the default region's partition.

One source for the whole backend: botocore ships AWS's endpoint data (botocore/data/endpoints.json), so a newer
botocore brings newer regions (ap-east-2, ap-southeast-5/6/7, ca-west-1, mx-central-1 in 1.44) without an edit
here. The `regions` route merges this list with ec2:DescribeRegions (what the account has enabled), as Grafana
does (grafana/grafana pkg/tsdb/cloudwatch/routes/regions.go), and falls back to it alone when that call fails.
"""

from __future__ import annotations

import functools

import botocore.loaders
import botocore.regions

DEFAULT_PARTITION = "aws"
_ENDPOINT_PREFIX = "monitoring"  # CloudWatch's endpoint prefix in botocore's endpoint data


@functools.cache
def _resolver() -> botocore.regions.EndpointResolver:
    # botocore's own reader of its bundled endpoints.json: no credentials, no call.
    return botocore.regions.EndpointResolver(botocore.loaders.create_loader().load_data("endpoints"))


def partition_of(region: str) -> str:
    """The partition (aws, aws-cn, aws-us-gov, ...) that lists `region` or whose region pattern matches it;
    "aws" for anything else (a typo, a custom endpoint's made-up region)."""
    try:
        return str(_resolver().get_partition_for_region(region))
    except Exception:  # noqa: BLE001 - botocore's UnknownRegionError: no partition claims this name
        return DEFAULT_PARTITION


@functools.cache
def cloudwatch_regions(region: str) -> tuple[str, ...]:
    """Every region of `region`'s partition with a CloudWatch endpoint in botocore's data, sorted (FIPS-only
    pseudo-regions such as fips-us-east-1 are not regions and are left out, as botocore's
    get_available_regions does)."""
    endpoints = _resolver().get_available_endpoints(_ENDPOINT_PREFIX, partition_of(region))
    return tuple(sorted(e for e in endpoints if "fips" not in e))
