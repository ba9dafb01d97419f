"""The operator's [aws] switches and the region rule are enforced in AwsSessions.get(), before any AWS call."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from cloudwatch_datasource.errors import SettingsError
from cloudwatch_datasource.policy import OperatorPolicy
from cloudwatch_datasource.settings import AuthType

from .helpers import ENV_KEY, ENV_SECRET, ROLE_ARN, make_settings


def test_auth_type_not_allowed_is_refused_without_aws_call(moto, isolated_aws_env, sessions, calls,
                                                          monkeypatch):
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", moto.url)
    with pytest.raises(SettingsError) as err:
        sessions.get(make_settings(moto.url, AuthType.EC2_IAM_ROLE), OperatorPolicy())
    msg = str(err.value)
    assert "trying to use non-allowed auth method ec2_iam_role" in msg
    assert "[aws] allowed_auth_providers" in msg and "GF_AWS_ALLOWED_AUTH_PROVIDERS" in msg
    assert "default, keys, credentials" in msg
    assert calls.events == [] and len(sessions) == 0


def test_assume_role_disabled_is_refused_without_aws_call(moto, isolated_aws_env, sessions, calls):
    settings = make_settings(moto.url, AuthType.KEYS, access_key="AKIAKEYSKEYSKEYS0001", secret_key="s" * 40,
                             assume_role_arn=ROLE_ARN)
    with pytest.raises(SettingsError) as err:
        sessions.get(settings, OperatorPolicy(assume_role_enabled=False))
    assert "[aws] assume_role_enabled" in str(err.value) and "GF_AWS_ASSUME_ROLE_ENABLED" in str(err.value)
    assert calls.events == [] and len(sessions) == 0


def test_grafana_assume_role_is_cloud_only(moto, isolated_aws_env, sessions):
    policy = OperatorPolicy(allowed_auth_providers=("grafana_assume_role",))
    with pytest.raises(SettingsError, match="only available in Grafana Cloud"):
        sessions.get(make_settings(moto.url, AuthType.GRAFANA_ASSUME_ROLE), policy)
    with pytest.raises(SettingsError, match="only available in Grafana Cloud"):
        sessions.get(make_settings(moto.url, AuthType.GRAFANA_ASSUME_ROLE), OperatorPolicy())


def test_legacy_auth_type_means_default_and_warns_once(moto, isolated_aws_env, sessions, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET)
    settings = make_settings(moto.url, AuthType.DEFAULT, auth_type_raw="arn")
    with capture_logs() as logs:
        for _ in range(3):
            s = sessions.get(settings, OperatorPolicy())
        other = sessions.get(make_settings(moto.url, uid="ds-other", auth_type_raw="bogus"), OperatorPolicy())
    warnings = [e for e in logs if e["log_level"] == "warning"]
    assert [(w["uid"], w["auth_type"]) for w in warnings] == [("ds1", "arn"), ("ds-other", "bogus")]
    assert s.auth_type is AuthType.DEFAULT and other.auth_type is AuthType.DEFAULT
    assert s.credentials_source() == "environment variables"


def test_legacy_auth_type_cannot_bypass_allow_list(moto, isolated_aws_env, sessions, calls):
    policy = OperatorPolicy(allowed_auth_providers=("keys",))
    with pytest.raises(SettingsError, match=r"non-allowed auth method default \(from authType 'arn'\)"):
        sessions.get(make_settings(moto.url, AuthType.DEFAULT, auth_type_raw="arn"), policy)
    assert calls.events == []


def test_region_resolution(moto, isolated_aws_env, sessions):
    settings = make_settings(moto.url, AuthType.KEYS, access_key="AKIAKEYSKEYSKEYS0001", secret_key="s" * 40,
                             default_region="eu-west-1")
    for region in (None, "", "default"):
        assert sessions.get(settings, OperatorPolicy(), region).region == "eu-west-1"
    assert sessions.get(settings, OperatorPolicy(), "ap-south-1").region == "ap-south-1"
    # jsonData.region overrides defaultRegion unless it is "default"
    assert sessions.get(make_settings(moto.url, AuthType.KEYS, access_key="AKIAKEYSKEYSKEYS0001",
                                      secret_key="s" * 40, region="us-west-2"),
                        OperatorPolicy()).region == "us-west-2"


def test_missing_region(moto, isolated_aws_env, sessions, calls):
    settings = make_settings(moto.url, default_region="")
    with pytest.raises(SettingsError, match='missing default region: set "Default Region"'):
        sessions.get(settings, OperatorPolicy(), "default")
    assert calls.events == []
