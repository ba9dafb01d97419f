"""Endpoint, FIPS, STS region and client configuration rules (no AWS call needed to check a client's setup)."""

from __future__ import annotations

import pytest

from cloudwatch_datasource import __version__
from cloudwatch_datasource.aws import endpoint_rules, sts_region
from cloudwatch_datasource.policy import ClientTuning, OperatorPolicy
from cloudwatch_datasource.settings import AuthType

from .helpers import ROLE_ARN, make_settings


@pytest.mark.parametrize(("endpoint", "url", "fips", "ignored"), [
    ("", None, False, False),
    ("default", None, False, False),
    ("https://monitoring-fips.us-east-1.amazonaws.com", None, True, False),
    ("sts.us-east-1.amazonaws.com", None, False, True),
    ("sts-fips.us-east-1.amazonaws.com", None, True, False),  # "-fips." wins: FIPS on, URL dropped
    ("https://sts.eu-west-1.amazonaws.com", None, False, True),
    ("https://monitoring.eu-west-1.amazonaws.com", "https://monitoring.eu-west-1.amazonaws.com", False, False),
    ("monitoring.eu-west-1.amazonaws.com", "https://monitoring.eu-west-1.amazonaws.com", False, False),
    ("http://127.0.0.1:4566", "http://127.0.0.1:4566", False, False),
])
def test_endpoint_rules(endpoint, url, fips, ignored):
    rules = endpoint_rules(endpoint)
    assert (rules.endpoint_url, rules.use_fips, rules.ignored_sts_endpoint) == (url, fips, ignored)


def test_sts_region_for_opt_in_regions():
    assert sts_region("af-south-1") == "us-east-1"
    assert sts_region("me-central-1") == "us-east-1"
    assert sts_region("eu-west-1") == "eu-west-1"


def _keys(endpoint, **kw):
    return make_settings(endpoint, AuthType.KEYS, access_key="AKIAKEYSKEYSKEYS0001", secret_key="s" * 40, **kw)


def test_client_config(isolated_aws_env):
    from cloudwatch_datasource.aws import AwsSessions

    tuning = ClientTuning(retry_mode="adaptive", max_attempts=5, connect_timeout_s=3, read_timeout_s=7,
                          max_concurrency=20)
    s = AwsSessions(tuning).get(_keys("", default_region="eu-west-1"), OperatorPolicy())
    cw = s.client("cloudwatch")
    assert cw is s.client("cloudwatch")  # cached per service
    cfg = cw.meta.config
    assert cfg.retries == {"mode": "adaptive", "total_max_attempts": 5}
    assert (cfg.connect_timeout, cfg.read_timeout, cfg.max_pool_connections) == (3, 7, tuning.grpc_workers)
    assert tuning.grpc_workers == 96  # the pool covers every gRPC worker
    assert f"pyaws-cloudwatch-datasource/{__version__}" in cfg.user_agent_extra
    assert cw.meta.endpoint_url == "https://monitoring.eu-west-1.amazonaws.com"


def test_fips_endpoint(isolated_aws_env, sessions):
    s = sessions.get(_keys("https://monitoring-fips.us-east-1.amazonaws.com"), OperatorPolicy())
    assert s.client("cloudwatch").meta.endpoint_url == "https://monitoring-fips.us-east-1.amazonaws.com"
    assert s.client("logs").meta.endpoint_url == "https://logs-fips.us-east-1.amazonaws.com"


def test_sts_looking_endpoint_is_ignored(isolated_aws_env, sessions):
    s = sessions.get(_keys("https://sts.eu-west-1.amazonaws.com", default_region="eu-west-1"), OperatorPolicy())
    assert s.client("cloudwatch").meta.endpoint_url == "https://monitoring.eu-west-1.amazonaws.com"
    assert s._sts_client().meta.endpoint_url == "https://sts.eu-west-1.amazonaws.com"


def test_opt_in_region_uses_us_east_1_for_sts(isolated_aws_env, sessions):
    s = sessions.get(_keys("", default_region="af-south-1", assume_role_arn=ROLE_ARN), OperatorPolicy())
    assert s.client("cloudwatch").meta.region_name == "af-south-1"
    sts = s._sts_client()
    assert sts.meta.region_name == "us-east-1"
    assert sts.meta.endpoint_url == "https://sts.us-east-1.amazonaws.com"  # regional, not global


def test_custom_endpoint_applies_to_every_client_including_sts(moto, isolated_aws_env, sessions, calls):
    s = sessions.get(_keys(moto.url, assume_role_arn=ROLE_ARN), OperatorPolicy())
    for name in ("cloudwatch", "logs", "ec2", "oam"):
        assert s.client(name).meta.endpoint_url == moto.url
    assert s._sts_client().meta.endpoint_url == moto.url
    s.credentials_source()  # the AssumeRole went to moto: it would fail otherwise (no network here)
    assert calls.count("sts.AssumeRole") == 1
