"""Logs Insights queries as DataQuery values for the tests of cloudwatch_logs/ (no process): one time range, and
Grafana's logs query JSON with the fields a test changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from cloudwatch_datasource.backend import DataQuery, TimeRange

END = datetime(2026, 6, 1, 13, 0, tzinfo=UTC)
START = END - timedelta(hours=1)
WEB_GROUP = {"arn": "arn:aws:logs:us-east-1:123456789012:log-group:/app/web:*", "name": "/app/web"}


def dq(model: dict[str, Any], ref_id: str = "A") -> DataQuery:
    """One query over START..END."""
    return DataQuery(ref_id=ref_id, time_range=TimeRange(int(START.timestamp() * 1000), int(END.timestamp() * 1000)),
                     json=json.dumps(model).encode())


def logs_model(**extra: Any) -> dict[str, Any]:
    """A Logs Insights query of the /app/web log group as the editor saves it, with `extra` on top."""
    return {"queryMode": "Logs", "region": "us-east-1", "expression": "fields @timestamp, @message",
            "logGroups": [dict(WEB_GROUP)], **extra}
