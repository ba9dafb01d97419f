"""Small builders shared by the tests/cloudwatch suites: DataQuery from a dict, fixed instants, field values."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
from prometheus_client.parser import text_string_to_metric_families

from cloudwatch_datasource.backend import DataQuery, TimeRange
from cloudwatch_datasource.data import Field

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def data_query(ref_id: str = "A", model: dict[str, Any] | None = None, *, start: datetime | None = None,
               end: datetime | None = None, span: timedelta = timedelta(hours=1)) -> DataQuery:
    end = end or NOW
    start = start or end - span
    return DataQuery(ref_id=ref_id, time_range=TimeRange(ms(start), ms(end)), json=json.dumps(model or {}).encode())


def metric_stat(**overrides: Any) -> dict[str, Any]:
    model: dict[str, Any] = {
        "type": "timeSeriesQuery", "region": "us-east-1", "namespace": "AWS/EC2", "metricName": "CPUUtilization",
        "dimensions": {"InstanceId": ["i-1"]}, "statistic": "Average", "period": "60", "matchExact": True,
        "metricQueryType": 0, "metricEditorMode": 0,
    }
    model.update(overrides)
    return model


def epoch_ns(field: Field) -> list[int]:
    """A time field's values as epoch nanoseconds, whatever vector the frame builder chose."""
    return list(pa.array(field.values).cast(pa.int64()).to_pylist())


def numbers(field: Field) -> list[float]:
    return list(pa.array(field.values, type=pa.float64()).to_pylist())


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Every sample named `name` (with its `_total`/`_count`/`_sum` suffix) in a Prometheus text exposition,
    keyed by its sorted labels."""
    out: dict[tuple[tuple[str, str], ...], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                out[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def sample_sum(text: str, name: str, **labels: str) -> float:
    """The sum of the samples named `name` whose labels include `labels`."""
    return sum(value for key, value in samples(text, name).items() if set(labels.items()) <= set(key))
