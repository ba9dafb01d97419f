"""The gRPC server grafana-server talks to: go-plugin's services plus Grafana's protocol v2 services.

Start order matters for cold start (the host waits for the handshake line): only grpc and the generated stubs are
imported before the line is printed; the service layer (boto3, pyarrow) is imported on a background thread right
after, and on first use if a request comes sooner.

Lifecycle (hashicorp/go-plugin client.go, Kill: GRPCController/Shutdown, then SIGKILL after 2 s): SIGINT is ignored,
as go-plugin plugins do, so a Ctrl-C on Grafana's terminal leaves shutting us down to Grafana; SIGTERM,
GRPCController/Shutdown, or the parent process going away stop the server within a second.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent import futures
from typing import TYPE_CHECKING, Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from ..deadlines import RequestScope
from ..policy import ClientTuning
from . import handshake
from .pb import backend_pb2, backend_pb2_grpc, grpc_controller_pb2, grpc_controller_pb2_grpc, grpc_stdio_pb2_grpc

if TYPE_CHECKING:
    from ..service import PluginService

# The host accepts messages up to MaxInt32; grpc-python's default receive limit is 4 MiB and frames of a big
# dashboard panel exceed it.
MAX_MESSAGE_BYTES = 2**31 - 1
GO_PLUGIN_HEALTH_SERVICE = "plugin"
# In-flight RPCs get this long to finish; with the final wait the process is gone well within the 1 s a host
# may expect (go-plugin itself SIGKILLs after 2 s), even on a busy machine.
SHUTDOWN_GRACE_SECONDS = 0.6


def _scope(context: grpc.ServicerContext | None) -> RequestScope:
    """The RPC's RequestScope (deadlines.py): its gRPC deadline, and an end when the RPC terminates.

    grpcio: `time_remaining()` is the seconds left before the client's deadline (None without one), and
    `add_callback(fn)` runs fn when the RPC terminates, answered, cancelled or timed out; it returns False when
    the RPC has already terminated (https://grpc.github.io/grpc/python/grpc.html#grpc.RpcContext). Without
    this, a request whose client left kept paging AWS and held its datasource's in-flight slot for minutes.
    """
    if context is None:  # called in-process (the reliability suite's servicers)
        return RequestScope()
    scope = RequestScope(context.time_remaining())
    if not context.add_callback(scope.rpc_terminated):
        scope.rpc_terminated()
    return scope


class _LazyService:
    """Builds the PluginService once, on the warm-up thread or on the first request, whichever comes first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._service: PluginService | None = None

    def get(self) -> PluginService:
        if self._service is None:
            with self._lock:
                if self._service is None:
                    from ..service import PluginService

                    self._service = PluginService()
        return self._service


class _Data(backend_pb2_grpc.DataServicer):
    def __init__(self, service: _LazyService) -> None:
        self._service = service

    def QueryData(self, request: backend_pb2.QueryDataRequest, context: grpc.ServicerContext
                  ) -> backend_pb2.QueryDataResponse:
        try:
            from . import convert

            scope = _scope(context)
            return convert.query_data_response(
                self._service.get().query_data(convert.query_data_request(request), scope))
        except Exception as exc:  # noqa: BLE001 - the service never raises; this guards the guard
            _log_internal("QueryData", exc)
            out = backend_pb2.QueryDataResponse()
            for query in request.queries:
                out.responses[query.refId].CopyFrom(backend_pb2.DataResponse(
                    status=500, error=f"internal plugin error: {type(exc).__name__}", errorSource="plugin"))
            return out

    def QueryChunkedData(self, request: backend_pb2.QueryChunkedDataRequest, context: grpc.ServicerContext
                         ) -> Iterator[backend_pb2.QueryChunkedDataResponse]:
        # Same answers as QueryData (and the same guard), one frame per message, for hosts that stream.
        plain = backend_pb2.QueryDataRequest(pluginContext=request.pluginContext, headers=request.headers,
                                             queries=request.queries, format=request.format)
        for ref_id, encoded in self.QueryData(plain, context).responses.items():
            if not encoded.frames:
                yield backend_pb2.QueryChunkedDataResponse(
                    refId=ref_id, error=encoded.error, status=encoded.status, errorSource=encoded.errorSource)
            for i, frame in enumerate(encoded.frames):
                yield backend_pb2.QueryChunkedDataResponse(
                    refId=ref_id, frameId=str(i), frame=frame, error=encoded.error if i == 0 else "",
                    status=encoded.status, errorSource=encoded.errorSource, format=backend_pb2.ARROW)


class _Diagnostics(backend_pb2_grpc.DiagnosticsServicer):
    def __init__(self, service: _LazyService) -> None:
        self._service = service

    def CheckHealth(self, request: backend_pb2.CheckHealthRequest, context: grpc.ServicerContext
                    ) -> backend_pb2.CheckHealthResponse:
        try:
            from . import convert

            result = self._service.get().check_health(convert.plugin_context(request.pluginContext), _scope(context))
            return convert.check_health_response(result)
        except Exception as exc:  # noqa: BLE001 - a health check always answers
            _log_internal("CheckHealth", exc)
            return backend_pb2.CheckHealthResponse(
                status=backend_pb2.CheckHealthResponse.ERROR, message=f"internal plugin error: {type(exc).__name__}")

    def CollectMetrics(self, request: backend_pb2.CollectMetricsRequest, context: grpc.ServicerContext
                       ) -> backend_pb2.CollectMetricsResponse:
        try:
            payload = self._service.get().collect_metrics()
        except Exception as exc:  # noqa: BLE001 - metrics are best effort; Grafana treats empty as "none"
            _log_internal("CollectMetrics", exc)
            payload = b""
        return backend_pb2.CollectMetricsResponse(
            metrics=backend_pb2.CollectMetricsResponse.Payload(prometheus=payload))


class _Resource(backend_pb2_grpc.ResourceServicer):
    def __init__(self, service: _LazyService) -> None:
        self._service = service

    def CallResource(self, request: backend_pb2.CallResourceRequest, context: grpc.ServicerContext
                     ) -> Iterator[backend_pb2.CallResourceResponse]:
        # Grafana takes the status and headers from the first message and needs at least one message.
        try:
            from . import convert

            response = convert.call_resource_response(
                self._service.get().call_resource(convert.call_resource_request(request), _scope(context)))
        except Exception as exc:  # noqa: BLE001 - a resource call always answers
            _log_internal("CallResource", exc)
            message = f"internal plugin error: {type(exc).__name__}"
            body = json.dumps({"Message": message, "Error": message, "StatusCode": 500}).encode()
            response = backend_pb2.CallResourceResponse(code=500, body=body)
            response.headers["Content-Type"].values.append("application/json")
        yield response


class _Controller(grpc_controller_pb2_grpc.GRPCControllerServicer):
    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop

    def Shutdown(self, request: grpc_controller_pb2.Empty, context: grpc.ServicerContext
                 ) -> grpc_controller_pb2.Empty:
        self._stop.set()
        return grpc_controller_pb2.Empty()


class _Stdio(grpc_stdio_pb2_grpc.GRPCStdioServicer):
    """Kept open and silent: our logs go to stderr, which the host already reads line by line."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop

    def StreamStdio(self, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        while context.is_active() and not self._stop.wait(0.5):
            pass
        return
        yield  # a generator that yields nothing


def build_server(service: _LazyService, stop: threading.Event, workers: int) -> tuple[grpc.Server, Any]:
    options = [
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.so_reuseport", 0),
    ]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rpc"),
                         options=options)
    health_servicer = health.HealthServicer()
    health_servicer.set(GO_PLUGIN_HEALTH_SERVICE, health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server(_Controller(stop), server)
    grpc_stdio_pb2_grpc.add_GRPCStdioServicer_to_server(_Stdio(stop), server)
    backend_pb2_grpc.add_DataServicer_to_server(_Data(service), server)
    backend_pb2_grpc.add_DiagnosticsServicer_to_server(_Diagnostics(service), server)
    backend_pb2_grpc.add_ResourceServicer_to_server(_Resource(service), server)
    return server, health_servicer


def _set_parent_death_signal() -> None:
    """Ask Linux to SIGTERM us if grafana-server dies without stopping us (no lingering plugin processes)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # the getppid() watch in serve() still covers it


def serve(environ: Mapping[str, str] | None = None) -> int:
    """Run the plugin until the host stops it. Returns the process exit code."""
    env = os.environ if environ is None else environ
    try:
        handshake.check_environment(env)
    except handshake.HandshakeError as exc:
        sys.stderr.write(str(exc))
        sys.stderr.flush()
        return 1

    from .. import logs

    logs.configure()
    import structlog

    log = structlog.get_logger("cloudwatch_datasource.server")

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    parent = os.getppid()
    _set_parent_death_signal()

    service = _LazyService()
    workers = ClientTuning.from_env(env).grpc_workers
    server, health_servicer = build_server(service, stop, workers)
    listen = handshake.choose_listener(env)
    try:
        port = server.add_insecure_port(listen.grpc_target)
    except RuntimeError as exc:  # grpcio raises when it cannot bind; say so before the host gives up on us
        sys.stderr.write(f"cannot listen on {listen.grpc_target}: {exc}\n")
        return 1
    server.start()
    handshake.announce(handshake.handshake_line(listen, port))
    log.info("plugin started", network=listen.network, address=listen.address if listen.network == "unix"
             else f"127.0.0.1:{port}", pid=os.getpid())

    # Import the heavy modules now, off the critical path of the handshake.
    threading.Thread(target=_warm_up, args=(service,), name="warm-up", daemon=True).start()

    while not stop.wait(0.5):
        if os.getppid() != parent:
            log.warning("plugin host went away; shutting down")
            break
    try:
        _shut_down(server, health_servicer, listen, log)
    except BaseException as exc:  # noqa: BLE001 - said, then the exit below happens all the same
        try:
            _log_internal("shutdown", exc)
        except BaseException:  # noqa: BLE001, S110 - stderr itself may be gone
            pass
    finally:
        # os._exit, not sys.exit, and whatever happened while shutting down: worker pools (boto3 transfers, our
        # GetMetricData pool) and gRPC's threads are joined at interpreter exit, and one stuck there (a hung AWS
        # call; once, after a stderr flush failed because the host was gone) would keep the process alive long
        # past the host's 2 s kill deadline, or for good once the host is dead.
        os._exit(0)


def _shut_down(server: grpc.Server, health_servicer: health.HealthServicer, listen: handshake.Listen,
               log: Any) -> None:
    log.info("plugin stopping")
    health_servicer.enter_graceful_shutdown()
    started = time.monotonic()
    server.stop(SHUTDOWN_GRACE_SECONDS).wait(SHUTDOWN_GRACE_SECONDS + 0.1)
    if listen.network == "unix":
        try:
            os.unlink(listen.address)
        except OSError:
            pass
    log.info("plugin stopped", seconds=round(time.monotonic() - started, 3))
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # the host is gone and took the read end of our stderr pipe with it


def _log_internal(method: str, exc: BaseException) -> None:
    import structlog

    structlog.get_logger("cloudwatch_datasource.server").error(
        "internal error", method=method, error_type=type(exc).__name__, exc_info=exc)


def _warm_up(service: _LazyService) -> None:
    try:
        service.get()
        from . import convert  # noqa: F401 - imports pyarrow
    except Exception as exc:  # noqa: BLE001 - the first request meets the same error and reports it
        _log_internal("warm-up", exc)
