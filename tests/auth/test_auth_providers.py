"""Each auth type gets credentials from its own source, and the no-fallback ones fail cleanly (with a
message saying what was tried) even when another source is sitting right there."""

from __future__ import annotations

import os
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from structlog.testing import capture_logs

from cloudwatch_datasource.errors import DownstreamError, SettingsError
from cloudwatch_datasource.policy import OperatorPolicy
from cloudwatch_datasource.settings import AuthType

from .helpers import ENV_KEY, ENV_SECRET, closed_port_url, make_settings, write_credentials

ALL_ALLOWED = OperatorPolicy(allowed_auth_providers=("default", "keys", "credentials", "ec2_iam_role"))


def test_keys(moto, isolated_aws_env, sessions):
    s = sessions.get(make_settings(moto.url, AuthType.KEYS, access_key="AKIAKEYSKEYSKEYS0001",
                                   secret_key="k" * 40), ALL_ALLOWED)
    assert s.credentials_source() == "access and secret key (AKIA…0001)"
    assert s.caller_identity() == "arn:aws:sts::123456789012:user/moto"
    assert s.client("cloudwatch").list_metrics()["Metrics"] == []
    assert s.region == "us-east-1" and s.auth_type is AuthType.KEYS


def test_keys_with_session_token(moto, isolated_aws_env, sessions):
    s = sessions.get(make_settings(moto.url, AuthType.KEYS, access_key="ASIATEMPTEMPTEMP0001",
                                   secret_key="k" * 40, session_token="t" * 100), ALL_ALLOWED)
    creds = s.client("sts")._request_signer._credentials.get_frozen_credentials()
    assert creds.token == "t" * 100
    assert s.caller_identity().endswith(":user/moto")


def test_credentials_profile_from_file(moto, isolated_aws_env, sessions, monkeypatch):
    path = isolated_aws_env["AWS_SHARED_CREDENTIALS_FILE"]
    write_credentials(path, "[default]\naws_access_key_id = AKIADEFAULT000000001\n"
                            "aws_secret_access_key = d\n[prod]\naws_access_key_id = AKIAPRODPRODPROD0001\n"
                            "aws_secret_access_key = p\n")
    # Env keys present too: the named profile must win, as in Go SDK v2 when a profile is set in code.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET)
    s = sessions.get(make_settings(moto.url, AuthType.CREDENTIALS, profile="prod"), ALL_ALLOWED)
    assert s.credentials_source() == f"shared credentials file {path}, profile prod"
    frozen = s.client("sts")._request_signer._credentials.get_frozen_credentials()
    assert frozen.access_key == "AKIAPRODPRODPROD0001"
    assert s.caller_identity().endswith(":user/moto")
    # empty profile → [default]
    s2 = sessions.get(make_settings(moto.url, AuthType.CREDENTIALS, uid="ds2"), ALL_ALLOWED)
    assert s2.credentials_source().endswith("profile default")


def test_default_via_env_keys(moto, isolated_aws_env, sessions, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET)
    s = sessions.get(make_settings(moto.url), ALL_ALLOWED)
    assert s.credentials_source() == "environment variables"
    assert s.client("cloudwatch").list_metrics()["Metrics"] == []


def test_default_via_profile_in_shared_file(moto, isolated_aws_env, sessions, monkeypatch):
    write_credentials(isolated_aws_env["AWS_SHARED_CREDENTIALS_FILE"],
                      "[team]\naws_access_key_id = AKIATEAMTEAMTEAM0001\naws_secret_access_key = t\n")
    monkeypatch.setenv("AWS_PROFILE", "team")
    s = sessions.get(make_settings(moto.url), ALL_ALLOWED)
    assert s.credentials_source().endswith("profile team")


def test_ec2_iam_role_via_imds(moto, isolated_aws_env, sessions, monkeypatch):
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", moto.url + "/")
    s = sessions.get(make_settings(moto.url, AuthType.EC2_IAM_ROLE), ALL_ALLOWED)
    assert s.credentials_source() == "EC2 instance metadata (IMDS) role"
    frozen = s.client("sts")._request_signer._credentials.get_frozen_credentials()
    assert frozen.access_key == "test-key"  # moto's fixed IMDS role credentials
    assert s.caller_identity().endswith(":user/moto")


def test_default_via_web_identity(moto, isolated_aws_env, sessions, monkeypatch, tmp_path: Path):
    boto3.client("iam", endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id="x",
                 aws_secret_access_key="y", config=Config(retries={"max_attempts": 1})).create_role(
        RoleName="irsa", AssumeRolePolicyDocument="{}")
    token = tmp_path / "token"
    token.write_text("eyJhbGciOiJSUzI1NiJ9.e30.sig")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token))
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa")
    monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "grafana")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto.url)
    s = sessions.get(make_settings(moto.url), ALL_ALLOWED)
    assert s.credentials_source() == "web identity token (IRSA)"
    assert s.caller_identity() == "arn:aws:sts::123456789012:assumed-role/irsa/grafana"


def test_default_via_container_credentials(moto, isolated_aws_env, sessions, monkeypatch):
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI",
                       moto.url + "/latest/meta-data/iam/security-credentials/default-role")
    s = sessions.get(make_settings(moto.url), ALL_ALLOWED)
    assert s.credentials_source() == "container credentials (ECS/EKS)"
    assert s.client("cloudwatch").list_metrics()["Metrics"] == []


def test_default_with_nothing_says_what_was_searched(moto, isolated_aws_env, sessions):
    s = sessions.get(make_settings(moto.url), ALL_ALLOWED)
    with pytest.raises(DownstreamError, match="no AWS credentials found by the AWS SDK default chain"):
        s.credentials_source()
    with pytest.raises(DownstreamError, match="no AWS credentials found"):
        s.client("cloudwatch")


# --- no fallback ----------------------------------------------------------------------------------------

def test_keys_without_keys_does_not_fall_back_to_env(moto, isolated_aws_env, sessions, calls, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET)
    with pytest.raises(SettingsError, match="needs Access Key ID and Secret Access Key"):
        sessions.get(make_settings(moto.url, AuthType.KEYS), ALL_ALLOWED)
    with pytest.raises(SettingsError, match="needs Secret Access Key"):
        sessions.get(make_settings(moto.url, AuthType.KEYS, access_key="AKIAONLYKEYONLY00001"), ALL_ALLOWED)
    assert calls.events == []


def test_credentials_missing_profile_does_not_fall_back(moto, isolated_aws_env, sessions, monkeypatch):
    path = isolated_aws_env["AWS_SHARED_CREDENTIALS_FILE"]
    write_credentials(path, "[other]\naws_access_key_id = AKIAOTHEROTHER000001\naws_secret_access_key = o\n")
    # IMDS reachable and env keys set: both must be ignored.
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", moto.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET)
    s = sessions.get(make_settings(moto.url, AuthType.CREDENTIALS, profile="prod"), ALL_ALLOWED)
    with pytest.raises(DownstreamError) as err:
        s.credentials_source()
    msg = str(err.value)
    assert f"shared credentials file {path}" in msg and 'profile "prod"' in msg
    assert "profile [prod] is not in the file (profiles found: other)" in msg
    assert f"uid {os.getuid()}" in msg and f"HOME={os.environ.get('HOME', '')}" in msg
    assert "/usr/share/grafana/.aws/credentials" in msg and "0644" in msg


def test_credentials_file_missing_or_unreadable(moto, isolated_aws_env, sessions):
    path = isolated_aws_env["AWS_SHARED_CREDENTIALS_FILE"]
    s = sessions.get(make_settings(moto.url, AuthType.CREDENTIALS), ALL_ALLOWED)
    with pytest.raises(DownstreamError, match="the file does not exist"):
        s.client("cloudwatch")
    write_credentials(path, "[default]\nregion = us-east-1\n")
    with pytest.raises(DownstreamError, match=r"profile \[default\] has no aws_access_key_id"):
        s.client("cloudwatch")


def test_credentials_file_group_writable_is_warned(moto, isolated_aws_env, sessions):
    path = isolated_aws_env["AWS_SHARED_CREDENTIALS_FILE"]
    write_credentials(path, "[default]\naws_access_key_id = AKIADEFAULT000000001\naws_secret_access_key = d\n",
                      mode=0o666)
    s = sessions.get(make_settings(moto.url, AuthType.CREDENTIALS), ALL_ALLOWED)
    with capture_logs() as logs:
        s.credentials_source()
    warnings = [e for e in logs if e["log_level"] == "warning"]
    assert warnings and warnings[0]["event"] == "aws credentials file is group/world-writable"
    assert warnings[0]["path"] == path and warnings[0]["mode"] == "0o666"


def test_ec2_iam_role_disabled_does_not_fall_back_to_env(moto, isolated_aws_env, sessions, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET)
    s = sessions.get(make_settings(moto.url, AuthType.EC2_IAM_ROLE), ALL_ALLOWED)
    with pytest.raises(DownstreamError, match="AWS_EC2_METADATA_DISABLED=true"):
        s.credentials_source()


def test_ec2_iam_role_unreachable_does_not_fall_back(moto, isolated_aws_env, sessions, monkeypatch):
    write_credentials(isolated_aws_env["AWS_SHARED_CREDENTIALS_FILE"],
                      "[default]\naws_access_key_id = AKIADEFAULT000000001\naws_secret_access_key = d\n")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET)
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
    dead = closed_port_url()
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", dead)
    s = sessions.get(make_settings(moto.url, AuthType.EC2_IAM_ROLE), ALL_ALLOWED)
    with pytest.raises(DownstreamError) as err:
        s.client("cloudwatch")
    assert "Workspace IAM role" in str(err.value) and dead in str(err.value)
