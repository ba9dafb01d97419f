"""describe_aws_error: every botocore failure mode maps to its own actionable message, secrets scrubbed."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)

from cloudwatch_datasource.aws import describe_aws_error
from cloudwatch_datasource.errors import ErrorSource, PluginError, SettingsError
from cloudwatch_datasource.policy import OperatorPolicy
from cloudwatch_datasource.settings import AuthType

from .helpers import closed_port_url, make_settings


def client_error(code: str, message: str = "", status: int = 400, op: str = "ListMetrics") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, op)


def xml_403(code: str, message: str) -> ClientError:
    # moto's CloudWatch answer to a CBOR request failing auth: code "403", real code inside the XML message.
    body = (f'<?xml version="1.0" encoding="utf-8"?>\n<ErrorResponse><Errors><Error><Code>{code}</Code>'
            f"<Message>{message}</Message><Type>Sender</Type></Error></Errors></ErrorResponse>")
    return client_error("403", body, 403)


@pytest.mark.parametrize("make", [
    lambda: client_error("SignatureDoesNotMatch", "The request signature we calculated does not match", 403),
    lambda: xml_403("SignatureDoesNotMatch", "The request signature we calculated does not match"),
])
def test_signature_mismatch(make):
    err = describe_aws_error(make(), operation="cloudwatch:ListMetrics")
    assert "the secret key does not match the access key id" in err.message
    assert err.status == 403 and err.source is ErrorSource.DOWNSTREAM


@pytest.mark.parametrize("code", ["InvalidClientTokenId", "UnrecognizedClientException"])
def test_invalid_key(code):
    for exc in (client_error(code, "The security token included in the request is invalid.", 403),
                xml_403(code, "The security token included in the request is invalid.")):
        assert "the access key id (or session token) is not valid" in describe_aws_error(
            exc, operation="cloudwatch:GetMetricData").message


def test_access_denied_on_assume_role_vs_elsewhere():
    on_assume = client_error("AccessDenied", "User: arn:aws:iam::1:user/x is not authorized to perform: "
                             "sts:AssumeRole", 403, op="AssumeRole")
    msg = describe_aws_error(on_assume, operation="cloudwatch:ListMetrics").message
    assert msg.startswith("assume role denied: User: arn:aws:iam::1:user/x")
    assert "check the role trust policy (and external ID)" in msg
    for exc in (client_error("AccessDeniedException", "no", 400, op="DescribeLogGroups"),
                xml_403("AccessDenied", "User: u is not authorized to perform: monitoring:ListMetrics")):
        msg = describe_aws_error(exc, operation="logs:DescribeLogGroups").message
        assert msg.startswith("access denied for logs:DescribeLogGroups: the IAM policy must allow "
                              "logs:DescribeLogGroups")
    # a bare operation name gets its IAM prefix
    assert "must allow cloudwatch:GetMetricData" in describe_aws_error(
        client_error("AccessDenied", "", 403), operation="GetMetricData").message


def test_expired_token():
    for code in ("ExpiredToken", "ExpiredTokenException"):
        err = describe_aws_error(client_error(code, "The security token included in the request is expired"),
                                 operation="cloudwatch:ListMetrics")
        assert "session token has expired" in err.message


@pytest.mark.parametrize(("code", "status"), [("Throttling", 400), ("ThrottlingException", 400),
                                              ("RequestLimitExceeded", 503), ("Whatever", 429)])
def test_throttled(code, status):
    err = describe_aws_error(client_error(code, "Rate exceeded", status), operation="cloudwatch:GetMetricData")
    assert "AWS throttled the request" in err.message and err.status == 429


def test_other_client_error_keeps_code_and_status():
    err = describe_aws_error(client_error("ValidationError", "bad period", 400), operation="cloudwatch:X")
    assert err.message == "cloudwatch:X failed: ValidationError: bad period" and err.status == 400
    assert describe_aws_error(client_error("InternalFailure", "", 500), operation="x").status == 502


def test_connection_errors():
    err = describe_aws_error(EndpointConnectionError(endpoint_url="https://monitoring.x.amazonaws.com/"),
                             operation="cloudwatch:ListMetrics")
    assert "cannot reach https://monitoring.x.amazonaws.com/" in err.message
    err = describe_aws_error(ConnectTimeoutError(endpoint_url="https://h/"), operation="op")
    assert "cannot reach https://h/" in err.message


def test_connection_error_from_real_client(isolated_aws_env, sessions):
    dead = closed_port_url()
    s = sessions.get(make_settings(dead, AuthType.KEYS, access_key="AKIAKEYSKEYSKEYS0001", secret_key="s" * 40),
                     OperatorPolicy())
    with pytest.raises(Exception) as raw:  # noqa: B017
        s.client("cloudwatch").list_metrics()
    assert f"cannot reach {dead}" in describe_aws_error(raw.value, operation="cloudwatch:ListMetrics").message
    with pytest.raises(PluginError, match=f"cannot reach {dead}"):
        s.caller_identity()


def test_credential_errors_and_passthrough():
    assert "no AWS credentials found by" in describe_aws_error(NoCredentialsError(), operation="op").message
    partial = describe_aws_error(PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"),
                                 operation="op")
    assert "AWS_SECRET_ACCESS_KEY is missing" in partial.message
    mine = SettingsError("already described")
    assert describe_aws_error(mine, operation="op") is mine


def test_secrets_are_scrubbed_from_aws_text():
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    token = "IQoJb3JpZ2luX2VjE" + "A" * 200
    exc = client_error("ValidationError", f"odd AKIAIOSFODNN7EXAMPLE {secret} token={token}", 400)
    msg = describe_aws_error(exc, operation="op").message
    assert "AKIAIOSFODNN7EXAMPLE" not in msg and "AKIA…MPLE" in msg
    assert secret not in msg and token[:40] not in msg
