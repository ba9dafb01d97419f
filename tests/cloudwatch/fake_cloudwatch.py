"""A scriptable fake CloudWatch endpoint: a real HTTP server thread on 127.0.0.1 speaking botocore's protocol.

moto does not compute percentiles, math, SEARCH or dynamic labels, and never pages GetMetricData or returns
PartialData (shared/reference/test-infrastructure.md §1a). This fake answers what a test scripts instead, and
records every request, so tests can assert the exact MetricDataQueries sent and the frames built from tricky
responses. Both wire protocols botocore may pick for CloudWatch are spoken: awsJson1_0 (what botocore 1.44.8
actually sends: POST /, `X-Amz-Target: GraniteServiceVersion20100801.<Op>`, JSON, epoch-second timestamps) and
smithy-rpc-v2-cbor (POST /service/<svc>/operation/<Op>, CBOR, timestamps as tag 1). The answer uses the
request's protocol. Reusable by benchmarks and reliability tests:

    with FakeCloudWatch() as fake:
        fake.script("GetMetricData", [page1, page2])          # answered in order, the last one repeats
        fake.handler("ListMetrics", lambda request: {...})     # or compute each answer
        fake.fail("GetMetricData", status=400, code="Throttling", message="Rate exceeded", times=1)
        fake.delay_s = 0.2                                     # every answer waits this long
        client = fake.client("us-east-1")
        ...
        fake.requests                                          # [(operation, decoded body), ...]
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import cbor2
from botocore.config import Config

Handler = Callable[[dict[str, Any]], dict[str, Any]]


class FakeError(Exception):
    """Raise from a handler (or script with `fail`) to answer with an AWS error."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class FakeCloudWatch:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.delay_s = 0.0
        self._handlers: dict[str, Handler] = {}
        self._faults: dict[str, list[FakeError]] = {}
        self._lock = threading.Lock()
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                is_cbor = "cbor" in self.headers.get("Content-Type", "") or "/operation/" in self.path
                if is_cbor:
                    operation = self.path.rsplit("/", 1)[-1]
                    body = cbor2.loads(raw) if raw else {}
                elif self.headers.get("X-Amz-Target"):
                    operation = self.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
                    body = json.loads(raw) if raw else {}
                else:
                    # restJson1 services (OAM: POST /ListSinks, /ListAttachedLinks) name the operation in the path.
                    operation = self.path.split("?", 1)[0].strip("/")
                    body = json.loads(raw) if raw else {}
                status, payload, headers = fake._answer(operation, body)
                self.send_response(status)
                if is_cbor:
                    data = cbor2.dumps(_encode(payload, cbor=True))
                    self.send_header("Content-Type", "application/cbor")
                    self.send_header("smithy-protocol", "rpc-v2-cbor")
                else:
                    data = json.dumps(_encode(payload, cbor=False)).encode()
                    self.send_header("Content-Type", "application/x-amz-json-1.0")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence per-request logs
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-cloudwatch", daemon=True)

    # --- lifecycle -----------------------------------------------------------------------------------------
    def start(self) -> FakeCloudWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeCloudWatch:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- scripting -----------------------------------------------------------------------------------------
    def handler(self, operation: str, fn: Handler) -> None:
        self._handlers[operation] = fn

    def script(self, operation: str, responses: list[dict[str, Any]]) -> None:
        """Answer the operation with these responses in order; the last one repeats."""
        queue = list(responses)

        def next_response(_: dict[str, Any]) -> dict[str, Any]:
            return queue.pop(0) if len(queue) > 1 else queue[0]

        self._handlers[operation] = next_response

    def fail(self, operation: str, *, status: int, code: str, message: str = "", times: int = 1) -> None:
        """The next `times` calls of the operation fail with this AWS error (then scripting resumes)."""
        self._faults.setdefault(operation, []).extend([FakeError(status, code, message)] * times)

    def calls(self, operation: str) -> list[dict[str, Any]]:
        return [body for op, body in self.requests if op == operation]

    def client(self, region: str = "us-east-1", service: str = "cloudwatch", **config: Any) -> Any:
        """A botocore client (CloudWatch unless told) pointed at the fake (dummy keys, no retries unless asked)."""
        cfg = Config(retries={"total_max_attempts": 1, "mode": "standard"}, **config)
        return boto3.session.Session(aws_access_key_id="AKIDFAKE", aws_secret_access_key="fake",
                                     region_name=region).client(service, endpoint_url=self.url, config=cfg)

    # --- serving -------------------------------------------------------------------------------------------
    def _answer(self, operation: str, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            self.requests.append((operation, body))
            faults = self._faults.get(operation)
            fault = faults.pop(0) if faults else None
        if self.delay_s:
            time.sleep(self.delay_s)
        try:
            if fault is not None:
                raise fault
            fn = self._handlers.get(operation)
            if fn is None:
                raise FakeError(400, "UnknownOperationException", f"fake has no script for {operation}")
            return 200, fn(body), {}
        except FakeError as err:
            # awsQueryCompatible services also send x-amzn-query-error; botocore reads the code from it.
            return err.status, {"__type": f"com.amazonaws.cloudwatch#{err.code}", "message": err.message}, {
                "x-amzn-query-error": f"{err.code};Sender"}


def _encode(value: Any, *, cbor: bool) -> Any:
    """datetimes → epoch seconds: a bare number in JSON, CBOR tag 1 (the only tag botocore accepts) in CBOR."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return cbor2.CBORTag(1, moment.timestamp()) if cbor else moment.timestamp()
    if isinstance(value, dict):
        return {k: _encode(v, cbor=cbor) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v, cbor=cbor) for v in value]
    return value
