"""GetMetricData pacing seen from Grafana (issue 15): a dashboard's burst of calls is queued below the account's
quota instead of being throttled, and a call whose turn would come after the request's deadline fails alone.

The plugin runs under grafana-server's own client (the Go host); AWS is the fake endpoint with a transactions-per-
second quota (`FakeAws.quota`: beyond it, `Throttling: Rate exceeded` as AWS answers). botocore's retries are off,
so a throttled call would be a failed refId. Assertions are on counts and outcomes, never on durations.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support.fake_aws import FakeAws
from support.grafana_host import GrafanaHost, StartGrafana, data_query, datasource, go_plugin

from .helpers import ms, samples

START = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
UID = "ds-paced"
QUOTA = 6  # the fake's calls per second for GetMetricData
EC2 = {"namespace": "AWS/EC2", "metricName": "CPUUtilization", "statistic": "Average", "period": "60",
       "region": "us-east-1", "dimensions": {"InstanceId": ["i-1"]}, "matchExact": True}


@pytest.fixture
def plugin(grafana: StartGrafana, isolated_aws_env: dict[str, str]) -> Iterator[GrafanaHost]:
    # One QueryData's calls all at once: the burst a big dashboard makes.
    yield from go_plugin(grafana, isolated_aws_env, GF_PLUGIN_MAX_CONCURRENCY="16", GF_PLUGIN_REQUEST_TIMEOUT="20")


def settings(fake: FakeAws, **json_data: Any) -> dict[str, Any]:
    return datasource({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": fake.url, **json_data},
                      {"accessKey": "AKIDPACINGTEST", "secretKey": "pacing-secret"}, uid=UID)


def panels(count: int) -> list[dict[str, Any]]:
    """`count` refIds, each its own GetMetricData call (a time range of its own)."""
    return [data_query(f"Q{n}", {**EC2, "id": f"q{n}"}, ms(START + timedelta(minutes=n)),
                       ms(START + timedelta(minutes=n + 30))) for n in range(count)]


def test_a_burst_is_queued_below_the_quota_and_every_call_succeeds(plugin: GrafanaHost, fake: FakeAws) -> None:
    fake.quota("GetMetricData", QUOTA)
    resp = plugin.query(panels(16), settings(fake, getMetricDataCallsPerSecond=4))
    failed = {ref: r.get("error") for ref, r in resp.results.items() if r["status"] != 200 or "error" in r}
    assert not failed, failed
    assert all(resp.frames(f"Q{n}") for n in range(16))
    # The endpoint got each call once and throttled none: they arrived paced below its quota.
    assert fake.count("GetMetricData") == 16 and fake.throttled("GetMetricData") == 0
    text = plugin.collect_metrics()
    waits = samples(text, "cloudwatch_plugin_pacing_wait_seconds_count")
    assert waits == {(("operation", "GetMetricData"), ("region", "us-east-1")): 16.0}
    waited = samples(text, "cloudwatch_plugin_pacing_wait_seconds_sum")
    assert waited[(("operation", "GetMetricData"), ("region", "us-east-1"))] > 0  # 16 calls at 4/s: some queued
    assert samples(text, "cloudwatch_plugin_aws_throttles_total") == {}


def test_without_pacing_the_same_burst_is_throttled(plugin: GrafanaHost, fake: FakeAws) -> None:
    """The control: the fake's quota does throttle this load when the plugin does not pace (limit 0)."""
    fake.quota("GetMetricData", QUOTA)
    resp = plugin.query(panels(32), settings(fake, getMetricDataCallsPerSecond=0))
    throttled = [ref for ref, r in resp.results.items() if "Throttling:" in (r.get("error") or "")]
    assert throttled and fake.throttled("GetMetricData") == len(throttled)


def test_a_turn_after_the_deadline_fails_that_query_alone(grafana: StartGrafana, isolated_aws_env: dict[str, str],
                                                          fake: FakeAws) -> None:
    host = grafana(env={**isolated_aws_env, "GF_PLUGIN_AWS_MAX_ATTEMPTS": "1", "GF_PLUGIN_MAX_CONCURRENCY": "16",
                        "GF_PLUGIN_REQUEST_TIMEOUT": "4"})
    # 1 call a second and 4 s for the request: the calls' turns come 0, 1, 2, ... 7 s after the first; those at or
    # after the deadline are not sent (at least the last four, however slow the machine).
    resp = host.query(panels(8), settings(fake, getMetricDataCallsPerSecond=1))
    answered = [ref for ref, r in resp.results.items() if r["status"] == 200 and "error" not in r]
    refused = {ref: r for ref, r in resp.results.items() if r["status"] == 429}
    late = [ref for ref, r in resp.results.items() if r["status"] == 504]  # sent, but answered after the deadline
    assert answered and len(refused) >= 4 and len(answered) + len(refused) + len(late) == 8, resp.results
    for r in refused.values():
        assert "GetMetricData was not sent" in r["error"] and "1 calls/s" in r["error"], r["error"]
    assert fake.count("GetMetricData") <= 8 - len(refused)  # the refused calls never reached the endpoint
    text = host.collect_metrics()
    assert samples(text, "cloudwatch_plugin_pacing_refused_total") == {
        (("datasource", UID), ("operation", "GetMetricData"), ("region", "us-east-1")): float(len(refused))}
    stopped = host.kill()
    assert stopped["graceful"], stopped["hostLog"]
