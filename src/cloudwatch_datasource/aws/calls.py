"""The one way to make an AWS call outside this package: `with aws_call("ListMetrics", region=..., datasource=...)`.

Inside the block, anything botocore raises (ClientError, BotoCoreError and their kin, see aws_errors.py) leaves as
the PluginError `describe_error` makes of it (DownstreamError, SettingsError, ... as aws_errors.py decides), carrying
an `AwsFailure` that `aws_failure(err)` returns: the AWS error code and text a caller may need to decide
(GetMetricData blames a query by the Id AWS quotes), and tells an AWS failure from the plugin's own errors. A
PluginError raised inside (one of the plugin's own checks of an answer, the body check hook in sessions.py) leaves
as it is. Either way the failure is counted (`cloudwatch_plugin_aws_errors_total`, `…_aws_throttles_total`) and
remembered for the health check ("which operations failed recently and why"), unless the RPC itself had ended
(deadlines.py): then the scope's own 504 error is raised, since the call's failure was only the consequence.

Calls and latency are counted by botocore hooks (sessions.py), once per API call, whoever makes it (the
credential providers' STS calls included): the botocore events are documented in botocore/client.py
(`_make_api_call`: before-call, after-call, after-call-error).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from botocore.exceptions import ClientError

from .. import deadlines, metrics
from ..errors import PluginError
from .aws_errors import describe_aws_error, error_code, error_code_label, is_throttled


@dataclass(frozen=True)
class AwsFailure:
    """What AWS said about a failed call: `code` is AWS's error code (or the exception's class name),
    `aws_message` AWS's own text (unscrubbed: for decisions only, never shown), `throttled` whether AWS throttled
    the call."""

    code: str
    aws_message: str
    throttled: bool


_FAILURE_ATTRIBUTE = "aws_failure"


def aws_failure(err: BaseException) -> AwsFailure | None:
    """The AwsFailure an error raised by `aws_call` carries; None for any other error (the plugin's own)."""
    found = getattr(err, _FAILURE_ATTRIBUTE, None)
    return found if isinstance(found, AwsFailure) else None


# The one describer: aws_errors.py's vocabulary (the throttling prefix Grafana's frontend looks for included).
describe_error = describe_aws_error


@dataclass(frozen=True)
class RecentFailure:
    operation: str
    region: str
    code: str
    message: str
    at: float  # time.time()


# Per datasource, the last failure of each operation: the health check's "failed recently" line. Bounded like the
# metrics' datasource labels (metrics.MAX_DATASOURCES, least recently failed dropped first).
_recent: OrderedDict[str, dict[str, RecentFailure]] = OrderedDict()
_recent_lock = threading.Lock()
RECENT_SECONDS = 15 * 60


def recent_failures(datasource: str, *, within: float = RECENT_SECONDS) -> list[RecentFailure]:
    """This datasource's operations that failed in the last `within` seconds, newest first."""
    now = time.time()
    with _recent_lock:
        found = list(_recent.get(datasource, {}).values())
    return sorted((f for f in found if now - f.at <= within), key=lambda f: f.at, reverse=True)


def forget_failures(datasource: str) -> None:
    with _recent_lock:
        _recent.pop(datasource, None)


def _remember(datasource: str, failure: RecentFailure) -> None:
    with _recent_lock:
        by_op = _recent.setdefault(datasource, {})
        by_op[failure.operation] = failure
        _recent.move_to_end(datasource)
        while len(_recent) > metrics.MAX_DATASOURCES:
            _recent.popitem(last=False)


@contextmanager
def aws_call(operation: str, *, region: str, datasource: str = "", shown_as: str = "",
             passthrough: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Run AWS calls of `operation` (an API name, e.g. "ListMetrics", the metrics' `operation` label); see the
    module docstring. `shown_as` names it in messages when that should differ (an IAM action,
    "ec2:DescribeInstances"). Exceptions of `passthrough` types are the caller's own control flow: neither
    described nor counted."""
    try:
        yield
    except passthrough:
        raise
    except Exception as exc:  # not BaseException: KeyboardInterrupt, SystemExit, GeneratorExit are no failed call
        scope = deadlines.current.get()
        if scope is not None and scope.stopped:
            # Whatever the stopped call raised (a refused attempt, a socket shut under a read), the reason is the
            # RPC's end: say that, once.
            raise scope.error() from exc
        described = describe_error(exc, operation=shown_as or operation)
        throttled = is_throttled(exc)
        code = metrics.code_label(error_code_label(exc))
        label = metrics.datasource_label(datasource)
        region_label = metrics.region_label(region)
        metrics.AWS_ERRORS.labels(label, region_label, operation, code).inc()
        if throttled:
            metrics.AWS_THROTTLES.labels(label, region_label, operation).inc()
        if datasource:
            _remember(datasource, RecentFailure(operation, region, code, described.message,
                                                time.time()))
        if isinstance(exc, PluginError):
            raise  # already a user-facing error (the plugin's own answer checks)
        aws_message = str(exc.response.get("Error", {}).get("Message", "")) if isinstance(exc, ClientError) else ""
        setattr(described, _FAILURE_ATTRIBUTE, AwsFailure(error_code(exc), aws_message, throttled))
        raise described from exc
