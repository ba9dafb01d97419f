"""The AWS layer's boundary and its one context manager (src/cloudwatch_datasource/aws/calls.py).

No module outside aws/ may import botocore's exceptions or name ClientError / BotoCoreError: every AWS failure is
described and counted once, by `aws_call`. The check reads the source, so a new hand-written `except ClientError`
anywhere fails here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, InvalidRegionError, PaginationError

from cloudwatch_datasource import aws, metrics
from cloudwatch_datasource.aws import aws_call, aws_failure, recent_failures
from cloudwatch_datasource.errors import DownstreamError, ErrorSource, SettingsError

PACKAGE = Path(aws.__file__).resolve().parent.parent
_BOTOCORE_ERRORS = re.compile(r"botocore\.exceptions|\bClientError\b|\bBotoCoreError\b")


def test_no_module_outside_the_aws_layer_handles_botocore_exceptions() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "aws":
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if _BOTOCORE_ERRORS.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == [], "botocore exceptions handled outside aws/ (use aws.aws_call):\n" + "\n".join(offenders)


def test_the_boundary_check_sees_a_hand_written_block() -> None:
    # The pattern the test above relies on must match the forms it is meant to catch.
    assert _BOTOCORE_ERRORS.search("from botocore.exceptions import ClientError")
    assert _BOTOCORE_ERRORS.search("    except (ClientError, BotoCoreError) as exc:")
    assert not _BOTOCORE_ERRORS.search("    except PluginError as exc:")


def _client_error(code: str, message: str, status: int, operation: str = "ListMetrics") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


def _value(metric: Any, *labels: str) -> float:
    # Read without creating a series: a series made here would not be in metrics.py's datasource bound.
    name = metric._name + "_total"
    found = metrics.REGISTRY.get_sample_value(name, dict(zip(metric._labelnames, labels, strict=True)))
    return found or 0.0


def test_aws_call_describes_counts_and_remembers_a_client_error() -> None:
    before = _value(metrics.AWS_ERRORS, "layer-ds", "eu-west-1", "ListMetrics", "AccessDenied")
    with pytest.raises(DownstreamError) as caught:
        with aws_call("ListMetrics", region="eu-west-1", datasource="layer-ds"):
            raise _client_error("AccessDenied", "User: x is not authorized", 403)
    err = caught.value
    failure = aws_failure(err)
    assert err.message.startswith("access denied for cloudwatch:ListMetrics")
    assert failure is not None
    assert (err.status, err.source, failure.code, failure.throttled) == (403, ErrorSource.DOWNSTREAM,
                                                                          "AccessDenied", False)
    assert failure.aws_message == "User: x is not authorized"
    assert _value(metrics.AWS_ERRORS, "layer-ds", "eu-west-1", "ListMetrics", "AccessDenied") == before + 1
    failed = recent_failures("layer-ds")
    assert [(f.operation, f.region, f.code) for f in failed] == [("ListMetrics", "eu-west-1", "AccessDenied")]


def test_aws_call_throttling_keeps_grafanas_prefix_and_counts_a_throttle() -> None:
    before = _value(metrics.AWS_THROTTLES, "layer-ds2", "us-east-1", "DescribeRegions")
    with pytest.raises(DownstreamError) as caught:
        with aws_call("DescribeRegions", region="us-east-1", datasource="layer-ds2"):
            raise _client_error("RequestLimitExceeded", "slow down", 503, "DescribeRegions")
    assert caught.value.message.startswith("Throttling:") and caught.value.status == 429
    failure = aws_failure(caught.value)
    assert failure is not None and failure.throttled
    assert _value(metrics.AWS_THROTTLES, "layer-ds2", "us-east-1", "DescribeRegions") == before + 1


def test_aws_call_network_and_paging_failures_are_downstream() -> None:
    with pytest.raises(DownstreamError) as caught:
        with aws_call("GetMetricData", region="us-east-1", shown_as="GetMetricData"):
            raise EndpointConnectionError(endpoint_url="https://user:hunter2secret@example.com/")
    assert caught.value.status == 502 and "hunter2secret" not in caught.value.message
    assert aws_failure(caught.value) is not None
    with pytest.raises(DownstreamError, match="same NextToken twice"):
        with aws_call("ListMetrics", region="us-east-1"):
            raise PaginationError(message="The same next token was received twice")
    # The describer's class is kept: a region botocore refuses is the user's settings to fix.
    with pytest.raises(SettingsError):
        with aws_call("ListMetrics", region="bad region"):
            raise InvalidRegionError(region_name="bad region")


def test_aws_call_lets_plugin_errors_and_passthrough_types_out_unchanged() -> None:
    own = DownstreamError("GetMetricData: AWS answered with HTTP 200 but not a valid response")
    with pytest.raises(DownstreamError) as caught:
        with aws_call("GetMetricData", region="us-east-1", datasource="layer-ds3"):
            raise own
    assert caught.value is own and aws_failure(own) is None
    assert [f.operation for f in recent_failures("layer-ds3")] == ["GetMetricData"]

    class Stop(Exception):
        pass

    before = _value(metrics.AWS_ERRORS, "layer-ds4", "us-east-1", "GetMetricData", "Stop")
    with pytest.raises(Stop):
        with aws_call("GetMetricData", region="us-east-1", datasource="layer-ds4", passthrough=(Stop,)):
            raise Stop
    assert _value(metrics.AWS_ERRORS, "layer-ds4", "us-east-1", "GetMetricData", "Stop") == before
    assert recent_failures("layer-ds4") == []
