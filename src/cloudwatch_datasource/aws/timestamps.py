"""botocore's timestamp parsing, made cheap for epoch numbers (the form GetMetricData's Timestamps arrive in).

botocore's default parser turns every epoch number into a datetime in dateutil's `tzlocal()`, built anew for
each value: about 6 µs a point, two thirds of the plugin's CPU time for a large GetMetricData answer (profiled in
docs/benchmarks.md), and the per-point `tzlocal.utcoffset` calls make the frames stage slow again when pyarrow
converts them. The same instant as a datetime in `timezone.utc` costs about 0.2 µs and converts in C. Strings
(ISO 8601 in XML/query answers, e.g. STS credential expirations) and anything unusual keep botocore's parser.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.utils import parse_timestamp


def parse_aws_timestamp(value: Any) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            pass
    parsed: datetime = parse_timestamp(value)
    return parsed
