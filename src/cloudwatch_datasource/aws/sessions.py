"""The AWS client cache: one credentials + clients set per (datasource settings fingerprint, region).

AwsSessions.get() enforces the operator's [aws] switches before anything touches AWS, then hands out an
AwsSession whose credentials are resolved lazily (under the entry's own lock, never the cache lock) and whose
clients are built once per service with the datasource's endpoint/FIPS rules and the plugin's retry tuning.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import botocore.session
import structlog
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.loaders import Loader, create_loader

from .. import PLUGIN_ID, __version__, deadlines, metrics
from ..errors import DownstreamError, SettingsError
from ..policy import ClientTuning, OperatorPolicy
from ..settings import KNOWN_AUTH_TYPE_NAMES, MISSING_REGION, AuthType, DataSourceSettings, region_or_default
from .aws_errors import describe_aws_error
from .calls import aws_call, forget_failures
from .endpoints import EndpointRules, endpoint_rules, sts_region
from .pacing import PacedOperation, PacingLimits, pacing_identity
from .providers import CredentialChain, build_chain
from .proxy import botocore_proxies
from .timestamps import parse_aws_timestamp

log = structlog.get_logger(__name__)

EventHook = tuple[str, Callable[..., Any]]

USER_AGENT_EXTRA = f"{PLUGIN_ID}/{__version__}"


class AwsSession:
    """Credentials and botocore clients for one datasource configuration in one region. Thread-safe."""

    def __init__(self, settings: DataSourceSettings, auth_type: AuthType, region: str, *,
                 duration_seconds: int, tuning: ClientTuning, loader: Loader,
                 event_hooks: Sequence[EventHook] = (), proxies: dict[str, str] | None = None) -> None:
        self.region = region
        self.auth_type = auth_type
        self.uid = settings.uid
        self.owner = settings.owner
        self._lock = threading.RLock()
        self._rules: EndpointRules = endpoint_rules(settings.endpoint)
        self._sts_region = sts_region(region)
        self._config = Config(
            # ClientTuning.max_attempts counts the first try, like AWS_MAX_ATTEMPTS; botocore's "max_attempts"
            # key would count retries only.
            retries={"mode": tuning.retry_mode, "total_max_attempts": tuning.max_attempts},
            connect_timeout=tuning.connect_timeout_s, read_timeout=tuning.read_timeout_s,
            # One client serves every concurrent RPC for its datasource (96 gRPC workers by default): a pool
            # smaller than that discards connections under load, each with a urllib3 warning and a new handshake.
            max_pool_connections=max(tuning.grpc_workers, tuning.max_concurrency),
            user_agent_extra=USER_AGENT_EXTRA,
            use_fips_endpoint=self._rules.use_fips or None,
            # None: the environment's HTTP(S)_PROXY/NO_PROXY; {}: direct; else the datasource's proxy (proxy.py).
            proxies=proxies,
        )
        # A botocore Session per entry: it owns this entry's credential resolver; the loader (service models)
        # is shared so a new entry does not re-read botocore's JSON data.
        session = botocore.session.Session()
        session.register_component("data_loader", loader)
        # Clients botocore's own credential providers create (IRSA's AssumeRoleWithWebIdentity, a profile's
        # role_arn/source_profile, SSO) get the same proxy, timeouts and retries as ours, as in Grafana, where
        # they share the datasource's HTTP client.
        session.set_default_client_config(self._config)
        # Epoch timestamps as UTC datetimes in C, not one dateutil tzlocal() per point (see timestamps.py).
        session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=parse_aws_timestamp)
        # Grafana's v2 SDK uses regional STS endpoints; say so rather than rely on botocore's default.
        session.set_config_variable("sts_regional_endpoints", "regional")
        # Every AWS API call this datasource makes (any service, STS included), counted once per call before
        # botocore's retries: the plugin's own metrics (CollectMetrics) and the benchmarks read this.
        session.register("before-call", self._count_call)
        # Latency per API call, whatever its outcome (botocore/client.py `_make_api_call` emits after-call for an
        # answer, error statuses included, and after-call-error when no answer came).
        session.register("after-call", _observe_call)
        session.register("after-call-error", _observe_call)
        session.register("before-parse", reject_unreadable_body)
        # Every attempt (retries and next pages included) first asks whether its RPC is still wanted.
        session.register("before-send", deadlines.before_send)
        # GetMetricData waits for its turn below AWS's quotas of this identity and region (pacing.py).
        self.pacing = PacedOperation("GetMetricData", pacing_identity(
            auth_type=auth_type.value, access_key=settings.access_key, profile=settings.profile,
            assume_role_arn=settings.assume_role_arn, endpoint=settings.endpoint), region,
            pacing_limits(settings, tuning), settings.uid)
        session.register("before-parameter-build.cloudwatch.GetMetricData", self.pacing.before_parameter_build)
        session.register("after-call.cloudwatch.GetMetricData", self.pacing.after_call)
        for event, handler in event_hooks:
            session.register(event, handler)
        self._session = session
        self._settings = settings
        self._duration = duration_seconds
        # Built on first use under this entry's lock: building reads AWS config files, which the cache-wide
        # lock in AwsSessions.get() must not wait for.
        self._chain_or_none: CredentialChain | None = None
        self._credentials: Credentials | None = None
        self._clients: dict[str, Any] = {}
        if self._rules.ignored_sts_endpoint:
            log.warning("aws endpoint looks like an STS endpoint and is ignored", uid=self.uid,
                        endpoint=settings.endpoint)

    def _count_call(self, model: Any = None, context: dict[str, Any] | None = None, **_: Any) -> None:
        operation = getattr(model, "name", "unknown")
        metrics.AWS_CALLS.labels(metrics.datasource_label(self.uid), metrics.region_label(self.region),
                                 operation).inc()
        if context is not None:
            # botocore's request context travels from before-call to after-call(-error) of the same call.
            context[_STARTED] = (time.perf_counter(), metrics.region_label(self.region), operation)

    @property
    def botocore_session(self) -> botocore.session.Session:
        """The underlying botocore Session (for event hooks in tests and metrics)."""
        return self._session

    def _create_client(self, service_name: str, region: str, **kwargs: Any) -> Any:
        # Under the entry's lock: a botocore Session builds its components lazily and is not thread-safe, and the
        # AssumeRole fetcher creates STS clients from whichever request thread refreshes. Any botocore failure
        # here (e.g. InvalidRegionError for a malformed region) becomes a described PluginError.
        with self._lock:
            try:
                client = self._session.create_client(service_name, region_name=region,
                                                     endpoint_url=self._rules.endpoint_url, config=self._config,
                                                     **kwargs)
            except Exception as exc:  # noqa: BLE001 - described for the user, never raised raw
                raise describe_aws_error(exc, operation=f"create the {service_name} client") from exc
            # An RPC that ends (deadline, cancellation, time limit) shuts the sockets its calls are reading.
            deadlines.track_connections(client)
            return client

    def _create_sts_client(self, service_name: str, **kwargs: Any) -> Any:
        # Grafana builds its STS client from the base config: same endpoint, FIPS and retry settings; the
        # region is us-east-1 for opt-in regions. kwargs carry the base credentials for AssumeRole.
        return self._create_client(service_name, self._sts_region, **kwargs)

    @property
    def _chain(self) -> CredentialChain:
        with self._lock:
            if self._chain_or_none is None:
                chain = build_chain(self._settings, self.auth_type, self._session, sts_region=self._sts_region,
                                    sts_client_creator=self._create_sts_client,
                                    duration_seconds=self._duration)
                self._session.register_component("credential_provider", chain.resolver)
                self._chain_or_none = chain
            return self._chain_or_none

    def _resolve(self) -> Credentials:
        with self._lock:
            if self._credentials is not None:
                return self._credentials
            chain = self._chain
            try:
                credentials = self._session.get_credentials()
            except Exception as exc:  # noqa: BLE001 — every provider failure becomes a described PluginError
                raise describe_aws_error(exc, operation="resolve AWS credentials") from exc
            if credentials is None:
                raise DownstreamError(chain.not_found_message(), status=401)
            self._credentials = credentials
            log.info("aws credentials resolved", uid=self.uid, auth_type=self.auth_type.value,
                     region=self.region, method=credentials.method, source=chain.describe(credentials))
            return credentials

    def client(self, service_name: str) -> Any:
        """A cached botocore client for `service_name` in this session's region (raises PluginError when no
        credentials can be found)."""
        self._resolve()
        with self._lock:
            client = self._clients.get(service_name)
            if client is None:
                client = self._create_client(service_name, self.region)
                self._clients[service_name] = client
            return client

    def _sts_client(self) -> Any:
        self._resolve()
        with self._lock:
            client = self._clients.get("\x00sts")
            if client is None:
                client = self._create_sts_client("sts")
                self._clients["\x00sts"] = client
            return client

    def credentials_source(self) -> str:
        """Where the credentials come from, in words; fetches them (AssumeRole included) to be sure."""
        credentials = self._resolve()
        operation, shown = ("AssumeRole", "sts:AssumeRole") if self._chain.assume else \
            ("RefreshCredentials", "refresh AWS credentials")
        with aws_call(operation, region=self._sts_region, datasource=self.uid, shown_as=shown):
            credentials.get_frozen_credentials()
        return self._chain.describe(credentials)

    def principal(self) -> str:
        """Who AWS sees this session's calls as, for keys of answers shared between requests (cloudwatch/
        result_store.py): the role and external id when the datasource assumes one (the same for every plugin
        process and across credential refreshes), else the resolved credentials' access key id. The credentials
        are refreshed first when due, exactly as the next call would: credentials that can no longer be had (STS
        down in the mandatory refresh window) fail this request as a fresh call would, and are never covered by a
        cached answer. No secret: a key id is an identifier."""
        credentials = self._resolve()
        with aws_call("RefreshCredentials", region=self._sts_region, datasource=self.uid,
                      shown_as="refresh AWS credentials"):
            access_key = credentials.get_frozen_credentials().access_key
        assume = self._chain.assume
        if assume is not None:
            return f"role:{assume.role_arn}:{self._settings.external_id}"
        return f"key:{access_key}"

    def caller_identity(self) -> str:
        """The ARN AWS sees for these credentials (sts:GetCallerIdentity)."""
        sts = self._sts_client()
        with aws_call("GetCallerIdentity", region=self._sts_region, datasource=self.uid,
                      shown_as="sts:GetCallerIdentity"):
            return str(sts.get_caller_identity()["Arn"])

    def __repr__(self) -> str:
        return f"AwsSession(uid={self.uid!r}, auth_type={self.auth_type.value!r}, region={self.region!r})"


_STARTED = "cloudwatch_plugin_started"


def pacing_limits(settings: DataSourceSettings, tuning: ClientTuning) -> PacingLimits:
    """The datasource's own limits where it sets them, else the operator's."""
    def chosen(own: float | None, operator: float) -> float:
        return operator if own is None else own
    return PacingLimits(
        calls_per_second=chosen(settings.pacing_calls_per_second, tuning.getmetricdata_calls_per_second),
        datapoints_per_second_recent=chosen(settings.pacing_datapoints_per_second,
                                            tuning.getmetricdata_datapoints_per_second),
        datapoints_per_second_historic=chosen(settings.pacing_historic_datapoints_per_second,
                                              tuning.getmetricdata_historic_datapoints_per_second))


def _observe_call(context: dict[str, Any] | None = None, **_: Any) -> None:
    started = context.pop(_STARTED, None) if context is not None else None
    if started is not None:
        at, region, operation = started
        metrics.AWS_CALL_SECONDS.labels(region, operation).observe(time.perf_counter() - at)


def reject_unreadable_body(response_dict: dict[str, Any] | None = None, operation_model: Any = None,
                           **_: Any) -> None:
    """Refuse a 2xx answer that was cut short or is not JSON where JSON is due, before botocore parses it.

    botocore reads bodies with Content-Length enforcement off, and its JSON parser turns an unreadable body into
    an empty result: a GetMetricData answer cut short would show as "no data" with no error. An XML body cut
    short becomes a parser error quoting the body, which for AssumeRole holds part of the new secret key.
    """
    if not response_dict:
        return
    operation = getattr(operation_model, "name", "AWS call")
    if int(response_dict.get("status_code") or 0) == 407:
        # A plain-HTTP endpoint behind a proxy that wants credentials: the 407 page is the proxy's, not AWS's.
        raise DownstreamError(f"{operation}: the HTTP proxy refused the request (407 Proxy Authentication "
                              "Required): check the proxy user name and password in the datasource settings",
                              status=502)
    if int(response_dict.get("status_code") or 0) >= 300:
        return
    body = response_dict.get("body")
    if not isinstance(body, bytes):
        return  # streaming output: not read yet
    declared = str(response_dict.get("headers", {}).get("content-length", "") or "")
    if declared.isdigit() and int(declared) != len(body):
        raise DownstreamError(f"{operation}: the AWS response was cut short ({len(body)} of {declared} bytes); "
                              "try again", status=502)
    protocol = getattr(getattr(operation_model, "service_model", None), "resolved_protocol", "")
    stripped = body.strip()
    if protocol == "json" and stripped and not (stripped.startswith(b"{") and stripped.endswith(b"}")):
        raise DownstreamError(f"{operation}: AWS sent a response that is not JSON ({len(body)} bytes); "
                              "check the datasource's Endpoint field", status=502)


class AwsSessions:
    """The one client cache: LRU-bounded, thread-safe, keyed by (settings.fingerprint, region).

    When a datasource's settings change (same uid, new fingerprint) its old entries are dropped at once, so
    rotated keys or a new role do not linger until LRU eviction.
    """

    def __init__(self, tuning: ClientTuning | None = None, max_entries: int = 256, *,
                 event_hooks: Sequence[EventHook] = ()) -> None:
        self._tuning = tuning or ClientTuning()
        self._max_entries = max(1, max_entries)
        self._event_hooks = tuple(event_hooks)
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, str, int, bool], AwsSession] = OrderedDict()
        # Keyed by (org id, uid): a uid is unique only within one organisation, and provisioning often reuses one
        # across organisations; keyed by uid alone, two such datasources would evict each other on every request.
        self._fingerprint_by_owner: dict[tuple[int, str], str] = {}
        self._warned_unknown: set[str] = set()
        self._loader = create_loader()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, settings: DataSourceSettings, policy: OperatorPolicy,
            region: str | None = None) -> AwsSession:
        region = region_or_default(region, settings.effective_default_region)
        if not region:
            raise SettingsError(MISSING_REGION)
        auth_type = self._check_policy(settings, policy)
        # Session length is the operator's, not the datasource's: part of the key so a change takes effect.
        duration = policy.session_duration_seconds if settings.assume_role_arn else 0
        # So is the per-datasource proxy switch (the proxy fields themselves are in the fingerprint).
        key = (settings.fingerprint, region, duration, policy.per_datasource_http_proxy_enabled)
        with self._lock:
            if settings.uid:
                previous = self._fingerprint_by_owner.get(settings.owner)
                if previous is not None and previous != settings.fingerprint:
                    stale = [k for k in self._entries if k[0] == previous]
                    for k in stale:
                        del self._entries[k]
                    log.info("aws sessions evicted after settings change", uid=settings.uid,
                             entries=len(stale))
                self._fingerprint_by_owner[settings.owner] = settings.fingerprint
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry
            # Building an entry is cheap (no I/O): credentials are resolved later under the entry's lock. An
            # unusable proxy URL raises here, before an entry exists, so every request keeps reporting it.
            proxies = botocore_proxies(settings, policy.per_datasource_http_proxy_enabled)
            entry = AwsSession(settings, auth_type, region, duration_seconds=duration, tuning=self._tuning,
                               loader=self._loader, event_hooks=self._event_hooks, proxies=proxies)
            self._entries[key] = entry
            gone: list[str] = []
            while len(self._entries) > self._max_entries:
                _, dropped = self._entries.popitem(last=False)
                if dropped.uid and not any(e.owner == dropped.owner for e in self._entries.values()):
                    self._fingerprint_by_owner.pop(dropped.owner, None)
                    if not any(e.uid == dropped.uid for e in self._entries.values()):
                        gone.append(dropped.uid)
        # The plugin's own metrics keep series per datasource: those of a datasource no longer cached go with it.
        for uid in gone:
            metrics.forget_datasource(uid)
            forget_failures(uid)
        return entry

    def _check_policy(self, settings: DataSourceSettings, policy: OperatorPolicy) -> AuthType:
        """Refuse what the operator disallowed, before any AWS call; return the auth type to use."""
        auth_type = settings.auth_type
        raw = settings.auth_type_raw
        if raw not in KNOWN_AUTH_TYPE_NAMES:
            self._warn_unknown_once(settings.uid, raw)
        # Checked first: whatever the allow-list says, this plugin cannot do it outside Grafana Cloud.
        if auth_type is AuthType.GRAFANA_ASSUME_ROLE:
            raise SettingsError('the "Grafana Assume Role" authentication is only available in Grafana '
                                "Cloud; choose another authentication provider")
        if auth_type.value not in policy.allowed_auth_providers:
            allowed = ", ".join(policy.allowed_auth_providers) or "none"
            shown = auth_type.value
            if raw not in KNOWN_AUTH_TYPE_NAMES:
                shown += f" (from authType {raw[:64]!r})"
            raise SettingsError(
                f"trying to use non-allowed auth method {shown}: the Grafana server allows only {allowed}; "
                "an administrator can add it to [aws] allowed_auth_providers in grafana.ini "
                "(GF_AWS_ALLOWED_AUTH_PROVIDERS)")
        if settings.assume_role_arn and not policy.assume_role_enabled:
            raise SettingsError(
                "trying to use assume role but it is disabled in grafana config: clear the Assume Role ARN "
                "or have an administrator set [aws] assume_role_enabled = true in grafana.ini "
                "(GF_AWS_ASSUME_ROLE_ENABLED)")
        if auth_type is AuthType.KEYS:
            missing = [name for name, value in (("Access Key ID", settings.access_key),
                                                ("Secret Access Key", settings.secret_key)) if not value]
            if missing:
                raise SettingsError(f'"Access & secret key" authentication needs {" and ".join(missing)}: '
                                    "enter it in the datasource settings (no other credentials are used)")
        return auth_type

    def _warn_unknown_once(self, uid: str, raw: str) -> None:
        with self._lock:
            if uid in self._warned_unknown:
                return
            if len(self._warned_unknown) > 10_000:
                self._warned_unknown.clear()
            self._warned_unknown.add(uid)
        log.warning("unknown or deprecated authType, using the AWS SDK default chain", uid=uid,
                    auth_type=raw[:64])
