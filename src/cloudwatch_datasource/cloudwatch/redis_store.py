"""The shared result cache in Redis: a ResultStore (result_store.py) that N Grafana servers' plugin processes share.

Grafana HA runs one plugin process per Grafana server; with the datasource's `resultCacheRedisUrl` set
(settings.RedisCacheSettings), their cached GetMetricData results are read and written here instead of in each
process's memory. The store keeps opaque bytes under the keys the cache computes (an HMAC of the AWS identity, the
organisation and the query, never a datasource uid alone, with the HMAC secret `RedisStore.key_secret` that every
process derives alike from the shared settings): it only adds the datasource's prefix, a TTL (Redis
`SET ... PX`, https://redis.io/docs/latest/commands/set/) and an envelope that makes a value it cannot read back a
miss.

The cache is an optimisation, so Redis can never fail or hold up a query:
- every command has a bounded timeout (`resultCacheRedisTimeoutMs`, default 250 ms, for the connect and for each
  read) and none is retried (redis-py retries three times by default since 6.0: `retry=Retry(NoBackoff(), 0)`);
- a command is not started when the request's deadline (deadlines.py) is nearer than that timeout;
- any Redis error (refused, timed out, AUTH refused, TLS failed, out of memory) is a miss on get and a skipped
  write on put, and Redis is then left alone for `BACKOFF_S` so an unreachable server costs one timeout per
  backoff, not one per query;
- a value that is not this envelope, has another format version, or whose MAC (keyed with `key_secret`) does not
  match the key and bytes (truncated, written by something else, forged, stored under another key) is a miss;
- a value over MAX_VALUE_BYTES is not written; all pooled connections busy is a miss without a backoff.
Failures are logged once per change of state (failing / working again), with the error's class and its text
scrubbed (the password is a secureJsonData value, which logs.py cuts out by value; redis-py's messages do not
quote it either).

AUTH: the password (secureJsonData `resultCacheRedisPassword`) and, for Redis 6 ACLs, a user name (jsonData
`resultCacheRedisUser` or the URL's user); redis-py sends `AUTH [user] password` on each new connection.
TLS: a rediss:// URL; the server certificate is verified against the system CAs or the `resultCacheRedisCaFile`
PEM file, with host name checking (redis-py's `ssl_cert_reqs="required"`, `ssl_check_hostname`).
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

import structlog

from .. import deadlines
from ..redact import redact_url, scrub_logged
from ..settings import RedisCacheSettings
from .result_store import ResultStore

log = structlog.get_logger(__name__)

# The envelope: magic, format version, a 16-byte MAC of (key, value), then the value. The MAC is BLAKE2b in its
# keyed mode (RFC 7693; Python's hashlib.blake2b(key=...)) under the store's `key_secret`: whoever can write to
# Redis but does not know the secret cannot forge a value the cache accepts.
MAGIC = b"CWRC"
FORMAT_VERSION = 1
_HEADER = struct.Struct(">4sB16s")
# After a failure, Redis is not asked again for this long (each attempt may cost one timeout).
BACKOFF_S = 5.0
# Connections per process and Redis server: each gRPC worker may read at once (policy.ClientTuning.grpc_workers).
MAX_CONNECTIONS = 96
# The largest value written: a quarter of the default in-process bound (cacheMaxMB 64), the in-process store's own
# rule (result_store.InProcessStore), so one answer never takes a large share of a shared Redis either.
MAX_VALUE_BYTES = 16 * 1024 * 1024


def _digest(secret: bytes, key: bytes, value: bytes) -> bytes:
    return hashlib.blake2b(len(key).to_bytes(4, "big") + key + value, digest_size=16, key=secret[:64]).digest()


def wrap(secret: bytes, key: bytes, value: bytes) -> bytes:
    """The bytes stored for `value` under `key`."""
    return _HEADER.pack(MAGIC, FORMAT_VERSION, _digest(secret, key, value)) + value


def unwrap(secret: bytes, key: bytes, stored: bytes) -> bytes | None:
    """The value `wrap(secret, key, value)` stored; None for anything else (module docstring)."""
    if len(stored) < _HEADER.size:
        return None
    magic, version, digest = _HEADER.unpack_from(stored)
    value = stored[_HEADER.size:]
    if magic != MAGIC or version != FORMAT_VERSION or not hmac.compare_digest(digest, _digest(secret, key, value)):
        return None
    return value


class RedisStore(ResultStore):
    """A ResultStore in one Redis database (see the module docstring). Thread-safe: redis-py's client holds a
    connection pool and is shared by every request thread."""

    def __init__(self, settings: RedisCacheSettings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self._prefix = settings.prefix.encode("utf-8", "surrogatepass")
        self._timeout = settings.timeout_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failing_since: float | None = None
        self._retry_at = 0.0
        # Imported here, not at the top: only datasources that name a Redis pay for loading redis-py (about a
        # third of the plugin's import time otherwise).
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError, ValueError)
        # All MAX_CONNECTIONS busy (a burst of requests): this read or write is skipped, but Redis is fine, so no
        # backoff. redis-py raises MaxConnectionsError (a ConnectionError) from its pool since 6.x.
        self._exhausted: tuple[type[BaseException], ...] = tuple(
            t for t in (getattr(redis.exceptions, "MaxConnectionsError", None),) if isinstance(t, type))
        options: dict[str, Any] = {
            "socket_timeout": self._timeout, "socket_connect_timeout": self._timeout,
            "retry": Retry(NoBackoff(), 0), "retry_on_timeout": False, "health_check_interval": 0,
            "max_connections": MAX_CONNECTIONS, "password": settings.password or None,
        }
        if settings.username:
            options["username"] = settings.username
        if settings.url.startswith("rediss://"):
            options.update(ssl_cert_reqs="required", ssl_check_hostname=True)
            if settings.ca_file:
                options["ssl_ca_certs"] = settings.ca_file
        # The HMAC secret of the cache's keys (result_store.result_key) must be the same in every plugin process
        # sharing this Redis, and unknown to whoever can only list its keys: derived from what they share, the
        # Redis password included (secureJsonData). Without a password, whoever reaches Redis reads it anyway.
        self.key_secret = hashlib.sha256("\x00".join(
            ["cloudwatch-datasource result cache v1", settings.url, settings.username, settings.password,
             settings.prefix]).encode("utf-8", "surrogatepass")).digest()
        # from_url reads host, port, db and an optional user name from the URL; the keyword arguments add the rest.
        self._client = redis.Redis.from_url(settings.url, **options)

    # --- ResultStore ------------------------------------------------------------------------------------------
    def get(self, key: bytes) -> bytes | None:
        if not self._may_call():
            return None
        try:
            stored = self._client.get(self._prefix + key)
        except self._exhausted:
            return None
        except self._errors as exc:
            self._failed(exc)
            return None
        self._worked()
        if not isinstance(stored, bytes):
            return None
        return unwrap(self.key_secret, key, stored)

    def get_many(self, keys: list[bytes]) -> list[bytes | None]:
        """`get` for several keys in one command (MGET, https://redis.io/docs/latest/commands/mget/): a request's
        plans are looked up in one round trip, so a slow Redis costs a request one timeout, not one per plan."""
        if not keys or not self._may_call():
            return [None] * len(keys)
        try:
            stored = self._client.mget([self._prefix + key for key in keys])
        except self._exhausted:
            return [None] * len(keys)
        except self._errors as exc:
            self._failed(exc)
            return [None] * len(keys)
        self._worked()
        return [unwrap(self.key_secret, key, value) if isinstance(value, bytes) else None
                for key, value in zip(keys, stored, strict=True)]

    def put(self, key: bytes, value: bytes, ttl_seconds: float) -> None:
        ttl_ms = int(ttl_seconds * 1000)
        if ttl_ms <= 0 or len(value) > MAX_VALUE_BYTES or not self._may_call():
            return
        try:
            self._client.set(self._prefix + key, wrap(self.key_secret, key, value), px=ttl_ms)
        except self._exhausted:
            return
        except self._errors as exc:
            self._failed(exc)
            return
        self._worked()

    def close(self) -> None:
        self._client.close()

    def check(self) -> str:
        """One PING, whatever the backoff (the health check asks): "" when Redis answers, else what failed, in
        words without secrets."""
        scope = deadlines.current.get()
        if scope is not None and scope.remaining() < 4 * self._timeout:
            return "not checked: the request's time is nearly up"
        try:
            self._client.ping()
        except self._errors as exc:
            self._failed(exc)
            return f"{type(exc).__name__}: {scrub_logged(str(exc))[:200]}"
        self._worked()
        return ""

    # --- bounds -----------------------------------------------------------------------------------------------
    def _may_call(self) -> bool:
        """Not while backing off after a failure, nor when the request's deadline is nearer than one command's
        worst case (a new connection's TCP connect, TLS handshake and AUTH, then the command: four timeouts)."""
        scope = deadlines.current.get()
        if scope is not None and (scope.stopped or scope.remaining() < 4 * self._timeout):
            return False
        with self._lock:
            return self._failing_since is None or self._clock() >= self._retry_at

    def _failed(self, exc: BaseException) -> None:
        now = self._clock()
        with self._lock:
            first = self._failing_since is None
            if first:
                self._failing_since = now
            self._retry_at = now + BACKOFF_S
        if first:
            log.warning("redis result cache unavailable; queries go to AWS until it answers again",
                        error=type(exc).__name__, detail=scrub_logged(str(exc))[:300],
                        retry_in_s=BACKOFF_S)

    def _worked(self) -> None:
        with self._lock:
            was_failing = self._failing_since is not None
            self._failing_since = None
        if was_failing:
            log.info("redis result cache answering again")

    @property
    def failing(self) -> bool:
        with self._lock:
            return self._failing_since is not None


def where(settings: RedisCacheSettings) -> str:
    """The Redis a datasource names, for messages: the URL without any password, and the user and TLS."""
    extras = [f"user {settings.username}"] if settings.username else []
    if settings.url.startswith("rediss://"):
        extras.append("TLS" + (f" with CA {settings.ca_file}" if settings.ca_file else ""))
    return redact_url(settings.url) + (f" ({', '.join(extras)})" if extras else "")


class RedisStores:
    """One RedisStore per distinct Redis configuration (RedisCacheSettings.fingerprint), so datasources that
    name the same Redis share its connection pool; least recently used closed beyond `max_entries`."""

    def __init__(self, max_entries: int = 32) -> None:
        self._max = max(1, max_entries)
        self._lock = threading.Lock()
        self._stores: dict[str, RedisStore] = {}
        self._warned: set[str] = set()

    def _warn_once(self, problem: str) -> None:
        with self._lock:
            if problem in self._warned or len(self._warned) > 1000:
                return
            self._warned.add(problem)
        log.warning("redis result cache settings ignored; the in-process cache is used", problem=problem)

    def health_line(self, settings: RedisCacheSettings) -> str:
        """The health check's line about the shared cache; "" when the datasource names no Redis. Never fails
        the check: without Redis, queries are answered from AWS (and the in-process cache)."""
        if not settings.url:
            return ""
        if settings.problem:
            return f"Shared result cache: not used, the in-process cache is ({settings.problem})."
        store = self.get(settings)
        if store is None:
            return "Shared result cache: not used, the in-process cache is (the Redis settings are unusable)."
        problem = store.check()
        if problem:
            return (f"Shared result cache: Redis at {where(settings)} is not answering ({problem}); queries are "
                    "answered from AWS meanwhile.")
        return f"Shared result cache: Redis at {where(settings)} answers."

    def get(self, settings: RedisCacheSettings) -> RedisStore | None:
        """The store for these settings; None when no (usable) Redis is configured."""
        if not settings.enabled:
            if settings.problem:
                self._warn_once(settings.problem)
            return None
        key = settings.fingerprint
        with self._lock:
            store = self._stores.pop(key, None)
            if store is None:
                try:
                    store = RedisStore(settings)
                except Exception as exc:  # noqa: BLE001 - a URL redis-py refuses (RedisError, ValueError): no shared cache
                    log.warning("redis result cache settings unusable", error=type(exc).__name__,
                                detail=scrub_logged(str(exc))[:300])
                    return None
            self._stores[key] = store  # re-inserted: most recently used last
            dropped = [self._stores.pop(k) for k in list(self._stores)[:-self._max]] \
                if len(self._stores) > self._max else []
        for old in dropped:
            old.close()
        return store
