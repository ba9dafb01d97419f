"""One method per plugin RPC: turns a request into calls on settings, auth and cloudwatch, and their results and
errors into responses. Thin on purpose: no protobuf (protocol/ converts at the edge) and no AWS detail (aws/
and cloudwatch/ own those).

Guarantees kept here for every RPC: every refId asked for gets exactly one answer; a query we reject, a query AWS
rejects by name, or a failing region or time range never takes the other queries down (a call AWS rejects without
naming a query fails the refIds of that one call); nothing raises out to gRPC; no secret is formatted into a message.
Each RPC runs in a RequestScope (deadlines.py) capped at `request_timeout`: when it ends (that limit, the host's
gRPC deadline, a cancellation) its AWS work stops and its in-flight slot (admission.py) is given back at once.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import structlog

from . import deadlines, metrics, scrubbing
from .admission import InFlightLimit
from .aws import AwsSessions
from .backend import (
    CallResourceRequest,
    CallResourceResponse,
    CheckHealthResult,
    DataResponse,
    HealthStatus,
    PluginContext,
    QueryDataRequest,
)
from .cloudwatch import ClientFactory, resources, variables
from .cloudwatch.execute import PointBudget
from .cloudwatch.health import check_access, health_lines, recent_failures_line
from .cloudwatch.picker_cache import PickerCache
from .cloudwatch.pipeline import run_metric_queries
from .cloudwatch.redis_store import RedisStores
from .cloudwatch.result_cache import ResultCache
from .cloudwatch.result_store import AwsIdentity
from .cloudwatch.routes import ResourceRequest, handle_resource, json_error, parse_request, route_table
from .cloudwatch_logs import account_key, answer_queries, split_queries
from .cloudwatch_logs import limits as logs_limits
from .cloudwatch_logs import routes as logs_routes
from .deadlines import RequestScope
from .errors import ErrorSource, PluginError, SettingsError
from .policy import ClientTuning, OperatorPolicy
from .settings import AuthType, DataSourceSettings, parse_settings

log = structlog.get_logger(__name__)

AUTH_TYPE_LABELS = {
    AuthType.DEFAULT: "AWS SDK Default",
    AuthType.KEYS: "Access & secret key",
    AuthType.CREDENTIALS: "Credentials file",
    AuthType.EC2_IAM_ROLE: "Workspace IAM role (EC2 instance metadata)",
    AuthType.GRAFANA_ASSUME_ROLE: "Grafana Assume Role",
}


class PluginService:
    def __init__(self, sessions: AwsSessions | None = None, tuning: ClientTuning | None = None) -> None:
        self.tuning = tuning or ClientTuning.from_env()
        self.sessions = sessions or AwsSessions(self.tuning)
        self.admission = InFlightLimit(self.tuning.max_in_flight_per_datasource)
        self.results = ResultCache()
        # The shared result cache of datasources that name a Redis (Grafana HA; docs/queries.md).
        self.redis_stores = RedisStores()
        self.picker_cache = PickerCache(self.tuning.picker_cache_ttl_s, self.tuning.picker_cache_max_entries,
                                        self.tuning.picker_cache_max_items)
        # The process-wide Logs Insights slots take the operator's limits (policy.py, [plugin.<id>]).
        logs_limits.SLOTS.set_limits({"CWLI": self.tuning.logs_max_concurrent_queries,
                                      "OpenSearch": self.tuning.logs_max_concurrent_opensearch_queries})
        # Every CallResource route, by path (cloudwatch/routes.py); another module's routes are added here.
        self.routes = route_table(resources.ROUTES, variables.ROUTES, logs_routes.ROUTES)

    # --- helpers ---------------------------------------------------------------------------------------------

    def _settings(self, ctx: PluginContext) -> DataSourceSettings:
        if ctx.datasource is None:
            raise SettingsError("the request carries no datasource settings (is this plugin set up as a datasource?)")
        return parse_settings(ctx.datasource)

    def _clients(self, settings: DataSourceSettings, policy: OperatorPolicy) -> ClientFactory:
        def client_for(region: str, service_name: str) -> Any:
            return self.sessions.get(settings, policy, region).client(service_name)

        return client_for

    def _identity(self, settings: DataSourceSettings, policy: OperatorPolicy) -> Callable[[str], AwsIdentity]:
        def identity_for(region: str) -> AwsIdentity:
            session = self.sessions.get(settings, policy, region)
            return AwsIdentity(principal=session.principal(), endpoint=settings.endpoint, region=session.region,
                               org_id=settings.org_id, settings_version=settings.fingerprint)

        return identity_for

    @contextlib.contextmanager
    def _scope(self, scope: RequestScope | None) -> Iterator[RequestScope]:
        """The RPC's scope (the server makes one from the gRPC context; direct callers get a fresh one), capped at
        the plugin's time limit and current in this thread while the RPC works."""
        scope = (scope or RequestScope()).limit(self.tuning.request_timeout_s)
        token = deadlines.current.set(scope)
        try:
            yield scope
        finally:
            deadlines.current.reset(token)
            scope.finish()

    # --- Data ------------------------------------------------------------------------------------------------

    def query_data(self, request: QueryDataRequest, scope: RequestScope | None = None) -> dict[str, DataResponse]:
        started = time.perf_counter()
        ref_ids = [q.ref_id for q in request.queries]
        datasource = request.context.datasource.uid if request.context.datasource else ""
        owner = _owner(request.context)
        if not self.admission.try_acquire(owner):
            return self._refused(ref_ids, datasource)
        try:
            with self._scope(scope):
                return scrubbing.data_responses(self._query_data(request, ref_ids, datasource),
                                                scrubbing.request_scrubber(request.context))
        finally:
            self.admission.release(owner)
            metrics.REQUEST_SECONDS.labels("QueryData").observe(time.perf_counter() - started)

    def _refused(self, ref_ids: list[str], datasource: str) -> dict[str, DataResponse]:
        message = (f"too many requests in flight for this datasource (limit {self.admission.limit}): its AWS "
                   "endpoint is slow or not answering; try again shortly, or check the endpoint and network")
        log.warning("request refused: datasource at its in-flight limit", datasource=datasource,
                    limit=self.admission.limit)
        for _ in ref_ids:
            metrics.QUERIES.labels(metrics.datasource_label(datasource), "error").inc()
        return {r: DataResponse.failure(message, status=429, source=ErrorSource.DOWNSTREAM) for r in ref_ids}

    def _query_data(self, request: QueryDataRequest, ref_ids: list[str], datasource: str
                    ) -> dict[str, DataResponse]:
        try:
            settings = self._settings(request.context)
            policy = OperatorPolicy.resolve(request.context.grafana_config)
            metric_queries, logs_queries = split_queries(request.queries)
            clients = self._clients(settings, policy)
            shared = self.redis_stores.get(settings.result_cache_redis) if settings.cache.enabled else None
            # Logs queries run beside the metrics pipeline (a thread in the request's scope), so a slow
            # GetMetricData never eats into their logsTimeout, nor they into its deadline.
            logs_answers = _beside(lambda: answer_queries(
                logs_queries, default_region=settings.effective_default_region,
                client_for_region=clients, datasource=settings.uid,
                account=account_key(settings), logs_timeout=settings.logs_timeout,
                page_limit=policy.list_metrics_page_limit, max_workers=self.tuning.max_concurrency),
                run=bool(logs_queries))
            answers = run_metric_queries(
                metric_queries,
                default_region=settings.effective_default_region,
                client_for_region=clients,
                max_workers=self.tuning.max_concurrency,
                datasource=settings.uid,
                budget=PointBudget(self.tuning.max_points_per_query, self.tuning.max_points_per_request),
                price_per_1000_metrics=self.tuning.price_per_1000_metrics,
                runner=self.results.session(owner=settings.owner, settings=settings.cache,
                                            identity_for=self._identity(settings, policy), datasource=settings.uid,
                                            read=not from_alert(request.headers), shared=shared,
                                            shared_secret=shared.key_secret if shared is not None else b""),
            )
            answers.update(logs_answers())
        except PluginError as exc:
            answers = {r: DataResponse.failure(exc.message, status=exc.status, source=exc.source) for r in ref_ids}
        except Exception as exc:  # noqa: BLE001 - the last line of defence: answer every refId, never crash
            log.exception("query failed unexpectedly", datasource=datasource)
            answers = {r: DataResponse.failure(f"internal plugin error: {type(exc).__name__}", status=500,
                                               source=ErrorSource.PLUGIN) for r in ref_ids}
        # Every refId asked for gets exactly one answer, even if a stage forgot one.
        for ref_id in ref_ids:
            if ref_id not in answers:
                answers[ref_id] = DataResponse.failure("no answer was produced for this query", status=500,
                                                       source=ErrorSource.PLUGIN)
        for resp in answers.values():
            metrics.QUERIES.labels(metrics.datasource_label(datasource), "error" if resp.error else "ok").inc()
        return answers

    # --- Diagnostics -----------------------------------------------------------------------------------------

    def check_health(self, ctx: PluginContext, scope: RequestScope | None = None) -> CheckHealthResult:
        started = time.perf_counter()
        try:
            with self._scope(scope) as current:
                result = self._check_health(ctx)
                if current.stopped and result.status is not HealthStatus.OK:
                    result = CheckHealthResult(result.status, f"{current.error().message}\n{result.message}",
                                               result.details)
                return scrubbing.health(result, scrubbing.request_scrubber(ctx))
        except Exception as exc:  # noqa: BLE001 - a health check always answers
            log.exception("health check failed unexpectedly")
            return CheckHealthResult(HealthStatus.ERROR, f"internal plugin error: {type(exc).__name__}")
        finally:
            metrics.REQUEST_SECONDS.labels("CheckHealth").observe(time.perf_counter() - started)

    def _check_health(self, ctx: PluginContext) -> CheckHealthResult:
        details: dict[str, Any] = {}
        try:
            settings = self._settings(ctx)
            policy = OperatorPolicy.resolve(ctx.grafana_config)
            details["authType"] = settings.auth_type.value
            session = self.sessions.get(settings, policy, None)
        except PluginError as exc:
            return CheckHealthResult(HealthStatus.ERROR, f"1. Authentication failed: {exc.message}",
                                     {**details, "error": exc.message})
        report = check_access(session, page_limit=policy.list_metrics_page_limit)
        details["region"] = report.region
        lines = health_lines(report, AUTH_TYPE_LABELS[settings.auth_type])
        shared_cache = self.redis_stores.health_line(settings.result_cache_redis) if settings.cache.enabled else ""
        if shared_cache:
            lines.append(shared_cache)
            details["sharedResultCache"] = shared_cache
        message = "\n".join(f"{i}. {line}" for i, line in enumerate(lines, start=1))
        if report.credentials_error:
            return CheckHealthResult(HealthStatus.ERROR, message, {**details, "error": report.credentials_error})
        details["credentialsSource"] = report.credentials_source
        if report.identity:
            details["identity"] = report.identity
        details["checks"] = lines
        recent = recent_failures_line(settings.uid)
        if recent:
            details["recentAwsFailures"] = recent
        return CheckHealthResult(HealthStatus.OK if report.ok else HealthStatus.ERROR, message, details)

    def collect_metrics(self) -> bytes:
        return metrics.exposition()

    # --- Resource --------------------------------------------------------------------------------------------

    def call_resource(self, request: CallResourceRequest, scope: RequestScope | None = None
                      ) -> CallResourceResponse:
        started = time.perf_counter()
        owner = _owner(request.context)
        if not self.admission.try_acquire(owner):
            return json_error(429, f"too many requests in flight for this datasource (limit "
                                   f"{self.admission.limit}); try again shortly")
        try:
            with self._scope(scope) as current:
                response = self._call_resource(request)
                if current.stopped and response.status >= 400:
                    # Whatever the stopped AWS call raised, the reason is the RPC's end.
                    response = json_error(current.error().status, current.error().message)
                return scrubbing.resource(response, scrubbing.request_scrubber(request.context))
        finally:
            self.admission.release(owner)
            metrics.REQUEST_SECONDS.labels("CallResource").observe(time.perf_counter() - started)

    def _call_resource(self, request: CallResourceRequest) -> CallResourceResponse:
        try:
            settings = self._settings(request.context)
            policy = OperatorPolicy.resolve(request.context.grafana_config)
            path, params = parse_request(request)
            resource = ResourceRequest(
                path, params, default_region=settings.effective_default_region,
                custom_namespaces=settings.custom_metrics_namespaces, page_limit=policy.list_metrics_page_limit,
                clients=self._clients(settings, policy), datasource=settings.uid, external_id=policy.external_id,
                identity=settings.fingerprint,
            )
            return handle_resource(request, self.routes, resource, self.picker_cache)
        except PluginError as exc:
            return json_error(exc.status, exc.message)
        except Exception as exc:  # noqa: BLE001 - a resource call always answers
            log.exception("resource call failed unexpectedly", path=request.path)
            return json_error(500, f"internal plugin error: {type(exc).__name__}")


# Grafana's alerting engine marks its queries with this request header (grafana-plugin-sdk-go
# backend/alert_forwarder_middleware.go, FromAlertHeaderName; the same name as ngalert's models.FromAlertHeaderName).
FROM_ALERT_HEADER = "FromAlert"


def from_alert(headers: Mapping[str, str]) -> bool:
    """Whether a QueryData request is an alert evaluation (its answers are never served from the cache)."""
    return any(k.lower() == FROM_ALERT_HEADER.lower() and v.strip().lower() == "true" for k, v in headers.items())


def _beside(work: Callable[[], dict[str, DataResponse]], *, run: bool) -> Callable[[], dict[str, DataResponse]]:
    """Start `work` on its own thread in the caller's request scope; the returned function waits for its answers
    (the work ends with the scope, so the wait does too) and re-raises what it raised. A failure inside `work`
    fails only its own refIds: answer_queries answers each one."""
    if not run:
        return dict
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="logs-request")
    future = pool.submit(deadlines.run_in_scope(work))
    pool.shutdown(wait=False)  # no more work for it: its one thread ends with `work`
    return future.result


def _owner(ctx: PluginContext) -> tuple[int, str]:
    """The datasource a request is for, across organisations (uids are unique per organisation only)."""
    return (ctx.datasource.org_id, ctx.datasource.uid) if ctx.datasource else (ctx.org_id, "")
