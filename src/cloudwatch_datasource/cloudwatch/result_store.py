"""Where GetMetricData results are kept between requests: the store contract, the in-process store, the key.

The contract (`ResultStore`) is bytes in, bytes out, so the same cache code runs on the in-process store (the
default) and on a store shared by several plugin processes (Redis, for Grafana HA: every Grafana server runs its
own plugin process, docs/queries.md "Result cache"):

- `get(key)` returns the stored value, or None on a miss. A store that cannot read a value back (connection
  lost, corrupt bytes) answers None too: a cache never fails a query, it only makes it cheaper.
- `put(key, value, ttl_seconds)` stores a value for at most `ttl_seconds`; a store may drop it earlier (memory
  bound, eviction) and may refuse it silently (too large, store down).

Values are the cache's own versioned serialisation (`encode_value` / `decode_value`): one version byte, then the
payload. A value of another version, or one that does not decode, is a miss, so plugin versions of different
formats can share one Redis during a rolling upgrade.

Keys (`result_key`) are an HMAC-SHA256 over everything that decides what AWS would answer:
- the AWS identity the call is signed with (AwsSession.principal: the assumed role and external id, or the
  resolved credentials' access key id), the endpoint and the region. Two datasources that reach AWS as
  different principals never share entries, even with equal queries;
- the Grafana organisation and the datasource's settings version (`DataSourceSettings.fingerprint`: it changes
  with any credential, role, endpoint or proxy setting and with the datasource's `updated` time). A datasource
  uid alone is never enough: uids are unique only within an organisation;
- the call's MetricDataQueries (JSON with sorted keys) and the aligned time window (start, end, label timezone).
The HMAC secret keeps the identity out of the key (a key in a shared Redis says nothing about the account or the
access key) and makes keys unguessable to anyone without it. The in-process store uses a random secret per
process; a shared store needs one secret shared by every plugin process (the shared store's settings).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

VALUE_VERSION = 1  # the first byte of every stored value; bump when the payload format changes
KEY_PREFIX = b"cwds:gmd:v1:"  # readable prefix so an operator can tell this plugin's keys in a shared Redis


class ResultStore(Protocol):
    """Bytes keyed by bytes, with a time to live. See the module docstring for the rules."""

    def get(self, key: bytes) -> bytes | None:
        """The value, or None: a miss, an expired value, or one the store cannot read back."""
        ...

    def put(self, key: bytes, value: bytes, ttl_seconds: float) -> None:
        """Keep `value` for at most `ttl_seconds`; may drop or refuse it. Never raises for a store failure."""
        ...


@dataclass(frozen=True)
class AwsIdentity:
    """Who a GetMetricData call runs as, and where it goes: the part of a cache key that isolates identities.
    Secrets never appear here (the secret key and session token are covered by `settings_version`, a hash)."""

    principal: str  # the AWS layer's name for the signing identity (AwsSession.principal: role ARN or key id)
    endpoint: str  # the endpoint setting ("" = AWS's own)
    region: str
    org_id: int
    settings_version: str  # DataSourceSettings.fingerprint


def result_key(secret: bytes, identity: AwsIdentity, metric_data_queries: Sequence[Mapping[str, Any]],
               window: Sequence[object], label_timezone: str = "") -> bytes:
    """The store key of one GetMetricData call's answer: an HMAC-SHA256 over the identity, the call's
    MetricDataQueries (Ids included: math expressions name other queries by Id) and the window (the aligned
    start and end as epoch seconds, or a live range's length, see result_cache.py) with the label timezone."""
    material = json.dumps({
        "identity": [identity.principal, identity.endpoint, identity.region, identity.org_id,
                     identity.settings_version],
        "queries": list(metric_data_queries),
        "window": [*window, label_timezone],
    }, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    digest = hmac.new(secret, material.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return KEY_PREFIX + digest.encode("ascii")


def encode_value(payload: Mapping[str, Any]) -> bytes:
    """The version byte, then the payload as compact JSON (datapoints as epoch seconds and floats)."""
    return bytes([VALUE_VERSION]) + json.dumps(payload, separators=(",", ":"), allow_nan=True).encode("utf-8")


def decode_value(value: bytes | None) -> dict[str, Any] | None:
    """The payload, or None when the value is absent, of another version or unreadable (a miss)."""
    if not value or value[0] != VALUE_VERSION:
        return None
    try:
        payload = json.loads(value[1:].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


class InProcessStore:
    """A `ResultStore` in this process's memory: bounded by the bytes of keys and values, each entry expiring
    after its TTL, least recently used entries dropped first when a new one would pass the bound. A value larger
    than a quarter of the bound is not kept (it would flush most of the cache for one answer)."""

    def __init__(self, max_bytes: int, clock: Callable[[], float] = time.monotonic,
                 on_grow: Callable[[], None] | None = None) -> None:
        self._max_bytes = max_bytes
        self._clock = clock
        self._on_grow = on_grow  # told after each put, outside this store's lock (ResultCache.fit)
        self._entries: OrderedDict[bytes, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def bytes_used(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def get_many(self, keys: list[bytes]) -> list[bytes | None]:
        """`get` for each key (a store may offer it to read a request's plans at once, see redis_store.py)."""
        return [self.get(key) for key in keys]

    def get(self, key: bytes) -> bytes | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value = entry
            if expires <= self._clock():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: bytes, value: bytes, ttl_seconds: float) -> None:
        size = len(key) + len(value)
        if ttl_seconds <= 0 or size > self._max_bytes // 4:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            now = self._clock()
            if self._bytes + size > self._max_bytes:
                self._expire(now)  # expired entries go before live ones are evicted
            while self._entries and self._bytes + size > self._max_bytes:
                self._drop(next(iter(self._entries)))
            self._entries[key] = (now + ttl_seconds, value)
            self._bytes += size
        if self._on_grow is not None:
            self._on_grow()

    def drop_oldest(self) -> bool:
        """Drop the least recently used entry (expired ones first); False when the store is empty."""
        with self._lock:
            self._expire(self._clock())
            if not self._entries:
                return False
            self._drop(next(iter(self._entries)))
            return True

    def _drop(self, key: bytes) -> None:
        _, value = self._entries.pop(key)
        self._bytes -= len(key) + len(value)

    def _expire(self, now: float) -> None:
        expired = [k for k, (expires, _) in self._entries.items() if expires <= now]
        for key in expired:
            self._drop(key)
