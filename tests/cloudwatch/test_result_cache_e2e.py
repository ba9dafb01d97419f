"""Coalescing, the result cache and incremental refresh as Grafana sees them (issue 15): the plugin under
grafana-server's own client (the Go host, tests/support/grafana_host.py), AWS played by the fake endpoint in window
mode (datapoints for exactly the requested window and period, tests/support/fake_aws.py), so a cached, coalesced or
incremental answer can be compared point for point with a fresh call's.

- Identical queries in flight from many viewers make one GetMetricData call; every viewer gets the same frames.
- A viewer a moment later is answered from the cache (meta.custom.cache "hit"), with a fresh call's values.
- A refresh two minutes later fetches only the new periods plus the late-data overlap, and its values (a late
  change in the overlap included) equal those of a datasource with the cache off.
- Changed credentials (a settings change) never get the previous identity's answer; an alert evaluation
  (`FromAlert: true`) is never answered from the cache.
- The hits, misses and coalesced waits are in the plugin's metrics.
- Two plugin processes (Grafana HA) sharing one real redis-server: the second refreshes incrementally from the
  entry the first left there.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support.fake_aws import FakeAws, window_value
from support.grafana_host import (
    GrafanaHost,
    QueryAnswer,
    StartGrafana,
    data_query,
    datasource,
    field_values,
    go_plugin,
    query_answer,
)
from support.redis_server import REDIS_PASSWORD, RedisServer

from .helpers import ms, sample_sum

EC2 = {"namespace": "AWS/EC2", "metricName": "CPUUtilization", "statistic": "Average", "period": "60",
       "region": "us-east-1", "metricQueryType": 0, "metricEditorMode": 0, "queryMode": "Metrics",
       "dimensions": {"InstanceId": ["i-3"]}, "matchExact": True}


def live_end() -> datetime:
    """Now, at second 20 of its minute: a few seconds either way stay in the same aligned window."""
    return datetime.now(UTC).replace(second=20, microsecond=0)


@pytest.fixture
def fake() -> Iterator[FakeAws]:
    with FakeAws() as running:
        running.window_answers = True
        yield running


@pytest.fixture
def plugin(grafana: StartGrafana, isolated_aws_env: dict[str, str]) -> Iterator[GrafanaHost]:
    yield from go_plugin(grafana, isolated_aws_env)


def settings(fake: FakeAws, key: str = "AKIDCACHEONE", *, updated: int = 1, uid: str = "ds-cache",
             **json_data: Any) -> dict[str, Any]:
    return datasource({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": fake.url, **json_data},
                      {"accessKey": key, "secretKey": "cache-secret"}, uid=uid, last_updated_ms=updated)


def panel(end: datetime, ref: str = "A", hours: float = 1, **model: Any) -> dict[str, Any]:
    return data_query(ref, {**EC2, **model}, ms(end - timedelta(hours=hours)), ms(end))


def values(answer: QueryAnswer, ref: str = "A") -> tuple[list[Any], list[Any]]:
    result = answer.results[ref]
    assert result["status"] == 200 and "error" not in result, result
    frame = answer.frames(ref)[0]
    return field_values(frame, "Time"), field_values(frame, "Value")


def cache_of(answer: QueryAnswer, ref: str = "A") -> str:
    return str(answer.frames(ref)[0]["schema"]["meta"]["custom"]["cache"])


def test_fifty_viewers_in_flight_make_one_call_and_get_the_same_frames(plugin: GrafanaHost, fake: FakeAws) -> None:
    fake.delay_s = 0.5
    end = live_end()
    ds = settings(fake)
    futures = [plugin.submit_query([panel(end - timedelta(seconds=i % 5))], ds) for i in range(50)]
    answers = [query_answer(f, 90) for f in futures]
    assert fake.count("GetMetricData") == 1
    first = values(answers[0])
    assert all(values(a) == first for a in answers)
    modes = sorted(cache_of(a) for a in answers)
    assert modes.count("miss") == 1 and set(modes) <= {"miss", "coalesced", "hit"}
    text = plugin.collect_metrics()
    waits = sample_sum(text, "cloudwatch_plugin_coalesced_waits_total", datasource="ds-cache")
    assert waits == modes.count("coalesced")
    assert sample_sum(text, "cloudwatch_plugin_result_cache_lookups_total", outcome="miss") == 1
    assert sample_sum(text, "cloudwatch_plugin_result_cache_bytes") > 0
    # One call was billed, not fifty.
    assert sample_sum(text, "cloudwatch_plugin_getmetricdata_metrics_requested_total", datasource="ds-cache") == 1


def test_a_viewer_a_moment_later_is_answered_from_the_cache_with_a_fresh_calls_values(plugin: GrafanaHost,
                                                                                       fake: FakeAws) -> None:
    end = live_end()
    first = plugin.query([panel(end)], settings(fake))
    later = plugin.query([panel(end + timedelta(seconds=3))], settings(fake))
    assert (cache_of(first), cache_of(later)) == ("miss", "hit") and fake.count("GetMetricData") == 1
    fresh = plugin.query([panel(end)], settings(fake, "AKIDCACHEOFF", uid="ds-off", cacheTTLSeconds=0))
    assert cache_of(fresh) == "off"
    assert values(first) == values(later) == values(fresh)
    assert len(values(first)[1]) == 61


def test_a_refresh_fetches_only_new_periods_and_the_overlap_and_equals_a_fresh_call(plugin: GrafanaHost,
                                                                                    fake: FakeAws) -> None:
    ds = settings(fake, cacheTTLSeconds=1)
    end = live_end()
    plugin.query([panel(end, hours=3)], ds)
    full = fake.datapoints_served
    # Late data: the recent minutes change after the first fetch, as CloudWatch data does while it arrives.
    fake.filling_since, fake.filling_bump = (end - timedelta(minutes=3)).timestamp(), 0.25
    later = end + timedelta(minutes=2)
    refreshed = plugin.query([panel(later, hours=3)], ds)
    tail = fake.datapoints_served - full
    assert cache_of(refreshed) == "incremental"
    assert tail <= 0.1 * full, (tail, full)
    fresh = plugin.query([panel(later, hours=3)], settings(fake, "AKIDCACHEOFF", uid="ds-off", cacheTTLSeconds=0))
    assert values(refreshed) == values(fresh)
    stamps, numbers = values(refreshed)
    assert numbers[-1] == window_value(3, 60, stamps[-1] / 1000) + 0.25


def test_changed_credentials_never_get_the_previous_identitys_answer(plugin: GrafanaHost, fake: FakeAws) -> None:
    end = live_end()
    plugin.query([panel(end)], settings(fake, "AKIDCACHEONE"))
    # The datasource is saved with other keys: Grafana sends new settings and a new updated time.
    changed = plugin.query([panel(end)], settings(fake, "AKIDCACHETWO", updated=2))
    assert cache_of(changed) == "miss" and fake.count("GetMetricData") == 2
    assert fake.keys_seen() >= {"AKIDCACHEONE", "AKIDCACHETWO"}
    # Another datasource with the same queries and the same keys is another settings version: its own entry.
    other = plugin.query([panel(end)], settings(fake, "AKIDCACHEONE", uid="ds-other"))
    assert cache_of(other) == "miss" and fake.count("GetMetricData") == 3


def test_an_alert_evaluation_is_never_answered_from_the_cache(plugin: GrafanaHost, fake: FakeAws) -> None:
    end = live_end()
    plugin.query([panel(end)], settings(fake))
    alert = plugin.query([panel(end)], settings(fake), headers={"FromAlert": "true"})
    assert cache_of(alert) == "bypass" and fake.count("GetMetricData") == 2
    viewer = plugin.query([panel(end)], settings(fake))
    assert cache_of(viewer) == "hit" and fake.count("GetMetricData") == 2


def test_two_plugin_processes_refresh_incrementally_through_one_redis(grafana: StartGrafana,
                                                                       isolated_aws_env: dict[str, str],
                                                                       fake: FakeAws,
                                                                       redis_server: RedisServer) -> None:
    """Grafana HA: a viewer on one server loads the panel, a viewer on the other refreshes it two minutes later and
    fetches only the new periods plus the overlap, from the entry the first left in Redis; the values equal a fresh
    call's."""
    # Two Grafana servers, each with its own plugin process (the fixture stops both).
    first_server, second_server = (grafana(env={**isolated_aws_env, "GF_PLUGIN_AWS_MAX_ATTEMPTS": "1"})
                                   for _ in range(2))
    shared = settings(fake, "AKIDCACHEHA", uid="ds-ha", cacheTTLSeconds=1, resultCacheRedisUrl=redis_server.url,
                      resultCacheRedisPrefix=f"cache-e2e-{datetime.now(UTC).timestamp()}:")
    shared["secureJsonData"]["resultCacheRedisPassword"] = REDIS_PASSWORD
    end = live_end()
    loaded = first_server.query([panel(end, hours=3)], shared)
    assert cache_of(loaded) == "miss"
    full = fake.datapoints_served
    later = end + timedelta(minutes=2)
    refreshed = second_server.query([panel(later, hours=3)], shared)
    assert cache_of(refreshed) == "incremental" and fake.datapoints_served - full <= 0.1 * full
    fresh = first_server.query([panel(later, hours=3)], settings(fake, "AKIDCACHEOFF", uid="ds-off",
                                                                  cacheTTLSeconds=0))
    assert values(refreshed) == values(fresh)
