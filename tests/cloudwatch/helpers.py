"""Small builders shared by the tests/cloudwatch suites: DataQuery from a dict, fixed instants."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from cloudwatch_datasource.backend import DataQuery, TimeRange

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
