"""The shared result cache in a real redis-server (Debian's package, started by tests/support/redis_server.py on
127.0.0.1): AUTH with a password and with an ACL user, TLS with a throwaway CA, and every failure a miss."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from structlog.testing import capture_logs
from support.clock import ManualClock
from support.redis_server import REDIS_ACL_PASSWORD, REDIS_ACL_USER, REDIS_PASSWORD, RedisServer, free_port, start_redis

from cloudwatch_datasource import deadlines
from cloudwatch_datasource.backend import DataSourceInstance
from cloudwatch_datasource.cloudwatch.redis_store import (
    BACKOFF_S,
    MAGIC,
    MAX_VALUE_BYTES,
    RedisStore,
    RedisStores,
    unwrap,
    wrap,
)
from cloudwatch_datasource.settings import RedisCacheSettings, parse_settings

pytestmark = pytest.mark.processes  # starts redis-server (tests/support/tiers.py)

KEY = b"cwds:gmd:v1:" + bytes.fromhex("00ff" * 16)  # any bytes: Redis keys are binary-safe
VALUE = b"\x00frames\xffbytes" * 100



def settings_for(server: RedisServer, **changes: object) -> RedisCacheSettings:
    base: dict[str, object] = {"url": server.url, "password": REDIS_PASSWORD, "prefix": "test:",
                               "timeout_s": 1.0}
    if server.tls is not None:
        base["ca_file"] = str(server.tls.ca_file)
    base.update(changes)
    return RedisCacheSettings(**base)  # type: ignore[arg-type]


def test_values_round_trip_under_the_prefix_with_their_ttl(redis_server: RedisServer) -> None:
    redis_server.client().delete(b"test:" + KEY)  # type: ignore[attr-defined]  # the server is the session's
    store = RedisStore(settings_for(redis_server))
    assert store.get(KEY) is None
    # Every process sharing the Redis derives the same HMAC secret; another password, another secret.
    assert store.key_secret == RedisStore(settings_for(redis_server)).key_secret != \
        RedisStore(settings_for(redis_server, password="other")).key_secret
    store.put(KEY, VALUE, ttl_seconds=30)
    assert store.get(KEY) == VALUE
    raw = redis_server.client()
    name = b"test:" + KEY
    assert 0 < raw.pttl(name) <= 30_000  # type: ignore[attr-defined]
    assert raw.get(name).startswith(MAGIC)  # type: ignore[attr-defined]
    store.put(KEY, VALUE, ttl_seconds=0)  # nothing to keep: not written (and the old value stays)
    assert store.get(KEY) == VALUE


def test_an_acl_user_authenticates(redis_server: RedisServer) -> None:
    store = RedisStore(settings_for(redis_server, username=REDIS_ACL_USER, password=REDIS_ACL_PASSWORD))
    store.put(KEY, b"acl", 30)
    assert store.get(KEY) == b"acl" and not store.failing


def test_a_refused_password_is_a_miss_logged_once_without_the_password(redis_server: RedisServer) -> None:
    writer = RedisStore(settings_for(redis_server))
    writer.put(KEY, VALUE, 30)
    clock = ManualClock()
    store = RedisStore(settings_for(redis_server, password="wrong-" + REDIS_PASSWORD), clock=clock)
    with capture_logs() as logs:
        assert store.get(KEY) is None
        store.put(KEY, b"other", 30)  # backing off: not even tried
        clock.now += BACKOFF_S
        assert store.get(KEY) is None  # tried again, refused again: still a miss, not logged again
    assert store.failing
    warnings = [entry for entry in logs if entry["log_level"] == "warning"]
    assert len(warnings) == 1 and warnings[0]["error"] == "AuthenticationError", logs
    assert REDIS_PASSWORD not in json.dumps(logs)
    assert writer.get(KEY) == VALUE  # the refused put changed nothing


def test_an_unreachable_server_is_a_miss_until_it_answers(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there yet
    clock = ManualClock()
    settings = RedisCacheSettings(url=f"redis://127.0.0.1:{port}/0", password=REDIS_PASSWORD, timeout_s=1.0)
    store = RedisStore(settings, clock=clock)
    assert store.get(KEY) is None and store.failing
    with start_redis(tmp_path, password=REDIS_PASSWORD, port=port):
        RedisStore(settings).put(KEY, VALUE, 30)
        assert store.get(KEY) is None  # still backing off: Redis is not asked within BACKOFF_S
        clock.now += BACKOFF_S
        assert store.get(KEY) == VALUE and not store.failing


@pytest.mark.parametrize("damage", ["foreign", "truncated", "flipped", "other version", "other key",
                                    "forged without the secret"])
def test_a_value_that_cannot_be_read_back_is_a_miss(redis_server: RedisServer, damage: str) -> None:
    store = RedisStore(settings_for(redis_server))
    raw = redis_server.client()
    name = b"test:" + KEY
    secret = store.key_secret
    good = wrap(secret, KEY, VALUE)
    stored = {
        "foreign": b"some other program's value",
        "truncated": good[:-1],
        "flipped": good[:-1] + bytes([good[-1] ^ 1]),
        "other version": good[:4] + bytes([good[4] + 1]) + good[5:],
        "other key": wrap(secret, b"another key", VALUE),
        # Reviewer (issue 15): the checksum was unkeyed, so anyone able to write to Redis could forge a value.
        "forged without the secret": wrap(b"a guessed secret", KEY, VALUE),
    }[damage]
    raw.set(name, stored, px=30_000)  # type: ignore[attr-defined]
    assert store.get(KEY) is None
    assert not store.failing  # a bad value is not a Redis failure
    assert unwrap(secret, KEY, good) == VALUE


def test_tls_with_the_ca_file(redis_tls_server: RedisServer) -> None:
    store = RedisStore(settings_for(redis_tls_server))
    store.put(KEY, VALUE, 30)
    assert store.get(KEY) == VALUE and not store.failing


def test_tls_refuses_a_server_the_ca_does_not_vouch_for(redis_tls_server: RedisServer) -> None:
    # Without the CA file the system CAs are used, which never signed the test server: a miss, not a failure.
    with capture_logs() as logs:
        store = RedisStore(settings_for(redis_tls_server, ca_file=""))
        store.put(KEY, VALUE, 30)
        assert store.get(KEY) is None and store.failing
    assert any("SSL" in entry.get("detail", "") or "certificate" in entry.get("detail", "") for entry in logs), logs


def test_tls_to_a_plain_server_is_a_miss(redis_server: RedisServer) -> None:
    store = RedisStore(settings_for(redis_server, url=redis_server.url.replace("redis://", "rediss://")))
    assert store.get(KEY) is None and store.failing


def test_no_command_when_the_request_deadline_is_nearer_than_the_timeout(redis_server: RedisServer) -> None:
    store = RedisStore(settings_for(redis_server))
    store.put(KEY, VALUE, 30)
    token = deadlines.current.set(deadlines.RequestScope(limit_s=0.5))  # < 4 timeouts of 1 s
    try:
        assert store.get(KEY) is None
        store.put(KEY, b"not written", 30)
    finally:
        deadlines.current.reset(token)
    assert store.get(KEY) == VALUE and not store.failing


def test_stores_are_shared_per_configuration_and_unusable_settings_give_none(redis_server: RedisServer) -> None:
    stores = RedisStores(max_entries=2)
    first = stores.get(settings_for(redis_server))
    assert first is not None and stores.get(settings_for(redis_server)) is first
    assert stores.get(RedisCacheSettings()) is None
    assert stores.get(RedisCacheSettings(url="<unusable>", problem="bad")) is None


def parse_redis(json_data: dict[str, object], secure: dict[str, str] | None = None) -> RedisCacheSettings:
    instance = DataSourceInstance(uid="u", json_data=json.dumps({"defaultRegion": "us-east-1", **json_data}).encode(),
                                  decrypted_secure_json_data=secure or {})
    return parse_settings(instance).result_cache_redis


def test_settings_parse_and_refuse_without_failing_the_datasource() -> None:
    assert not parse_redis({}).enabled
    ok = parse_redis({"resultCacheRedisUrl": "rediss://cache:6380/2", "resultCacheRedisUser": "grafana",
                      "resultCacheRedisCaFile": "/etc/ssl/redis-ca.pem", "resultCacheRedisTimeoutMs": "100"},
                     {"resultCacheRedisPassword": REDIS_PASSWORD})
    assert ok.enabled and ok.password == REDIS_PASSWORD and ok.timeout_s == 0.1 and ok.username == "grafana"
    assert REDIS_PASSWORD not in repr(ok)
    for bad, why in [({"resultCacheRedisUrl": "http://cache:6379"}, "redis://"),
                     ({"resultCacheRedisUrl": f"redis://u:{REDIS_PASSWORD[:8]}@cache:6379"}, "secureJsonData"),
                     ({"resultCacheRedisUrl": "redis://cache:port"}, "cannot be read"),
                     ({"resultCacheRedisUrl": "redis://cache", "resultCacheRedisCaFile": "/ca.pem"}, "rediss://"),
                     ({"resultCacheRedisUrl": "redis://cache", "resultCacheRedisTimeoutMs": 0}, "milliseconds")]:
        parsed = parse_redis(bad)
        assert not parsed.enabled and why in parsed.problem, (bad, parsed.problem)


def test_a_value_over_the_size_limit_is_not_written(redis_server: RedisServer) -> None:
    """Reviewer (issue 15): the in-process store keeps no value over a quarter of its bound; Redis had no limit."""
    store = RedisStore(settings_for(redis_server))
    big_key = KEY + b":big"
    store.put(big_key, b"x" * (MAX_VALUE_BYTES + 1), ttl_seconds=30)
    assert redis_server.client().get(b"test:" + big_key) is None  # type: ignore[attr-defined]
    store.put(big_key, b"x" * 1000, ttl_seconds=30)
    assert store.get(big_key) == b"x" * 1000


def test_all_connections_busy_is_a_miss_without_a_backoff(redis_server: RedisServer,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Reviewer (issue 15): a burst past MAX_CONNECTIONS counted as a Redis failure and turned the shared cache
    off for BACKOFF_S for every request."""
    monkeypatch.setattr("cloudwatch_datasource.cloudwatch.redis_store.MAX_CONNECTIONS", 1)
    store = RedisStore(settings_for(redis_server))
    store.put(KEY, VALUE, ttl_seconds=30)
    pool = store._client.connection_pool
    held = pool.get_connection()  # the pool's one connection is busy
    try:
        assert store.get(KEY) is None
        store.put(KEY, VALUE, ttl_seconds=30)  # skipped, not an error
        assert not store.failing
    finally:
        pool.release(held)
    assert store.get(KEY) == VALUE  # no backoff: the next read goes to Redis


def test_several_keys_are_read_in_one_command(redis_server: RedisServer) -> None:
    """Reviewer (issue 15): a request's plans were looked up one GET after another (one timeout each when Redis
    is slow); they are read with one MGET."""
    store = RedisStore(settings_for(redis_server))
    store.put(KEY, VALUE, ttl_seconds=30)
    before = redis_server.client().info("commandstats").get("cmdstat_mget", {}).get("calls", 0)  # type: ignore[attr-defined]
    assert store.get_many([KEY, KEY + b":absent", KEY]) == [VALUE, None, VALUE]
    after = redis_server.client().info("commandstats")["cmdstat_mget"]["calls"]  # type: ignore[attr-defined]
    assert after == before + 1
