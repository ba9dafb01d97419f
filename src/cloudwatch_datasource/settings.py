"""Datasource settings: Grafana's jsonData/secureJsonData parsed once into a frozen, typed object.

Key names are Grafana's own CloudWatch ones (grafana/grafana-aws-sdk pkg/awsds/settings.go, and grafana/grafana
pkg/tsdb/cloudwatch/models/settings.go), so a provisioned datasource moves over unchanged. Parsing is as lenient as
Grafana's Go decoder where Grafana is lenient (`assumeRoleArn` in any case, unknown authType → default, `profile`
falling back to `database`) and strict with a message naming the field where a value cannot be used. Secrets never
appear in repr, str or errors.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .backend import DataSourceInstance
from .errors import SettingsError
from .jsontext import lone_surrogate_path
from .redact import redact_access_key, remember_secrets


class AuthType(StrEnum):
    DEFAULT = "default"  # the AWS SDK default chain
    KEYS = "keys"  # static access + secret key, no fallback
    CREDENTIALS = "credentials"  # shared credentials file, named profile, no fallback
    EC2_IAM_ROLE = "ec2_iam_role"  # EC2 instance metadata role only, no fallback (Grafana's documented semantics)
    GRAFANA_ASSUME_ROLE = "grafana_assume_role"  # Grafana Cloud only; refused with a clear message


_AUTH_TYPE_ALIASES = {
    "default": AuthType.DEFAULT,
    "keys": AuthType.KEYS,
    "credentials": AuthType.CREDENTIALS,
    "sharedCreds": AuthType.CREDENTIALS,
    "ec2_iam_role": AuthType.EC2_IAM_ROLE,
    "grafana_assume_role": AuthType.GRAFANA_ASSUME_ROLE,
}


class ProxyType(StrEnum):
    """jsonData.proxyType: how AWS calls reach the network when the operator allows per-datasource proxies."""

    ENV = "env"  # HTTP(S)_PROXY / NO_PROXY of the plugin process (Grafana >= 12.4 forwards them)
    NONE = "none"  # direct, even when the environment names a proxy
    URL = "url"  # jsonData.proxyUrl, with proxyUsername + secureJsonData.proxyPassword as basic auth


MISSING_REGION = 'missing default region: set "Default Region" in the datasource settings'


def region_or_default(requested: str | None, default_region: str) -> str:
    """Grafana's rule: no region, "" or "default" means the datasource's default region. "" when neither is set
    (callers raise their own kind of error with MISSING_REGION)."""
    region = (requested or "").strip()
    return default_region.strip() if region in ("", "default") else region


# Every authType string Grafana knows ("" = unset); anything else is an unknown value that means default.
KNOWN_AUTH_TYPE_NAMES = frozenset(_AUTH_TYPE_ALIASES) | {""}


def parse_auth_type(raw: str) -> AuthType:
    """Grafana's legacy decoding: `arn`, an empty value and any unknown string all mean default."""
    return _AUTH_TYPE_ALIASES.get(raw, AuthType.DEFAULT)


@dataclass(frozen=True)
class RedisCacheSettings:
    """Where the shared result cache lives (docs/queries.md, "Shared result cache in Redis"); named like Grafana's
    own query cache (`[caching.redis] url`, `prefix`): jsonData `resultCacheRedisUrl` (redis:// or rediss:// for
    TLS, optional user name, no password), `resultCacheRedisUser`, `resultCacheRedisPrefix`,
    `resultCacheRedisCaFile` (a PEM CA file on the Grafana server, for rediss://), `resultCacheRedisTimeoutMs`;
    secureJsonData `resultCacheRedisPassword`. `problem` says why unusable settings are ignored (the in-process
    cache is used instead: a cache setting never fails a query)."""

    url: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    prefix: str = "grafana-cloudwatch:"
    ca_file: str = ""
    timeout_s: float = 0.25
    problem: str = ""

    @property
    def enabled(self) -> bool:
        return bool(self.url) and not self.problem

    @property
    def fingerprint(self) -> str:
        """What a connection depends on (the password hashed): one Redis client per distinct value."""
        material = "\x00".join([self.url, self.username, self.password, self.prefix, self.ca_file,
                                 repr(self.timeout_s)])
        return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True)
class CacheSettings:
    """The GetMetricData result cache of one datasource (docs/queries.md, "Result cache and incremental refresh").
    jsonData: cacheTTLSeconds (how old a served answer may be; 0 turns the cache off), cacheMaxMB (the in-process
    store's memory bound), cacheLateDataSeconds (the recent part always fetched again: CloudWatch data can arrive
    minutes late), cacheIncremental (fetch only the new periods of a relative range), cacheFullRefreshSeconds
    (the oldest a kept part may get before the whole window is fetched again)."""

    ttl_s: float = 30.0
    max_bytes: int = 64 * 1024 * 1024
    late_data_s: int = 300
    incremental: bool = True
    full_refresh_s: float = 600.0

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0


@dataclass(frozen=True)
class DataSourceSettings:
    uid: str = ""
    org_id: int = 0  # a uid is unique only within its organisation
    name: str = ""
    auth_type: AuthType = AuthType.DEFAULT
    auth_type_raw: str = ""  # what jsonData said, for the "unknown authType" warning and the doctor
    default_region: str = ""
    region: str = ""  # jsonData.region: backend-only override of defaultRegion
    profile: str = ""
    assume_role_arn: str = ""
    external_id: str = ""
    endpoint: str = ""
    custom_metrics_namespaces: tuple[str, ...] = ()
    last_updated_ms: int = 0
    access_key: str = field(default="", repr=False)
    secret_key: str = field(default="", repr=False)
    session_token: str = field(default="", repr=False)
    # Grafana's per-datasource HTTP proxy (docs/auth.md, "HTTP proxy"); used only when the operator enables it
    # (policy.py).
    proxy_type: ProxyType = ProxyType.ENV
    proxy_url: str = ""
    proxy_username: str = ""
    proxy_password: str = field(default="", repr=False)
    result_cache_redis: RedisCacheSettings = field(default_factory=RedisCacheSettings, repr=False)
    # GetMetricData pacing of this datasource (aws/pacing.py): jsonData getMetricDataCallsPerSecond,
    # getMetricDataDatapointsPerSecond, getMetricDataHistoricDatapointsPerSecond; None = the operator's
    # ([plugin.<id>], policy.ClientTuning), 0 = no limit of that kind.
    pacing_calls_per_second: float | None = None
    pacing_datapoints_per_second: float | None = None
    pacing_historic_datapoints_per_second: float | None = None
    cache: CacheSettings = field(default_factory=CacheSettings)
    # jsonData.logsTimeout as text (a JSON number, Grafana's nanoseconds, as "<n>ns"); cloudwatch_logs/query.py
    # reads it, so a bad value fails the logs queries only.
    logs_timeout: str = ""

    def __repr__(self) -> str:
        shown = {
            "uid": self.uid, "auth_type": self.auth_type.value, "default_region": self.default_region,
            "profile": self.profile, "assume_role_arn": self.assume_role_arn, "endpoint": self.endpoint,
            "access_key": redact_access_key(self.access_key),
            "secret_key": "<set>" if self.secret_key else "",
            "session_token": "<set>" if self.session_token else "",
            "proxy_type": self.proxy_type.value,
            "proxy_password": "<set>" if self.proxy_password else "",
        }
        return "DataSourceSettings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    __str__ = __repr__

    @property
    def effective_default_region(self) -> str:
        """jsonData.region unless empty or "default", else defaultRegion (Grafana's Load rule)."""
        if self.region and self.region != "default":
            return self.region
        return self.default_region

    @property
    def owner(self) -> tuple[int, str]:
        """Which datasource these settings belong to, across organisations."""
        return self.org_id, self.uid

    @property
    def fingerprint(self) -> str:
        """A stable hash of everything that changes which credentials/clients to build (secrets included,
        hashed, never stored): the key of the client cache."""
        material = "\x00".join([
            str(self.org_id), self.uid, str(self.last_updated_ms), self.auth_type.value, self.profile,
            self.assume_role_arn, self.external_id, self.endpoint, self.access_key, self.secret_key,
            self.session_token, self.proxy_type.value, self.proxy_url, self.proxy_username, self.proxy_password,
        ])
        return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def datasource_secrets(instance: DataSourceInstance | None) -> tuple[str, ...]:
    """Every secret of a datasource, as Grafana sent it (before trimming or validation): each secureJsonData value
    (accessKey, secretKey, sessionToken, proxyPassword and any other), and the password of the user info in
    jsonData's `endpoint` and `proxyUrl`, as written and percent-decoded. Never raises: it is what scrubbing needs
    even when the settings cannot be parsed."""
    if instance is None:
        return ()
    found = [v for v in (instance.decrypted_secure_json_data or {}).values() if isinstance(v, str) and v]
    try:
        json_data = json.loads(instance.json_data) if len(instance.json_data.strip()) > 1 else {}
    except (UnicodeDecodeError, ValueError, RecursionError):
        json_data = {}
    if isinstance(json_data, dict):
        for key in ("endpoint", "proxyUrl", "resultCacheRedisUrl"):
            url = json_data.get(key)
            if isinstance(url, str):
                found.extend(_url_passwords(url))
    return tuple(dict.fromkeys(found))


def _url_passwords(url: str) -> list[str]:
    # user:password@ before the host, as written and decoded. Read with a plain split, not urlsplit, so a value
    # urlsplit refuses (a bad port, brackets) still has its password found.
    authority = url.split("://", 1)[-1].split("/", 1)[0]
    if "@" not in authority:
        return []
    user_info = authority.rsplit("@", 1)[0]
    if ":" not in user_info:
        return []
    password = user_info.split(":", 1)[1]
    return [p for p in (password, urllib.parse.unquote(password)) if p]


def parse_settings(instance: DataSourceInstance) -> DataSourceSettings:
    # First of all, so every log line and metric label from here on is scrubbed of them (redact.scrub_logged),
    # the ones this parse is about to refuse included.
    remember_secrets(datasource_secrets(instance))
    json_data = _load_json_object(instance.json_data)
    secure = instance.decrypted_secure_json_data or {}

    auth_raw = _string(json_data, "authType")
    profile = _string(json_data, "profile") or instance.database
    namespaces_raw = json_data.get("customMetricsNamespaces", "")
    if isinstance(namespaces_raw, list):
        namespaces = tuple(str(n).strip() for n in namespaces_raw if str(n).strip())
    elif isinstance(namespaces_raw, str):
        namespaces = tuple(n.strip() for n in namespaces_raw.split(",") if n.strip())
    else:
        raise SettingsError("jsonData.customMetricsNamespaces must be a comma-separated string")

    return DataSourceSettings(
        uid=instance.uid,
        org_id=instance.org_id,
        name=instance.name,
        auth_type=parse_auth_type(auth_raw),
        auth_type_raw=auth_raw,
        default_region=_string(json_data, "defaultRegion").strip(),
        region=_string(json_data, "region").strip(),
        profile=profile.strip(),
        assume_role_arn=_string_any_case(json_data, "assumeRoleArn").strip(),
        external_id=_string(json_data, "externalId").strip(),
        endpoint=_string(json_data, "endpoint").strip(),
        custom_metrics_namespaces=namespaces,
        last_updated_ms=instance.last_updated_ms,
        access_key=_secret(secure, "accessKey"),
        secret_key=_secret(secure, "secretKey"),
        session_token=_secret(secure, "sessionToken"),
        proxy_type=_proxy_type(_string(json_data, "proxyType")),
        proxy_url=_string(json_data, "proxyUrl").strip(),
        proxy_username=_string(json_data, "proxyUsername"),
        proxy_password=_secret(secure, "proxyPassword"),
        result_cache_redis=_redis_cache(json_data, secure),
        pacing_calls_per_second=_rate(json_data, "getMetricDataCallsPerSecond"),
        pacing_datapoints_per_second=_rate(json_data, "getMetricDataDatapointsPerSecond"),
        pacing_historic_datapoints_per_second=_rate(json_data, "getMetricDataHistoricDatapointsPerSecond"),
        cache=_cache_settings(json_data),
        logs_timeout=_duration_text(json_data.get("logsTimeout")),
    )


def _rate(json_data: Mapping[str, Any], key: str) -> float | None:
    """A per-second limit: a number ≥ 0 (the editor may send it as text); absent or "" is None."""
    value = json_data.get(key)
    if value is None or value == "":
        return None
    try:
        parsed = float(value) if isinstance(value, int | float | str) and not isinstance(value, bool) else -1.0
    except ValueError:
        parsed = -1.0
    if not 0 <= parsed < float("inf"):
        raise SettingsError(f"jsonData.{key} must be a number of at least 0 (0: no limit)")
    return parsed


_REDIS_SCHEMES = ("redis", "rediss")


def _redis_cache(json_data: Mapping[str, Any], secure: Mapping[str, str]) -> RedisCacheSettings:
    """The shared cache's settings; never raises: what cannot be used is kept as `problem` (module docstring)."""
    try:
        url = _string(json_data, "resultCacheRedisUrl").strip()
        if not url:
            return RedisCacheSettings()
        timeout_ms = json_data.get("resultCacheRedisTimeoutMs", 250)
        if isinstance(timeout_ms, str) and timeout_ms.strip().isdigit():
            timeout_ms = int(timeout_ms.strip())
        if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int | float) or not 1 <= timeout_ms <= 5000:
            raise SettingsError("jsonData.resultCacheRedisTimeoutMs must be a number of milliseconds from 1 to 5000")
        settings = RedisCacheSettings(
            url=url, username=_string(json_data, "resultCacheRedisUser").strip(),
            password=_secret(secure, "resultCacheRedisPassword"),
            prefix=_string(json_data, "resultCacheRedisPrefix") or RedisCacheSettings.prefix,
            ca_file=_string(json_data, "resultCacheRedisCaFile").strip(), timeout_s=float(timeout_ms) / 1000)
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in _REDIS_SCHEMES or not parts.hostname:
            raise SettingsError("jsonData.resultCacheRedisUrl must be redis://host:port/db or rediss://host:port/db "
                                "(TLS)")
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        if parts.password is not None:
            raise SettingsError("jsonData.resultCacheRedisUrl holds a password, and jsonData is not secret: put it "
                                "in the Redis password field (secureJsonData.resultCacheRedisPassword)")
        if settings.ca_file and parts.scheme != "rediss":
            raise SettingsError("jsonData.resultCacheRedisCaFile needs a rediss:// (TLS) URL")
        return settings
    except (SettingsError, ValueError) as exc:
        problem = exc.message if isinstance(exc, SettingsError) else "jsonData.resultCacheRedisUrl cannot be read"
        return RedisCacheSettings(url="<unusable>", problem=problem)


# jsonData key → (default, lowest, highest): a value outside is a settings error naming the key, not a silent clamp.
_CACHE_NUMBERS: dict[str, tuple[float, float, float]] = {
    "cacheTTLSeconds": (CacheSettings.ttl_s, 0, 86_400),
    "cacheMaxMB": (CacheSettings.max_bytes / 1024 / 1024, 1, 16_384),
    "cacheLateDataSeconds": (CacheSettings.late_data_s, 60, 86_400),
    "cacheFullRefreshSeconds": (CacheSettings.full_refresh_s, 0, 86_400),
}


def _cache_settings(json_data: Mapping[str, Any]) -> CacheSettings:
    numbers: dict[str, float] = {}
    for key, (default, lowest, highest) in _CACHE_NUMBERS.items():
        raw = json_data.get(key, default)
        if isinstance(raw, str) and raw.strip():
            try:
                raw = float(raw)
            except ValueError:
                pass
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not lowest <= raw <= highest:
            raise SettingsError(f"jsonData.{key} must be a number from {lowest:g} to {highest:g}")
        numbers[key] = float(raw)
    incremental = json_data.get("cacheIncremental", True)
    if not isinstance(incremental, bool):
        raise SettingsError("jsonData.cacheIncremental must be true or false")
    return CacheSettings(ttl_s=numbers["cacheTTLSeconds"], max_bytes=int(numbers["cacheMaxMB"] * 1024 * 1024),
                         late_data_s=int(numbers["cacheLateDataSeconds"]), incremental=incremental,
                         full_refresh_s=numbers["cacheFullRefreshSeconds"])


def _duration_text(raw: Any) -> str:
    if isinstance(raw, bool):
        return repr(raw)
    if isinstance(raw, int | float):
        return f"{raw:.0f}ns"
    return raw if isinstance(raw, str) else ("" if raw is None else repr(raw))


def _proxy_type(raw: str) -> ProxyType:
    # Grafana's switch has a `default:` branch: any other value means the environment's proxy, not an error (a
    # provisioned typo must not break a datasource, least of all while per-datasource proxies are off).
    try:
        return ProxyType(raw.strip().lower())
    except ValueError:
        return ProxyType.ENV


def _load_json_object(raw: bytes) -> dict[str, Any]:
    # Grafana only unmarshals jsonData longer than one byte; empty means "all defaults".
    if len(raw.strip()) <= 1:
        return {}
    try:
        parsed = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # RecursionError: nesting too deep
        raise SettingsError(f"jsonData is not valid JSON: {_json_error_position(exc)}") from None
    if not isinstance(parsed, dict):
        raise SettingsError(f"jsonData must be a JSON object, got {type(parsed).__name__}")
    # A lone surrogate (only a \u escape makes one) would fail every call and message later (jsontext.py).
    where = lone_surrogate_path(parsed) if b"\\u" in raw else None
    if where is not None:
        raise SettingsError(f"jsonData.{where}: holds a lone UTF-16 surrogate escape (\\uD800-\\uDFFF "
                            "without its pair), which is not text")
    return parsed


def _json_error_position(exc: Exception) -> str:
    # json.JSONDecodeError's message quotes no input text, only a position: safe to show.
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    return "nested too deeply" if isinstance(exc, RecursionError) else "not UTF-8"


def _string(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SettingsError(f"jsonData.{key} must be a string, got {type(value).__name__}")
    return value


def _string_any_case(data: Mapping[str, Any], key: str) -> str:
    # Go's encoding/json matches keys case-insensitively: assumeRoleARN and assumeRoleArn are the same field.
    # Prefer the exact spelling when it holds a value; otherwise the first non-empty case-insensitive match, so
    # no spelling can carry a role ARN past the operator's assume-role switch unseen.
    exact = _string(data, key)
    if exact:
        return exact
    for candidate in data:
        if candidate.lower() == key.lower():
            value = _string(data, candidate)
            if value:
                return value
    return ""


# C0 and C1 control characters (line breaks, tabs, NUL, DEL...): never part of a key, a token or a password, and
# a line break in an HTTP header value makes botocore fail every call with an error quoting the value.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _secret(secure: Mapping[str, str], key: str) -> str:
    """A secret without the whitespace around it (provisioning YAML's block scalars add a trailing newline), then
    refused if it still holds a control character. The message names the field, never the value."""
    value = secure.get(key, "")
    if not isinstance(value, str):
        raise SettingsError(f"secureJsonData.{key} must be a string")
    value = value.strip()
    if _CONTROL_CHARACTER.search(value):
        raise SettingsError(f"secureJsonData.{key} contains a control character (a line break, tab or similar) "
                            "inside the value: enter it again without one")
    return value
