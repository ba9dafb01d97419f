"""The CloudWatch part of "Save & test", and of `cloudwatch-datasource doctor`: can these credentials be resolved,
whose are they, can they list metrics, and (optionally) reach Logs?

One module for both callers: `check_access` makes the AWS calls and returns what each found (`AccessReport`);
the service numbers `health_lines` into the health message, the doctor prints the same findings its own way.

Same calls as Grafana's CheckHealth (grafana/grafana pkg/tsdb/cloudwatch/cloudwatch.go): ListMetrics(AWS/Billing,
EstimatedCharges) paged up to the page limit, and DescribeLogGroups(limit=1); plus sts:GetCallerIdentity for the
identity line. One deliberate difference: a Logs failure is a warning line that does not fail the check, so a
metrics-only IAM policy (no logs:DescribeLogGroups) stays green. A health check reports, it never raises.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from .. import deadlines
from ..aws import AwsSession, aws_call, recent_failures
from ..errors import PluginError
from .paging import pages

METRICS_OK = "Successfully queried the CloudWatch metrics API."
LOGS_OK = "Successfully queried the CloudWatch logs API."


@dataclass(frozen=True)
class HealthLine:
    ok: bool  # False fails the health check
    message: str
    warning: bool = False  # shown as a warning; `ok` stays True


@dataclass(frozen=True)
class AccessReport:
    """What `check_access` found. With `credentials_error` set nothing else was tried."""

    region: str
    credentials_source: str = ""
    credentials_error: str = ""
    identity: str = ""
    identity_error: str = ""
    metrics: HealthLine | None = None
    logs: HealthLine | None = None

    @property
    def ok(self) -> bool:
        return not self.credentials_error and self.metrics is not None and self.metrics.ok


def check_access(session: AwsSession, *, page_limit: int, check_logs: bool = True) -> AccessReport:
    """Resolve the credentials, then ask STS, CloudWatch and (with `check_logs`) Logs at once: run together, a
    hung endpoint costs one timeout, not three. Each call runs in the caller's RequestScope (pool threads do not
    inherit the caller's context), so the RPC's deadline stops all of them."""
    try:
        source = session.credentials_source()
    except PluginError as exc:
        return AccessReport(session.region, credentials_error=exc.message)
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="health") as pool:
        identity_call = pool.submit(deadlines.run_in_scope(_identity), session)
        metrics_call = pool.submit(deadlines.run_in_scope(_metrics_line), session, page_limit)
        logs_call = pool.submit(deadlines.run_in_scope(_logs_line), session) if check_logs else None
    identity, identity_error = identity_call.result()
    return AccessReport(session.region, credentials_source=source, identity=identity, identity_error=identity_error,
                        metrics=metrics_call.result(), logs=logs_call.result() if logs_call else None)


def health_lines(report: AccessReport, auth_label: str) -> list[str]:
    """The health message's lines, in order (the service numbers them)."""
    if report.credentials_error:
        return [f"Authentication failed: {report.credentials_error}"]
    lines = [f"Authentication: {auth_label}, credentials from {report.credentials_source}."]
    lines.append(f"Identity: {report.identity}." if report.identity else
                 f"Identity: could not call sts:GetCallerIdentity: {report.identity_error}")
    lines += [line.message for line in (report.metrics, report.logs) if line is not None]
    return lines


def recent_failures_line(uid: str) -> str:
    """The AWS layer's view (aws/calls.py): which operations failed in the last minutes and why, newest first; the
    reasons are the described messages, already free of secrets (and scrubbed again with the whole answer)."""
    failed = recent_failures(uid)
    if not failed:
        return ""
    now = time.time()
    return "; ".join(f"{f.operation} in {f.region or 'no region'}, {int(now - f.at) // 60} min ago: {f.message}"
                     for f in failed[:5])


def check_metrics_access(client: Any, *, page_limit: int, region: str = "", datasource: str = "") -> HealthLine:
    try:
        # Grafana's own probe: any answer, even an empty one, proves access.
        with aws_call("ListMetrics", region=region, datasource=datasource):
            for _ in pages(client, "list_metrics", page_limit, Namespace="AWS/Billing",
                           MetricName="EstimatedCharges"):
                pass
    except PluginError as err:
        return HealthLine(False, f"CloudWatch metrics query failed: {_sentence(err.message)} "
                                 "Check the region and that the IAM policy allows cloudwatch:ListMetrics and "
                                 "cloudwatch:GetMetricData.")
    return HealthLine(True, METRICS_OK)


def check_logs_access(logs_client: Any, *, region: str = "", datasource: str = "") -> HealthLine:
    try:
        with aws_call("DescribeLogGroups", region=region, datasource=datasource):
            logs_client.describe_log_groups(limit=1)
    except PluginError as err:
        return HealthLine(True, f"Warning: CloudWatch logs query failed: {_sentence(err.message)}"
                                " Metrics work without it; CloudWatch Logs needs logs:DescribeLogGroups.",
                          warning=True)
    return HealthLine(True, LOGS_OK)


def _identity(session: AwsSession) -> tuple[str, str]:
    try:
        return session.caller_identity(), ""
    except PluginError as exc:  # reported as a line; the metrics check decides the status
        return "", exc.message


def _metrics_line(session: AwsSession, page_limit: int) -> HealthLine:
    try:
        client = session.client("cloudwatch")
    except PluginError as exc:
        return HealthLine(False, f"CloudWatch metrics query failed: {exc.message}")
    return check_metrics_access(client, page_limit=page_limit, region=session.region, datasource=session.uid)


def _logs_line(session: AwsSession) -> HealthLine:
    try:
        client = session.client("logs")
    except PluginError as exc:
        return HealthLine(True, f"Warning: CloudWatch logs API not checked: {exc.message}", warning=True)
    return check_logs_access(client, region=session.region, datasource=session.uid)


def _sentence(message: str) -> str:
    return message if message.endswith(".") else message + "."
