"""Fixtures for the auth tests: a session cache that records every AWS API call, settings builders, and a
second moto server in auth mode (it checks signatures and IAM policies, unlike the shared one)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.config import Config
from conftest import MotoServer

from cloudwatch_datasource.auth import AwsSessions
from cloudwatch_datasource.policy import ClientTuning
from cloudwatch_datasource.settings import AuthType, DataSourceSettings

ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/grafana-reader"
# Shaped like real keys so the redaction rules are exercised; not real credentials.
ENV_KEY = "AKIAENVIRONMENT00001"
ENV_SECRET = "EnvSecretEnvSecretEnvSecretEnvSecret0001"
TUNING = ClientTuning(max_attempts=1, connect_timeout_s=2, read_timeout_s=10)


@dataclass
class CallLog:
    """botocore 'before-parameter-build' events: one per API call (retries not counted), with its params."""

    events: list[str] = field(default_factory=list)
    params: list[dict[str, Any]] = field(default_factory=list)

    def hook(self, event_name: str, params: dict[str, Any] | None = None, **_: Any) -> None:
        self.events.append(event_name)
        self.params.append(dict(params or {}))

    def count(self, suffix: str) -> int:
        return sum(1 for e in self.events if e.endswith(suffix))

    def params_of(self, suffix: str) -> list[dict[str, Any]]:
        return [p for e, p in zip(self.events, self.params, strict=True) if e.endswith(suffix)]


@pytest.fixture
def calls() -> CallLog:
    return CallLog()


@pytest.fixture
def sessions(calls: CallLog) -> AwsSessions:
    return AwsSessions(TUNING, event_hooks=[("before-parameter-build", calls.hook)])


def make_settings(endpoint: str, auth_type: AuthType = AuthType.DEFAULT, **kw: Any) -> DataSourceSettings:
    values: dict[str, Any] = {"uid": "ds1", "name": "CloudWatch", "auth_type": auth_type,
                              "auth_type_raw": auth_type.value, "default_region": "us-east-1",
                              "endpoint": endpoint}
    values.update(kw)
    return DataSourceSettings(**values)


def closed_port_url() -> str:
    from conftest import free_port
    return f"http://127.0.0.1:{free_port()}"


def reset_auth(server: MotoServer, free_actions: int) -> None:
    # moto reads the raw body as the number of actions left unchecked before auth mode starts.
    server.post("/moto-api/reset-auth", str(free_actions).encode())


@dataclass
class AuthWorld:
    server: MotoServer
    alice_key: str  # allowed: CloudWatch read + sts:AssumeRole
    alice_secret: str
    bob_key: str  # no policy at all
    bob_secret: str
    role_arn: str  # trusts the account, requires ExternalId "ext-good"


@pytest.fixture(scope="module")
def auth_moto() -> Iterator[AuthWorld]:
    server = MotoServer()
    try:
        iam = boto3.client("iam", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="seed",
                           aws_secret_access_key="seed", config=Config(retries={"max_attempts": 1}))
        keys = {}
        for user in ("alice", "bob"):
            iam.create_user(UserName=user)
            keys[user] = iam.create_access_key(UserName=user)["AccessKey"]
        # moto checks CloudWatch actions under the endpoint prefix "monitoring", not "cloudwatch".
        iam.put_user_policy(UserName="alice", PolicyName="read", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["monitoring:ListMetrics", "monitoring:GetMetricData",
                                               "sts:AssumeRole"], "Resource": "*"}]}))
        role = iam.create_role(RoleName="cross-account-reader", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                # moto does not match an account-root principal, so the trusted user is named.
                "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"},
                "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "ext-good"}}}]}))
        iam.put_role_policy(RoleName="cross-account-reader", PolicyName="read", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["monitoring:ListMetrics"], "Resource": "*"}]}))
        reset_auth(server, 0)
        yield AuthWorld(server, keys["alice"]["AccessKeyId"], keys["alice"]["SecretAccessKey"],
                        keys["bob"]["AccessKeyId"], keys["bob"]["SecretAccessKey"], role["Role"]["Arn"])
    finally:
        server.stop()


def write_credentials(path: str, text: str, mode: int = 0o600) -> None:
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
