"""Per-RPC deadlines and cancellation: how long one QueryData / CallResource / CheckHealth may keep working.

An RPC ends for one of three reasons, and each must stop the AWS work it started at once: its answer was sent,
the host cancelled it or its gRPC deadline passed (grpcio runs `ServicerContext.add_callback` callbacks when the
RPC terminates, whatever the reason: https://grpc.github.io/grpc/python/grpc.html#grpc.RpcContext.add_callback),
or the plugin's own per-request time limit ran out (`[plugin.<id>] request_timeout`, policy.ClientTuning).

botocore's timeouts do not bound a request: its read timeout applies to each socket read, so an endpoint that
trickles one byte every second keeps a call alive for as long as it likes, and retries multiply what is left.
So a RequestScope, made per RPC and reachable from every thread working for it (the `current` context variable),
does three things when it ends:
- closes (shuts down) the sockets its AWS calls are reading from: the blocked read returns at once;
- makes every further AWS attempt fail before it is sent (a botocore `before-send` handler, see
  `before_send`), so botocore's retries and the next GetMetricData page are never sent;
- answers what is left with one clear error (504, errorSource downstream: grafana-plugin-sdk-go's
  experimental/status `IsDownstreamError` counts timeouts and cancellations as downstream).

Sockets are found through the connection pools of the clients aws/sessions.py builds: `track_connections`
swaps botocore's urllib3 pool classes for subclasses that note which connection each scope holds.
"""

from __future__ import annotations

import contextvars
import heapq
import itertools
import socket
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import ErrorSource, PluginError

T = TypeVar("T")


class RequestStopped(PluginError):
    """The RPC's time is up (or its caller left): raised into the AWS call chain, answered on every refId left."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=504, source=ErrorSource.DOWNSTREAM)


class RequestScope:
    """The life of one RPC: when it must end, whether it has, and the AWS connections it holds meanwhile.

    Thread-safe: the gRPC worker, the GetMetricData pool threads and the watchdog all touch it.
    """

    def __init__(self, grpc_remaining_s: float | None = None, *, limit_s: float | None = None) -> None:
        now = time.monotonic()
        self._started = now
        self._lock = threading.Lock()
        self._expires_at = float("inf")
        self._limit_s: float | None = None
        self._grpc_deadline = grpc_remaining_s is not None
        if grpc_remaining_s is not None:
            self._expires_at = now + max(0.0, grpc_remaining_s)
        self._reason = ""
        self._stopped = threading.Event()
        self._connections: set[Any] = set()
        self._finished = False
        if limit_s is not None:
            self.limit(limit_s)
        elif grpc_remaining_s is not None:
            _WATCHDOG.watch(self)

    # --- time ------------------------------------------------------------------------------------------------
    def limit(self, seconds: float) -> RequestScope:
        """Cap the scope at `seconds` from its start (the plugin's own time limit); the earlier end wins."""
        with self._lock:
            expires = self._started + max(0.0, seconds)
            earlier = expires < self._expires_at
            if earlier:
                self._expires_at, self._limit_s, self._grpc_deadline = expires, seconds, False
        if earlier:
            _WATCHDOG.watch(self)
        return self

    @property
    def expires_at(self) -> float:
        return self._expires_at

    def remaining(self) -> float:
        return self._expires_at - time.monotonic()

    @property
    def stopped(self) -> bool:
        if not self._stopped.is_set() and time.monotonic() >= self._expires_at:
            self.stop("time limit")
        return self._stopped.is_set()

    @property
    def reason(self) -> str:
        return self._reason

    # --- ending ----------------------------------------------------------------------------------------------
    def stop(self, reason: str) -> None:
        """End the scope: every connection it holds is shut down, every further AWS attempt refused."""
        with self._lock:
            if self._stopped.is_set():
                return
            self._reason = reason
            self._stopped.set()
            held = list(self._connections)
        for conn in held:
            _shut(conn)

    def rpc_terminated(self) -> None:
        """grpcio's add_callback: the RPC is over (answered, cancelled or past its deadline)."""
        if not self._finished:
            self.stop("cancelled")

    def finish(self) -> None:
        """The handler is done with the scope (its answer is built); nothing is left to stop."""
        self._finished = True
        _WATCHDOG.forget(self)

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`, or less if the scope ends meanwhile; True when it has ended."""
        if self._stopped.wait(max(0.0, min(seconds, self.remaining()))):
            return True
        return self.stopped

    def check(self) -> None:
        """Raise RequestStopped when the scope has ended."""
        if self.stopped:
            raise self.error()

    def error(self) -> RequestStopped:
        if self._reason == "cancelled":
            return RequestStopped("the request was cancelled by Grafana (the client left or its deadline "
                                  "passed); the AWS calls still running for it were stopped")
        if self._limit_s is not None and not self._grpc_deadline:
            return RequestStopped(
                f"the AWS calls for this request did not finish within the plugin's time limit of "
                f"{self._limit_s:g} s ([plugin.<id>] request_timeout): the AWS endpoint is slow or not answering; "
                "try again, or a shorter time range or fewer queries")
        return RequestStopped("the request's deadline passed before the AWS calls for it finished: the AWS "
                              "endpoint is slow or not answering")

    # --- connections -----------------------------------------------------------------------------------------
    def track(self, conn: Any) -> None:
        with self._lock:
            stopped = self._stopped.is_set()
            if not stopped:
                self._connections.add(conn)
        if stopped:
            _shut(conn)

    def untrack(self, conn: Any) -> None:
        with self._lock:
            self._connections.discard(conn)


# The scope of the RPC the current thread works for. Threads started for a request (the GetMetricData pool, the
# health check's three calls) run in a copy of the submitter's context: see `run_in_scope`.
current: contextvars.ContextVar[RequestScope | None] = contextvars.ContextVar("request_scope", default=None)


def run_in_scope(fn: Callable[..., T]) -> Callable[..., T]:
    """`fn` bound to a copy of the calling thread's context, for a thread pool (which does not copy it)."""
    context = contextvars.copy_context()

    def bound(*args: Any, **kwargs: Any) -> T:
        return context.copy().run(fn, *args, **kwargs)

    return bound


def check_current() -> None:
    scope = current.get()
    if scope is not None:
        scope.check()


def before_send(**_: Any) -> None:
    """botocore `before-send` handler (every attempt of every AWS call, retries included): refuse to send for a
    scope that has ended. The exception is ours, not botocore's, so no retry mode retries it
    (botocore/retries/standard.py retries only its own connection errors and listed AWS codes)."""
    check_current()


def _shut(conn: Any) -> None:
    # shutdown, not close: a thread blocked in recv() on this socket wakes up with end-of-file at once, while
    # the file descriptor stays owned by the connection (closing it under a reader could let the number be
    # reused by another socket). urllib3 then drops the broken connection instead of pooling it.
    sock = getattr(conn, "sock", None)
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


# --- urllib3 pools that know which scope holds each connection ---------------------------------------------------

def _tracking_pool(base: type) -> type:
    class TrackingPool(base):  # type: ignore[misc]
        # urllib3's HTTPConnectionPool hands a connection out with _get_conn and takes it back with _put_conn
        # (urllib3/connectionpool.py); both run in the thread making the call, so `current` is that call's scope.
        def _get_conn(self, timeout: float | None = None) -> Any:
            conn = super()._get_conn(timeout)
            scope = current.get()
            if scope is not None:
                scope.track(conn)
            return conn

        def _put_conn(self, conn: Any) -> None:
            scope = current.get()
            if scope is not None and conn is not None:
                scope.untrack(conn)
            super()._put_conn(conn)

    TrackingPool.__name__ = TrackingPool.__qualname__ = f"Tracking{base.__name__}"
    return TrackingPool


_POOLS: dict[str, type] = {}


def track_connections(client: Any) -> bool:
    """Make `client`'s HTTP connections closable by the scope using them. Returns False when this botocore does
    not have the pool seam (then a scope still refuses every further attempt, it just cannot cut a read short).

    The seam: botocore.httpsession.URLLib3Session keeps the pool classes its urllib3 PoolManagers build from in
    `_pool_classes_by_scheme` (botocore 1.44), the dict every manager it creates shares. tests/reliability
    test_deadlines.py fails if a trickling read is no longer cut short.
    """
    if not _POOLS:
        from botocore.awsrequest import AWSHTTPConnectionPool, AWSHTTPSConnectionPool

        _POOLS.update(http=_tracking_pool(AWSHTTPConnectionPool), https=_tracking_pool(AWSHTTPSConnectionPool))
    http_session = getattr(getattr(client, "_endpoint", None), "http_session", None)
    classes = getattr(http_session, "_pool_classes_by_scheme", None)
    if not isinstance(classes, dict) or set(classes) != {"http", "https"}:
        return False
    classes.update(_POOLS)
    return True


# --- one thread that ends scopes whose time is up -----------------------------------------------------------------

class _Watchdog:
    """Stops each watched scope at its expiry: a request blocked in a read is cut off even if nothing else
    looks at the clock. One thread for the process, started on first use; a heap of (expiry, scope)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, weakref.ref[RequestScope]]] = []
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, scope: RequestScope) -> None:
        if scope.expires_at == float("inf"):
            return
        with self._cond:
            heapq.heappush(self._heap, (scope.expires_at, next(self._ids), weakref.ref(scope)))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="request-deadlines", daemon=True)
                self._thread.start()
            self._cond.notify()

    def forget(self, scope: RequestScope) -> None:
        # Lazy: a finished scope's entry is dropped when it comes up (or with its weak reference); keeping the
        # heap small matters more than removing at once, so drop dead entries from the top here.
        with self._cond:
            while self._heap and (self._heap[0][2]() is None or self._heap[0][2]() is scope):
                heapq.heappop(self._heap)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                expires, _, ref = self._heap[0]
                delay = expires - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
            scope = ref()
            if scope is not None and not scope._finished:
                scope.stop("time limit")


_WATCHDOG = _Watchdog()
