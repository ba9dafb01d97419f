"""Paged AWS calls: botocore's paginators, stopped after a page cap.

One way to page for the whole package (GetMetricData, ListMetrics, OAM listings, the template variables'
DescribeInstances and GetResources). botocore's paginator follows NextToken with the same request parameters on
every page (so GetMetricData's EndTime never moves) and refuses a token that repeats; the cap is ours, because a
runaway chain must not pin a gRPC worker: the operator's AWS_CW_LIST_METRICS_PAGE_LIMIT for listings, a fixed
bound for GetMetricData.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def pages(client: Any, operation: str, page_limit: int, **params: Any) -> Iterator[dict[str, Any]]:
    """Up to `page_limit` (≥ 1) response pages of `operation` (a botocore method name, e.g. "list_metrics").
    The last page yielded still carries its NextToken when the cap stopped the chain."""
    for number, page in enumerate(client.get_paginator(operation).paginate(**params), start=1):
        yield page
        if number >= max(1, page_limit):
            return


def items(client: Any, operation: str, key: str, page_limit: int, **params: Any) -> Iterator[dict[str, Any]]:
    """The `key` list of every page, flattened."""
    for page in pages(client, operation, page_limit, **params):
        yield from page.get(key) or []
