"""Against moto in auth mode (signatures and IAM policies checked): each way credentials can be wrong gets its
own message, and the assume-role trust policy's external ID is honoured."""

from __future__ import annotations

import pytest

from cloudwatch_datasource.aws import describe_aws_error
from cloudwatch_datasource.errors import DownstreamError
from cloudwatch_datasource.policy import OperatorPolicy
from cloudwatch_datasource.settings import AuthType

from .helpers import make_settings


def _keys(world, key, secret, **kw):
    return make_settings(world.server.url, AuthType.KEYS, access_key=key, secret_key=secret, **kw)


def _list_metrics_error(sessions, settings) -> DownstreamError:
    s = sessions.get(settings, OperatorPolicy())
    with pytest.raises(Exception) as err:  # noqa: B017 — a raw botocore error, mapped below
        s.client("cloudwatch").list_metrics()
    mapped = describe_aws_error(err.value, operation="cloudwatch:ListMetrics")
    assert isinstance(mapped, DownstreamError)
    return mapped


def test_right_keys_work(auth_moto, isolated_aws_env, sessions):
    s = sessions.get(_keys(auth_moto, auth_moto.alice_key, auth_moto.alice_secret), OperatorPolicy())
    assert s.client("cloudwatch").list_metrics()["Metrics"] == []
    assert s.caller_identity() == "arn:aws:iam::123456789012:user/alice"


def test_wrong_secret(auth_moto, isolated_aws_env, sessions):
    err = _list_metrics_error(sessions, _keys(auth_moto, auth_moto.alice_key, "W" * 40))
    assert "the secret key does not match the access key id" in err.message and err.status == 403


def test_unknown_key(auth_moto, isolated_aws_env, sessions):
    err = _list_metrics_error(sessions, _keys(auth_moto, "AKIAUNKNOWNUNKNOWN01", "W" * 40))
    assert "the access key id (or session token) is not valid" in err.message


def test_access_denied_names_the_permission(auth_moto, isolated_aws_env, sessions):
    err = _list_metrics_error(sessions, _keys(auth_moto, auth_moto.bob_key, auth_moto.bob_secret))
    assert err.message.startswith("access denied for cloudwatch:ListMetrics: the IAM policy must allow "
                                  "cloudwatch:ListMetrics")
    assert "user/bob" in err.message


def test_assume_role_with_external_id(auth_moto, isolated_aws_env, sessions, calls):
    settings = _keys(auth_moto, auth_moto.alice_key, auth_moto.alice_secret, assume_role_arn=auth_moto.role_arn,
                     external_id="ext-good")
    s = sessions.get(settings, OperatorPolicy())
    assert s.credentials_source() == (f"assumed role {auth_moto.role_arn} via access and secret key "
                                      f"({auth_moto.alice_key[:4]}…{auth_moto.alice_key[-4:]})")
    assert s.caller_identity().startswith(
        "arn:aws:sts::123456789012:assumed-role/cross-account-reader/grafana-cloudwatch-")
    assert s.client("cloudwatch").list_metrics()["Metrics"] == []
    [params] = calls.params_of("sts.AssumeRole")
    assert params["ExternalId"] == "ext-good" and params["DurationSeconds"] == 900


def test_assume_role_wrong_external_id(auth_moto, isolated_aws_env, sessions):
    settings = _keys(auth_moto, auth_moto.alice_key, auth_moto.alice_secret, assume_role_arn=auth_moto.role_arn,
                     external_id="ext-bad")
    s = sessions.get(settings, OperatorPolicy())
    with pytest.raises(DownstreamError) as err:
        s.credentials_source()
    assert err.value.message.startswith("assume role denied: ")
    assert "check the role trust policy (and external ID)" in err.value.message
    # the same failure surfacing from a data call (the AssumeRole happens while signing it)
    with pytest.raises(Exception) as raw:  # noqa: B017
        s.client("cloudwatch").list_metrics()
    assert describe_aws_error(raw.value, operation="cloudwatch:ListMetrics").message.startswith(
        "assume role denied: ")


def test_assume_role_base_identity_denied(auth_moto, isolated_aws_env, sessions):
    settings = _keys(auth_moto, auth_moto.bob_key, auth_moto.bob_secret, assume_role_arn=auth_moto.role_arn,
                     external_id="ext-good")
    with pytest.raises(DownstreamError, match="assume role denied: .*user/bob"):
        sessions.get(settings, OperatorPolicy()).credentials_source()
