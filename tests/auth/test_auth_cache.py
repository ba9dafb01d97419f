"""The client cache: one AssumeRole per entry until near expiry, eviction on settings change, LRU bound,
thread safety."""

from __future__ import annotations

import threading
from dataclasses import replace

from cloudwatch_datasource.aws import AwsSessions
from cloudwatch_datasource.aws.providers import refresh_windows
from cloudwatch_datasource.policy import OperatorPolicy
from cloudwatch_datasource.settings import AuthType

from .helpers import ROLE_ARN, TUNING, make_settings


def _assume(url, **kw):
    return make_settings(url, AuthType.KEYS, access_key="AKIAKEYSKEYSKEYS0001", secret_key="s" * 40,
                         assume_role_arn=ROLE_ARN, **kw)


def test_many_gets_and_calls_make_one_assume_role(moto, isolated_aws_env, sessions, calls):
    settings = _assume(moto.url)
    first = sessions.get(settings, OperatorPolicy())
    for _ in range(10):
        s = sessions.get(settings, OperatorPolicy())
        assert s is first
        s.client("cloudwatch").list_metrics()
        s.client("cloudwatch").get_metric_data(MetricDataQueries=[], StartTime=0, EndTime=1)
    s.credentials_source()
    assert calls.count("sts.AssumeRole") == 1
    assert calls.count("cloudwatch.ListMetrics") == 10
    [params] = calls.params_of("sts.AssumeRole")
    assert "ExternalId" not in params  # sent only when set
    assert params["RoleSessionName"].startswith("grafana-cloudwatch-") and params["DurationSeconds"] == 900


def test_session_duration_from_policy(moto, isolated_aws_env, sessions, calls):
    s = sessions.get(_assume(moto.url), OperatorPolicy(session_duration_seconds=3600))
    s.client("cloudwatch").list_metrics()
    assert calls.params_of("sts.AssumeRole")[0]["DurationSeconds"] == 3600


def test_refresh_windows_fit_the_session():
    # botocore's own 15/10-minute windows would refresh a 15-minute session on every request.
    assert refresh_windows(900) == (300, 150)
    assert refresh_windows(3600) == (900, 600)


def test_assumed_credentials_refresh_near_expiry(moto, isolated_aws_env, sessions, calls):
    s = sessions.get(_assume(moto.url), OperatorPolicy())
    s.client("cloudwatch").list_metrics()
    creds = s._resolve()
    # Pretend the clock moved past expiry, both for the credentials and for the fetcher's cached STS answer
    # (botocore's own objects, reached without patching): the next call must assume the role again.
    creds._expiry_time = creds._expiry_time.replace(year=2000)
    for response in creds._refresh_using.__self__._cache.values():
        response["Credentials"]["Expiration"] = creds._expiry_time
    s.client("cloudwatch").list_metrics()
    assert calls.count("sts.AssumeRole") == 2


def test_regions_are_separate_entries(moto, isolated_aws_env, sessions):
    settings = _assume(moto.url)
    a = sessions.get(settings, OperatorPolicy(), "us-east-1")
    b = sessions.get(settings, OperatorPolicy(), "eu-west-1")
    assert a is not b and (a.region, b.region) == ("us-east-1", "eu-west-1")
    assert a.client("cloudwatch").meta.region_name == "us-east-1"
    assert b.client("cloudwatch").meta.region_name == "eu-west-1"
    assert len(sessions) == 2


def test_settings_change_evicts_old_entries(moto, isolated_aws_env, sessions):
    old = _assume(moto.url)
    for region in ("us-east-1", "eu-west-1"):
        sessions.get(old, OperatorPolicy(), region)
    sessions.get(_assume(moto.url, uid="other-ds"), OperatorPolicy())
    assert len(sessions) == 3
    new = replace(old, secret_key="t" * 40, last_updated_ms=2)
    fresh = sessions.get(new, OperatorPolicy(), "us-east-1")
    assert len(sessions) == 2  # both old ds1 entries gone, other-ds kept, the new one added
    assert sessions.get(new, OperatorPolicy(), "us-east-1") is fresh


def test_bounded_lru(moto, isolated_aws_env):
    sessions = AwsSessions(TUNING, max_entries=3)
    settings = _assume(moto.url)
    regions = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1"]
    first = sessions.get(settings, OperatorPolicy(), regions[0])
    for r in regions[1:3]:
        sessions.get(settings, OperatorPolicy(), r)
    assert sessions.get(settings, OperatorPolicy(), regions[0]) is first  # touch: now most recent
    for r in regions[3:]:
        sessions.get(settings, OperatorPolicy(), r)
    assert len(sessions) == 3
    assert sessions.get(settings, OperatorPolicy(), regions[0]) is first  # survived as recently used
    assert len(sessions) == 3


def test_concurrent_use_builds_one_entry_and_one_assume_role(moto, isolated_aws_env, sessions, calls):
    settings = _assume(moto.url)
    seen, errors = [], []
    barrier = threading.Barrier(8)

    def work() -> None:
        try:
            barrier.wait()
            s = sessions.get(settings, OperatorPolicy())
            s.client("cloudwatch").list_metrics()
            seen.append(s)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and len(seen) == 8 and len({id(s) for s in seen}) == 1
    assert calls.count("sts.AssumeRole") == 1


def test_same_uid_in_two_organisations_do_not_evict_each_other(moto, isolated_aws_env, sessions, calls):
    # Provisioning often reuses a uid across orgs; the two datasources are different and must both stay cached.
    org1 = replace(make_settings(moto.url, AuthType.KEYS, access_key="AKIDORG1", secret_key="s1",
                                 assume_role_arn=ROLE_ARN, last_updated_ms=1), org_id=1)
    org2 = replace(make_settings(moto.url, AuthType.KEYS, access_key="AKIDORG2", secret_key="s2",
                                 assume_role_arn=ROLE_ARN, last_updated_ms=2), org_id=2)
    policy = OperatorPolicy()
    for _ in range(5):
        for settings in (org1, org2):
            sessions.get(settings, policy).client("cloudwatch").list_metrics()
    assert len(sessions) == 2
    assert calls.count("AssumeRole") == 2  # one per organisation's datasource, not one per alternation
