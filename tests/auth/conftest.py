"""Fixtures for the auth tests: a session cache that records every AWS API call, and a second moto server in
auth mode (it checks signatures and IAM policies, unlike the shared one). Helpers: helpers.py."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config

from cloudwatch_datasource.aws import AwsSessions
from cloudwatch_datasource.tools.emulator import Emulator

from .helpers import ACCOUNT, TUNING, AuthWorld, CallLog, reset_auth


@pytest.fixture
def calls() -> CallLog:
    return CallLog()


@pytest.fixture
def sessions(calls: CallLog) -> AwsSessions:
    return AwsSessions(TUNING, event_hooks=[("before-parameter-build", calls.hook)])


@pytest.fixture(scope="module")
def auth_moto() -> Iterator[AuthWorld]:
    server = Emulator()
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
