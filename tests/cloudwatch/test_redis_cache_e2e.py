"""The shared result cache in Redis seen from Grafana (issue 15, Grafana HA): two plugin processes, each under
grafana-server's own client (the Go host), share GetMetricData answers through a real redis-server; with AUTH
(password, ACL user) and TLS; and whatever goes wrong with Redis (refused password, nothing listening, values that
cannot be read back), every query is still answered, from AWS (the fake endpoint, which counts the calls)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support.fake_aws import FakeAws
from support.grafana_host import GrafanaHost, QueryAnswer, StartGrafana, data_query, datasource
from support.redis_server import REDIS_ACL_PASSWORD, REDIS_ACL_USER, REDIS_PASSWORD, RedisServer, free_port

from cloudwatch_datasource.cloudwatch.redis_store import MAGIC

from .helpers import ms

# A window well in the past: complete, so the second request is answered whole from the cache.
START = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
END = START + timedelta(hours=1)
EC2 = {"namespace": "AWS/EC2", "metricName": "CPUUtilization", "statistic": "Average", "period": "300",
       "region": "us-east-1", "dimensions": {"InstanceId": ["i-1"]}, "matchExact": True, "id": "cpu"}
WRONG_REDIS_PASSWORD = "not-the-redis-password-4Fj9"
PREFIX = "e2e-cwds:"


@pytest.fixture
def start_plugin(grafana: StartGrafana, isolated_aws_env: dict[str, str]) -> Iterator[Any]:
    started: list[GrafanaHost] = []

    def start() -> GrafanaHost:
        host = grafana(env={**isolated_aws_env, "GF_PLUGIN_AWS_MAX_ATTEMPTS": "1"})
        started.append(host)
        return host

    yield start
    for host in started:
        stopped = host.kill()
        assert stopped["graceful"], stopped["hostLog"]


def settings(fake: FakeAws, redis: dict[str, Any], secure: dict[str, str] | None = None) -> dict[str, Any]:
    return datasource({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": fake.url,
                       "resultCacheRedisPrefix": PREFIX, **redis},
                      {"accessKey": "AKIDREDISTEST", "secretKey": "redis-e2e-secret", **(secure or {})},
                      uid="ds-redis")


def ask(host: GrafanaHost, ds: dict[str, Any]) -> tuple[QueryAnswer, str]:
    """The panel's answer and how the plugin obtained it (meta.custom.cache)."""
    resp = host.query([data_query("A", EC2, ms(START), ms(END))], ds)
    result = resp.results["A"]
    assert result["status"] == 200 and "error" not in result, result
    frames = resp.frames("A")
    assert frames and frames[0]["data"]["values"][1], frames
    return resp, str(frames[0]["schema"]["meta"]["custom"]["cache"])


def values(resp: QueryAnswer) -> list[Any]:
    return [frame["data"]["values"] for frame in resp.frames("A")]


def empty(server: RedisServer) -> None:
    client = server.client()
    for key in client.scan_iter(match=PREFIX.encode() + b"*"):  # type: ignore[attr-defined]
        client.delete(key)  # type: ignore[attr-defined]


def test_two_plugin_processes_share_answers_through_redis(start_plugin: Any, fake: FakeAws,
                                                          redis_server: RedisServer) -> None:
    empty(redis_server)
    ds = settings(fake, {"resultCacheRedisUrl": redis_server.url}, {"resultCacheRedisPassword": REDIS_PASSWORD})
    first, how = ask(start_plugin(), ds)
    assert how == "miss" and fake.count("GetMetricData") == 1
    stored = [redis_server.client().get(k) for k in  # type: ignore[attr-defined]
              redis_server.client().scan_iter(match=PREFIX.encode() + b"*")]  # type: ignore[attr-defined]
    assert stored and all(v.startswith(MAGIC) for v in stored)
    # Another Grafana server's plugin process: the answer comes from Redis, AWS is not asked again.
    second, how = ask(start_plugin(), ds)
    assert how == "hit" and fake.count("GetMetricData") == 1
    assert values(second) == values(first)
    health = start_plugin().check_health(ds)
    assert health["status"] == "OK", health
    assert f"Shared result cache: Redis at {redis_server.url} answers." in health["message"], health["message"]


def test_an_acl_user_and_tls(start_plugin: Any, fake: FakeAws, redis_server: RedisServer,
                             redis_tls_server: RedisServer) -> None:
    empty(redis_server)
    acl = settings(fake, {"resultCacheRedisUrl": redis_server.url, "resultCacheRedisUser": REDIS_ACL_USER},
                   {"resultCacheRedisPassword": REDIS_ACL_PASSWORD})
    tls = settings(fake, {"resultCacheRedisUrl": redis_tls_server.url,
                          "resultCacheRedisCaFile": str(redis_tls_server.tls.ca_file)},  # type: ignore[union-attr]
                   {"resultCacheRedisPassword": REDIS_PASSWORD})
    for ds in (acl, tls):
        fake.reset_requests()
        assert ask(start_plugin(), ds)[1] == "miss"
        assert ask(start_plugin(), ds)[1] == "hit" and fake.count("GetMetricData") == 1


@pytest.mark.parametrize("trouble", ["refused password", "nothing listening", "TLS without the CA"])
def test_redis_trouble_is_a_miss_and_every_query_is_answered(start_plugin: Any, fake: FakeAws, trouble: str,
                                                             redis_server: RedisServer,
                                                             redis_tls_server: RedisServer) -> None:
    redis, secure = {
        "refused password": ({"resultCacheRedisUrl": redis_server.url}, WRONG_REDIS_PASSWORD),
        "nothing listening": ({"resultCacheRedisUrl": f"redis://127.0.0.1:{free_port()}/0"}, REDIS_PASSWORD),
        "TLS without the CA": ({"resultCacheRedisUrl": redis_tls_server.url}, REDIS_PASSWORD),
    }[trouble]
    ds = settings(fake, redis, {"resultCacheRedisPassword": secure})
    host = start_plugin()
    first, how = ask(host, ds)
    second, again = ask(host, ds)
    assert (how, again) == ("miss", "miss") and values(first) == values(second)
    assert fake.count("GetMetricData") == 2  # both from AWS: Redis never answered
    warnings = [line for line in host.logs() if "redis result cache unavailable" in str(line.get("@message"))]
    assert len(warnings) == 1, host.logs()  # once, not per query
    # "Save & test" says so, and still passes: the cache never fails the datasource.
    health = host.check_health(ds)
    expected = {"refused password": "AuthenticationError", "nothing listening": "ConnectionError",
                "TLS without the CA": "certificate verify failed"}[trouble]
    assert health["status"] == "OK" and "is not answering" in health["message"], health["message"]
    assert expected in health["message"], health["message"]


def test_unusable_settings_leave_the_in_process_cache(start_plugin: Any, fake: FakeAws) -> None:
    ds = settings(fake, {"resultCacheRedisUrl": f"redis://user:{WRONG_REDIS_PASSWORD}@127.0.0.1:1/0"})
    host = start_plugin()
    assert ask(host, ds)[1] == "miss" and ask(host, ds)[1] == "hit"  # from this process's own cache
    health = host.check_health(ds)
    assert health["status"] == "OK" and "holds a password" in health["message"], health["message"]


def test_values_that_cannot_be_read_back_are_misses(start_plugin: Any, fake: FakeAws,
                                                    redis_server: RedisServer) -> None:
    empty(redis_server)
    ds = settings(fake, {"resultCacheRedisUrl": redis_server.url}, {"resultCacheRedisPassword": REDIS_PASSWORD})
    first, _ = ask(start_plugin(), ds)
    client = redis_server.client()
    keys = list(client.scan_iter(match=PREFIX.encode() + b"*"))  # type: ignore[attr-defined]
    assert keys
    for key in keys:  # another program's (or version's) bytes under the same keys
        client.set(key, b"\x00corrupt" + client.get(key)[40:], px=60_000)  # type: ignore[attr-defined]
    second, how = ask(start_plugin(), ds)
    assert how == "miss" and fake.count("GetMetricData") == 2 and values(second) == values(first)
