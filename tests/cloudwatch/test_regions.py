"""Regions come from one source, botocore's endpoint data (cloudwatch/regions.py), and no other backend list."""

from __future__ import annotations

import ast
from pathlib import Path

import cloudwatch_datasource
from cloudwatch_datasource.cloudwatch.regions import cloudwatch_regions, partition_of

SRC = Path(cloudwatch_datasource.__file__).parent


def test_newer_regions_are_offered() -> None:
    regions = cloudwatch_regions("us-east-1")
    for newer in ("ap-east-2", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-west-1", "mx-central-1"):
        assert newer in regions
    assert list(regions) == sorted(regions) and not [r for r in regions if "fips" in r]


def test_each_partition_offers_its_own_regions() -> None:
    assert partition_of("cn-northwest-1") == "aws-cn"
    assert cloudwatch_regions("cn-north-1") == ("cn-north-1", "cn-northwest-1")
    assert cloudwatch_regions("us-gov-east-1") == ("us-gov-east-1", "us-gov-west-1")
    assert partition_of("not-a-region") == "aws" and "us-east-1" in cloudwatch_regions("")


def test_no_other_region_list_in_the_backend() -> None:
    """A literal tuple/list/set holding several region names is a second region list that will drift. The one
    exception is aws/endpoints.py's OPT_IN_REGIONS: which regions are opt-in is a fact botocore's data lacks."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if "pb" in path.parts or path.name == "endpoints.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Tuple | ast.List | ast.Set):
                regions = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
                           and e.value in cloudwatch_regions("us-east-1")]
                if len(regions) >= 3:
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert not offenders, offenders
