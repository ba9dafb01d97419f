"""The CloudWatch part of "Save & test": can these credentials list metrics, and (optionally) reach Logs?

Same calls as Grafana's CheckHealth (grafana/grafana pkg/tsdb/cloudwatch/cloudwatch.go): ListMetrics(AWS/Billing,
EstimatedCharges) paged up to the page limit, and DescribeLogGroups(limit=1). One deliberate difference: a Logs
failure is a warning line that does not fail the check, so a metrics-only IAM policy (no logs:DescribeLogGroups) stays
green. The service numbers the lines and decides the overall status from `HealthLine.ok`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..aws import aws_call
from ..errors import PluginError
from .paging import pages

METRICS_OK = "Successfully queried the CloudWatch metrics API."
LOGS_OK = "Successfully queried the CloudWatch logs API."


@dataclass(frozen=True)
class HealthLine:
    ok: bool  # False fails the health check
    message: str
    warning: bool = False  # shown as a warning; `ok` stays True


def check_metrics_access(client: Any, *, page_limit: int, region: str = "", datasource: str = "") -> HealthLine:
    try:
        # Grafana's own probe: any answer, even an empty one, proves access.
        with aws_call("ListMetrics", region=region, datasource=datasource):
            for _ in pages(client, "list_metrics", page_limit, Namespace="AWS/Billing",
                           MetricName="EstimatedCharges"):
                pass
    except PluginError as err:  # a health check reports, never raises
        return HealthLine(False, f"CloudWatch metrics query failed: {_sentence(err.message)} "
                                 "Check the region and that the IAM policy allows cloudwatch:ListMetrics and "
                                 "cloudwatch:GetMetricData.")
    return HealthLine(True, METRICS_OK)


def check_logs_access(logs_client: Any, *, region: str = "", datasource: str = "") -> HealthLine:
    try:
        with aws_call("DescribeLogGroups", region=region, datasource=datasource):
            logs_client.describe_log_groups(limit=1)
    except PluginError as err:  # a health check reports, never raises
        return HealthLine(True, f"Warning: CloudWatch logs query failed: {_sentence(err.message)}"
                                " Metrics work without it; CloudWatch Logs needs logs:DescribeLogGroups.",
                          warning=True)
    return HealthLine(True, LOGS_OK)


def _sentence(message: str) -> str:
    return message if message.endswith(".") else message + "."
