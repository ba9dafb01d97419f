"""The store contract's in-process implementation and the key and value rules (cloudwatch/result_store.py)."""

from __future__ import annotations

from support.clock import ManualClock

from cloudwatch_datasource.cloudwatch.result_cache import ResultCache
from cloudwatch_datasource.cloudwatch.result_store import (
    VALUE_VERSION,
    AwsIdentity,
    InProcessStore,
    decode_value,
    encode_value,
    result_key,
)
from cloudwatch_datasource.settings import CacheSettings

IDENTITY = AwsIdentity(principal="key:AKIDSTORE", endpoint="", region="us-east-1", org_id=1, settings_version="v1")
QUERY = [{"Id": "a", "MetricStat": {"Metric": {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization"},
                                     "Period": 60, "Stat": "Average"}}]



def test_entries_expire_after_their_ttl() -> None:
    clock = ManualClock()
    store = InProcessStore(10_000, clock=clock)
    store.put(b"k", b"value", ttl_seconds=5)
    assert store.get(b"k") == b"value"
    clock.now += 5
    assert store.get(b"k") is None and store.bytes_used == 0


def test_memory_is_bounded_by_bytes_least_recently_used_first() -> None:
    store = InProcessStore(1100)
    for name in (b"a", b"b", b"c", b"d"):
        store.put(name, b"x" * 249, ttl_seconds=60)  # 250 bytes with the key
    assert store.get(b"a") is not None  # a is now the most recently used
    store.put(b"e", b"x" * 249, ttl_seconds=60)
    assert store.get(b"b") is None and all(store.get(k) for k in (b"a", b"c", b"d", b"e"))
    assert store.bytes_used == 1000
    store.put(b"big", b"x" * 280, ttl_seconds=60)  # over a quarter of the bound: not kept
    assert store.get(b"big") is None and len(store) == 4


def test_keys_differ_for_every_part_of_the_identity_the_query_and_the_window() -> None:
    secret = b"s" * 32
    base = result_key(secret, IDENTITY, QUERY, [0, 3600])
    assert base == result_key(secret, IDENTITY, QUERY, [0, 3600])
    others = {
        result_key(b"t" * 32, IDENTITY, QUERY, [0, 3600]),
        result_key(secret, AwsIdentity(**{**IDENTITY.__dict__, "principal": "key:OTHER"}), QUERY, [0, 3600]),
        result_key(secret, AwsIdentity(**{**IDENTITY.__dict__, "org_id": 2}), QUERY, [0, 3600]),
        result_key(secret, AwsIdentity(**{**IDENTITY.__dict__, "settings_version": "v2"}), QUERY, [0, 3600]),
        result_key(secret, AwsIdentity(**{**IDENTITY.__dict__, "region": "eu-west-1"}), QUERY, [0, 3600]),
        result_key(secret, AwsIdentity(**{**IDENTITY.__dict__, "endpoint": "http://127.0.0.1:1"}), QUERY, [0, 3600]),
        result_key(secret, IDENTITY, [{**QUERY[0], "Id": "b"}], [0, 3600]),
        result_key(secret, IDENTITY, QUERY, [60, 3600]),
        result_key(secret, IDENTITY, QUERY, [0, 3600], "+0200"),
    }
    assert base not in others and len(others) == 9
    assert b"AKIDSTORE" not in base and b"us-east-1" not in base  # an HMAC: the key says nothing of the identity


def test_values_of_another_version_or_unreadable_are_misses() -> None:
    value = encode_value({"window": [0, 60], "nan": float("nan")})
    assert value[0] == VALUE_VERSION
    decoded = decode_value(value)
    assert decoded is not None and decoded["window"] == [0, 60] and decoded["nan"] != decoded["nan"]
    assert decode_value(bytes([VALUE_VERSION + 1]) + value[1:]) is None
    assert decode_value(value[:-3]) is None
    assert decode_value(bytes([VALUE_VERSION]) + b"\xff\xfe") is None
    assert decode_value(bytes([VALUE_VERSION]) + b"[1, 2]") is None
    assert decode_value(b"") is None and decode_value(None) is None


def test_stores_are_bounded_together_by_the_bytes_they_hold_not_their_configured_bounds() -> None:
    """Reviewer (issue 15): five datasources with the default 64 MB bound emptied another's store although the
    stores held a few bytes; now only bytes held count against the process-wide bound."""
    cache = ResultCache()
    stores = {uid: cache.store_for((1, uid), CacheSettings()) for uid in "abcde"}
    for store in stores.values():
        store.put(b"k", b"v" * 10, 60)
    assert all(cache.store_for((1, uid), CacheSettings()).get(b"k") == b"v" * 10 for uid in "abcde")

    small = ResultCache(total_bytes=1000)
    first, second = (small.store_for((1, uid), CacheSettings()) for uid in "ab")
    for i in range(4):
        first.put(b"a%d" % i, b"x" * 200, 60)
    for i in range(3):
        second.put(b"b%d" % i, b"y" * 200, 60)
        assert small.bytes_used() <= 1000
    # The least recently used entries of the least recently used store went first.
    assert first.get(b"a0") is None and first.get(b"a1") is None and first.get(b"a3") is not None
    assert all(second.get(b"b%d" % i) is not None for i in range(3))
