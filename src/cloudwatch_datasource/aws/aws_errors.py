"""Turning botocore exceptions into PluginErrors a Grafana user can act on, with no secret in the text.

AWS error codes are matched both where botocore puts them (Error.Code) and inside the message: when a
service answers a CBOR/JSON protocol request with an XML auth error (moto does this for CloudWatch), botocore
reports Error.Code "403" and the real code only appears in the XML message body.
"""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    InvalidRegionError,
    NoCredentialsError,
    NoRegionError,
    PaginationError,
    PartialCredentialsError,
    ProfileNotFound,
    ProxyConnectionError,
    ReadTimeoutError,
    RefreshWithMFAUnsupportedError,
)
from botocore.parsers import ResponseParserError

from ..errors import DownstreamError, ErrorSource, PluginError, SettingsError
from ..redact import redact_url, scrub_logged, scrub_secrets
from ..settings import MISSING_REGION

_SIGNATURE = {"SignatureDoesNotMatch", "IncompleteSignature"}
_BAD_KEY = {"InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId",
            "MissingAuthenticationToken"}
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
_THROTTLED = {"Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
              "TooManyRequestsException",
              "RequestThrottled", "RequestThrottledException", "SlowDown",
              "ProvisionedThroughputExceededException"}
_KNOWN = _SIGNATURE | _BAD_KEY | _DENIED | _EXPIRED | _THROTTLED

# Which IAM action prefix an API operation needs, so "access denied" can name the permission to grant.
_IAM_PREFIX = {
    "ListMetrics": "cloudwatch", "GetMetricData": "cloudwatch", "GetMetricStatistics": "cloudwatch",
    "DescribeAlarms": "cloudwatch", "DescribeAlarmsForMetric": "cloudwatch",
    "DescribeAlarmHistory": "cloudwatch",
    "GetInsightRuleReport": "cloudwatch", "DescribeLogGroups": "logs", "GetLogGroupFields": "logs",
    "StartQuery": "logs", "GetQueryResults": "logs", "StopQuery": "logs", "DescribeRegions": "ec2",
    "DescribeInstances": "ec2", "DescribeTags": "ec2", "GetResources": "tag", "ListSinks": "oam",
    "ListAttachedLinks": "oam", "AssumeRole": "sts", "GetCallerIdentity": "sts",
}

# A real SignatureDoesNotMatch echoes the canonical request, which carries the signed x-amz-security-token
# header: AWS text is scrubbed (redact.py) before it reaches a message.
_XML_CODE = re.compile(r"<Code>\s*([^<]+?)\s*</Code>")
_XML_MESSAGE = re.compile(r"<Message>\s*([^<]*?)\s*</Message>", re.S)
_MAX_MESSAGE = 400


def scrub(text: str) -> str:
    """AWS-provided text fit for a message: secrets scrubbed, length bounded."""
    text = scrub_secrets(text)
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "…"


def iam_action(operation: str) -> str:
    """"cloudwatch:ListMetrics" stays as is; "ListMetrics" gets its IAM prefix when known."""
    if ":" in operation:
        return operation
    prefix = _IAM_PREFIX.get(operation)
    return f"{prefix}:{operation}" if prefix else operation


def aws_error_code(exc: ClientError) -> tuple[str, str]:
    """(code, message), the real code recovered from an XML body when Error.Code is only an HTTP status."""
    error: dict[str, Any] = exc.response.get("Error", {}) or {}
    code = str(error.get("Code", "") or "")
    message = str(error.get("Message", "") or "")
    if "<Code>" in message:
        found = _XML_CODE.search(message)
        inner = _XML_MESSAGE.search(message)
        if found and (not code or code.isdigit() or code not in _KNOWN):
            code = found.group(1)
        message = inner.group(1) if inner else ""
    elif code.isdigit():
        # Some JSON error bodies carry only an HTTP status as code; look for a known code name in the text.
        for known in sorted(_KNOWN, key=len, reverse=True):
            if known in message:
                code = known
                break
    return code, message


def error_code(exc: BaseException) -> str:
    """The AWS error code of a failed call (recovered from XML or status-only errors), else the exception's
    class name: the `code` label of the plugin's error metrics."""
    if isinstance(exc, ClientError):
        code, _ = aws_error_code(exc)
        return code or str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "") or "ClientError")
    return type(exc).__name__


def error_code_label(exc: BaseException) -> str:
    """error_code as a metric label: the code is the endpoint's text, so it is scrubbed like a log line (the recent
    datasources' secrets by value) and bounded. Only for labels: decisions use error_code."""
    return scrub_logged(error_code(exc))[:100]


def is_throttled(exc: BaseException) -> bool:
    """Did AWS throttle this call (any of its throttling codes, or HTTP 429)?"""
    if not isinstance(exc, ClientError):
        return False
    code, _ = aws_error_code(exc)
    return code in _THROTTLED or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 429


def describe_aws_error(exc: BaseException, *, operation: str) -> PluginError:
    """Map a botocore (or our own) exception to a PluginError whose message says what to fix.

    `operation` names what was being done, preferably as an IAM action ("cloudwatch:ListMetrics");
    it appears in the message. Nothing of the request's credentials is ever included.
    """
    if isinstance(exc, PluginError):
        return exc
    if isinstance(exc, ClientError):
        return _describe_client_error(exc, operation)
    if isinstance(exc, NoCredentialsError):
        return DownstreamError(
            f"{operation}: no AWS credentials found by the AWS SDK default chain (environment variables, "
            "shared credentials/config files, web identity token, container credentials, EC2 instance "
            "metadata)",
            status=401)
    if isinstance(exc, PartialCredentialsError):
        provider = exc.kwargs.get("provider", "")
        var = exc.kwargs.get("cred_var", "")
        return DownstreamError(f"{operation}: incomplete AWS credentials from {provider}: {var} is missing",
                               status=401)
    if isinstance(exc, ProfileNotFound):
        return SettingsError(f"{operation}: AWS profile {exc.kwargs.get('profile', '')!r} not found in the "
                             "shared config/credentials files")
    if isinstance(exc, CredentialRetrievalError):
        return DownstreamError(
            f"{operation}: could not get AWS credentials from {exc.kwargs.get('provider', 'the provider')}: "
            f"{scrub(str(exc.kwargs.get('error_msg', '')))}", status=401)
    if isinstance(exc, RefreshWithMFAUnsupportedError):
        return SettingsError(f"{operation}: the AWS profile needs an MFA code, which a server cannot "
                             "prompt for")
    if isinstance(exc, InvalidRegionError):
        # A region typed into a query or the settings, refused by botocore before any call: the user's to fix.
        region = scrub(str(exc.kwargs.get("region_name", "")))
        return SettingsError(f"region {region!r} is not a valid AWS region name (for example us-east-1)")
    if isinstance(exc, NoRegionError):
        return SettingsError(MISSING_REGION)
    if isinstance(exc, ProxyConnectionError):
        # botocore has masked the proxy URL's credentials already; scrub() cuts them again should it not.
        proxy = scrub(str(exc.kwargs.get("proxy_url", ""))) or "the HTTP proxy"
        cause = str(exc.kwargs.get("error", ""))
        if re.search(r"\b(401|407)\b", cause):
            # The proxy refused the CONNECT tunnel for want of (the right) credentials.
            return DownstreamError(f"{operation}: the HTTP proxy {proxy} refused the request (authentication "
                                   "required): check the proxy user name and password in the datasource "
                                   "settings", status=502)
        return DownstreamError(f"{operation}: cannot connect through the HTTP proxy {proxy} (check the proxy "
                               "address, that it is running, and the datasource's proxy settings)", status=502)
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError,
                        ConnectionClosedError)):
        # The endpoint is jsonData.endpoint when set, which may carry user:password@.
        endpoint = redact_url(str(exc.kwargs.get("endpoint_url", ""))) if exc.kwargs.get("endpoint_url") \
            else "the AWS endpoint"
        what = "timed out reading from" if isinstance(exc, ReadTimeoutError) else "cannot reach"
        return DownstreamError(f"{operation}: {what} {endpoint} (check network access, proxy settings "
                               "and the datasource's Endpoint field)",
                               status=504 if "timed out" in what else 502)
    if isinstance(exc, PaginationError):
        # botocore's paginator refuses a NextToken the endpoint sent twice: an endless chain of pages is the
        # endpoint's fault (errorSource downstream, as grafana-plugin-sdk-go's experimental/status classes what the
        # remote end caused), not the plugin's.
        return DownstreamError(f"{operation}: the AWS endpoint sent the same NextToken twice, so its results "
                               "never end; try again, or check the datasource's Endpoint field", status=502)
    if isinstance(exc, ResponseParserError):
        # Its text quotes the response body, which for sts:AssumeRole holds the new credentials.
        return DownstreamError(f"{operation}: AWS sent a response that could not be read; try again, and check "
                               "the datasource's Endpoint field", status=502)
    if _raised_in_botocore_parser(exc):
        # botocore's parsers trust the body's shape: a list where its model has a structure (GetQueryResults'
        # `results` as text, say) raises AttributeError/TypeError from botocore/parsers.py, not
        # ResponseParserError. Either way the endpoint sent what AWS's model does not allow.
        return DownstreamError(f"{operation}: AWS sent a response that could not be read (not the shape of "
                               "AWS's API model); try again, and check the datasource's Endpoint field", status=502)
    return PluginError(f"{operation} failed: {type(exc).__name__}: {scrub(str(exc))}",
                       status=500, source=ErrorSource.PLUGIN)


def _raised_in_botocore_parser(exc: BaseException) -> bool:
    """Whether `exc` (a TypeError, AttributeError, ValueError, ... not botocore's own) was raised while botocore
    parsed a response: botocore.parsers is on its way up (a timestamp it cannot read fails in the timestamp
    parser it calls)."""
    if not isinstance(exc, (TypeError, AttributeError, ValueError, KeyError, IndexError, OverflowError)):
        return False
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__") == "botocore.parsers":
            return True
        tb = tb.tb_next
    return False


def _describe_client_error(exc: ClientError, operation: str) -> PluginError:
    code, aws_message = aws_error_code(exc)
    http_status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    detail = scrub(aws_message)
    is_assume_role = exc.operation_name == "AssumeRole"
    if code in _SIGNATURE:
        # The AWS text is dropped on purpose: a real SignatureDoesNotMatch echoes the signed request.
        return DownstreamError(f"{operation}: the secret key does not match the access key id "
                               f"(AWS {code}); re-enter the secret access key", status=403)
    if code in _BAD_KEY:
        return DownstreamError(f"{operation}: the access key id (or session token) is not valid (AWS {code}: "
                               f"{detail}); check that the key is active and belongs to this AWS partition",
                               status=403)
    if code in _DENIED and is_assume_role:
        return DownstreamError(f"assume role denied: {detail or code}; check the role trust policy (and "
                               "external ID) and that the base identity may call sts:AssumeRole on the role",
                               status=403)
    if code in _DENIED:
        action = iam_action(operation)
        return DownstreamError(f"access denied for {action}: the IAM policy must allow {action} "
                               f"(AWS {code}: {detail})", status=403)
    if code in _EXPIRED:
        return DownstreamError(f"{operation}: the AWS session token has expired (AWS {code}); temporary "
                               "credentials entered as keys must be renewed, or use a role-based method",
                               status=401)
    if code in _THROTTLED or http_status == 429:
        # "Throttling:" first: Grafana's frontend raises its "request limit reached" alert only for messages
        # starting with "Throttling:" or "Rate exceeded" (grafana/grafana public/app/plugins/datasource/cloudwatch/,
        # its query runners' throttling check).
        return DownstreamError(f"Throttling: {operation}: AWS throttled the request (AWS {code or 429}: {detail}); "
                               "reduce the request rate (fewer panels/queries, longer periods) or raise the "
                               "AWS quota",
                               status=429)
    status = http_status if 400 <= http_status < 500 else 502
    return DownstreamError(f"{operation} failed: {code or http_status}: {detail}", status=status)
