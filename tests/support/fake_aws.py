"""One fake AWS endpoint for every test and benchmark: a real HTTP server thread on 127.0.0.1 speaking the wire
protocols botocore sends, scriptable, fault-injecting, and as strict as AWS about GetMetricData's limits.

moto does not compute percentiles, math, SEARCH or dynamic labels and never pages GetMetricData; this fake
answers what a test scripts instead, records every request, and refuses what AWS refuses. The plugin points a
datasource at it with jsonData.endpoint (auth/ uses that endpoint for STS too).

Protocols (the answer uses the request's):
- awsJson1_0 / awsJson1_1 (CloudWatch and Logs as botocore 1.44 sends them: POST /, `X-Amz-Target: <prefix>.<Op>`,
  JSON, epoch-second timestamps);
- smithy-rpc-v2-cbor (POST /service/<svc>/operation/<Op>, CBOR, timestamps as tag 1);
- restJson1 (OAM: POST /ListSinks, /ListAttachedLinks: the operation is the path);
- the query protocol (STS, EC2: a form body with `Action`, XML answers).
Errors use each protocol's shape: awsJson/CBOR `{"__type": "<namespace>#<Code>", "message": ...}` plus the
`x-amzn-query-error: <Code>;Sender` header that CloudWatch, an awsQueryCompatible service, sends and botocore reads
the code from; the query protocol's `<ErrorResponse><Error><Code>`.

Answers, unless a test scripts one (`handler`, `script`):
- GetMetricData: for each MetricDataQuery with ReturnData, `points_per_series` points (3 by default) at
  StartTime + 0, 1, 2... minutes with values n, n+0.5, n+1, n+1.5... where n is the number in the first dimension
  value (`i-17` → 17; 1 when there is none); Label = the query's Label or the metric name; `Messages` empty.
  With `window_answers` on, the datapoints cover exactly the requested window and period instead: one per
  Period from StartTime (rounded down as AWS does: to the minute when under 15 days old, to 5 minutes up to 63
  days, else to the hour; GetMetricData API reference, StartTime) while before
  EndTime, value `window_value(n, period, t)`, a pure function of the series, period and timestamp, so answers for
  overlapping windows agree point for point (result cache and incremental refresh tests prove exactness with it).
  `filling_since`/`filling_bump` add a bump to points at or after that epoch second: data still arriving.
  `datapoints_served` counts the datapoints every GetMetricData answer carried.
  A Metrics Insights query with `GROUP BY k1[, k2...]` is answered as AWS does, one result per group of
  `insights_metrics` (the dimension sets the fake holds; a metric without a key is in that key's `Other` group),
  Label = the group's values in GROUP BY order joined by one space (or the query's Label, `${LABEL}` in it replaced
  by that), groups in order of first
  appearance, n = the group's position (1, 2, ...), at most LIMIT groups. WHERE and SCHEMA are not applied.
- StartQuery, GetQueryResults, StopQuery, GetLogGroupFields, DescribeLogGroups, DescribeAlarms,
  DescribeAlarmsForMetric, DescribeAlarmHistory: `fake.logs` (FakeLogsInsights, below), with AWS's limits.
- ListMetrics, GetCallerIdentity, AssumeRole (distinctive ASSUMED_* keys expiring
  `assume_expiry_s` from now), DescribeRegions, DescribeInstances, GetResources: small fixed answers.
- anything else: 400 UnknownOperationException.

GetMetricData limits, checked on every call before any answer (AWS CloudWatch API reference, GetMetricData,
MetricDataQuery and MetricStat pages; the messages are the ones AWS is seen to return where known, see each
check):
- at most 500 MetricDataQueries; Ids unique and matching `^[a-z][a-zA-Z0-9_]*$`;
- at most one Metrics Insights query (an Expression starting with SELECT) per call;
- every Period (MetricStat.Period, or an Expression's Period) 1, 5, 10, 20, 30 or a multiple of 60;
- MaxDatapoints at least 1; a call returns at most min(MaxDatapoints, 100,800) datapoints: the rest of a larger
  answer (the fake's own or a scripted one) is paged out with a NextToken and StatusCode PartialData, and the
  follow-up request must send that token with the same queries; an unknown token is InvalidNextToken (400),
  unless a test scripts its own pages (a handler for GetMetricData sees the tokens it handed out).

Faults (per operation, or "*" for any): `fail` (an AWS error: status + code), `hang` (sleep, then answer),
`truncate` (a Content-Length longer than the body, then close), `reset` (close without answering), `garbage`
(200 with a body that is not JSON), `trickle` (200 and the headers at once, then the body one byte every
`seconds`: every socket read gets data well within botocore's read timeout, so only an overall deadline ends it;
`trickling` counts the answers being trickled right now). Each has `times` (None = until `clear()`).
`revoke(access_key)` makes every call signed with that key fail (expired or revoked credentials); `delay_s`
delays every answer.

    with FakeAws() as fake:
        fake.script("GetMetricData", [page1, page2])          # answered in order, the last one repeats
        fake.handler("ListMetrics", lambda request: {...})     # or compute each answer (raise FakeError to fail)
        fake.script("GetMetricData", [RawBody(b'{"error": "upstream timed out"}')])  # a 200 with these exact bytes
        fake.fail("GetMetricData", status=400, code="Throttling", message="Rate exceeded", times=1)
        client = fake.client("us-east-1")
        fake.calls("GetMetricData")                            # decoded request bodies, in order
"""

from __future__ import annotations

import itertools
import json
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import cbor2
from botocore.config import Config

ASSUMED_KEY = "ASIAASSUMEDROLEKEY77"
ASSUMED_SECRET = "AssumedSecretAssumedSecretAssumedSecr/77"
ASSUMED_TOKEN = "AssumedSessionToken" + "Q" * 100 + "77"

# GetMetricData's documented limits (API reference: GetMetricData, MetricDataQuery, MetricStat).
MAX_QUERIES = 500
MAX_DATAPOINTS = 100_800
MAX_INSIGHTS_QUERIES = 1
HIGH_RESOLUTION_PERIODS = frozenset({1, 5, 10, 20, 30})
ID_PATTERN = re.compile(r"^[a-z][a-zA-Z0-9_]*$")

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
_NUMBER = re.compile(r"(\d+)")
_INSIGHTS = re.compile(r"^\s*SELECT\b", re.IGNORECASE)
_GROUP_BY = re.compile(r"\bGROUP\s+BY\s+(.+?)(?:\s+ORDER\s+BY\b.*?)?(?:\s+LIMIT\s+(\d+))?\s*$",
                       re.IGNORECASE | re.DOTALL)
# What the fake's Metrics Insights GROUP BY answers group: EC2-like metrics, one of them without the instance keys.
INSIGHTS_METRICS = (
    {"InstanceId": "i-1", "InstanceType": "t3.micro"},
    {"InstanceId": "i-2", "InstanceType": "t3.micro"},
    {"InstanceId": "i-3", "InstanceType": "m5.large"},
    {"AutoScalingGroupName": "asg-1"},
)
_TOKEN_PREFIX = "fake-page-"

Handler = Callable[[dict[str, Any]], "dict[str, Any] | RawBody"]


@dataclass(frozen=True)
class RawBody:
    """A scripted 200 answer sent byte for byte (JSON protocols): what a gateway, a proxy or a broken endpoint
    puts where AWS's answer should be, e.g. `{}`, `{"error": "upstream timed out"}` or JSON that does not parse."""

    data: bytes


class FakeError(Exception):
    """An AWS error answer: raise it from a handler (or script it with `fail`)."""

    def __init__(self, status: int, code: str, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.extra = dict(extra or {})  # the error shape's own members (MalformedQueryException's queryCompileError)


def validation_error(message: str) -> FakeError:
    return FakeError(400, "ValidationError", message)


@dataclass
class Fault:
    kind: str  # fail | hang | truncate | reset | garbage | trickle
    times: int | None = 1  # None: until clear()
    status: int = 400
    code: str = ""
    message: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class Request:
    operation: str
    body: dict[str, Any]
    access_key: str  # the key id that signed it ("" when unsigned)
    protocol: str  # json | cbor | rest-json | query
    at: float = 0.0  # time.monotonic() when it arrived (for order and spacing; never for timed asserts)
    throttled: bool = False  # refused by the operation's transactions-per-second quota (`FakeAws.quota`)


@dataclass
class _PendingPages:
    query_ids: tuple[str, ...]
    results: list[dict[str, Any]]  # what is left to send, in order
    messages: list[Any] = field(default_factory=list)  # sent with the first page only
    then: str | None = None  # a scripted answer's own NextToken, handed out with its last page


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # listen() backlog: socketserver's default of 5 drops connections when dozens arrive at once (a load test, 40
    # requests stuck on a hung endpoint), and a dropped SYN looks like an unreachable endpoint to a client with a
    # 1 s connect timeout. AWS's endpoints do not drop them.
    request_queue_size = 128


class FakeAws:
    def __init__(self, port: int = 0) -> None:
        self.requests: list[Request] = []
        self.delay_s = 0.0
        self.assume_expiry_s = 3600.0
        self.max_sleep_s = 120.0
        self.points_per_series = 3
        self.window_answers = False
        self.filling_since: float | None = None
        self.filling_bump = 0.0
        self.datapoints_served = 0
        self.insights_metrics: list[dict[str, str]] = [dict(m) for m in INSIGHTS_METRICS]
        self.page_datapoints = MAX_DATAPOINTS  # AWS's per-call total; a test may lower it to page small answers
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests answered at the same time (concurrency, without a clock)
        self.trickling = 0  # answers being trickled right now (a client that gave up closes its connection)
        self._handlers: dict[str, Handler] = {}
        self._faults: dict[str, list[Fault]] = {}
        self._revoked: dict[str, tuple[int, str]] = {}
        self._pages: dict[str, _PendingPages] = {}
        self._tokens = itertools.count(1)
        self._quotas: dict[str, tuple[float, float, float]] = {}  # operation → (calls/s, tokens, at)
        self._clients: dict[tuple[str, str, str], Any] = {}
        self.logs = FakeLogsInsights()  # Logs Insights, the logs editor's listings and alarms (see the class)
        self._lock = threading.Lock()
        self._closing = threading.Event()
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # http.server writes headers and body in two sends; with Nagle's algorithm on, the client's delayed
            # ACK holds every answer back ~40 ms (the benchmarks would measure the fake, not the plugin).
            disable_nagle_algorithm = True

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                fake._serve(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence per-request logs
                pass

        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.handle_error = lambda *_: None  # type: ignore[method-assign]  # resets are the point
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-aws",
                                        daemon=True)  # a short poll: stop() returns at once

    # --- lifecycle -----------------------------------------------------------------------------------------
    def start(self) -> FakeAws:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeAws:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- scripting -----------------------------------------------------------------------------------------
    def handler(self, operation: str, fn: Handler) -> None:
        """Compute each answer of the operation (the decoded request body in, the answer out)."""
        with self._lock:
            self._handlers[operation] = fn

    def script(self, operation: str, responses: list[dict[str, Any] | RawBody]) -> None:
        """Answer the operation with these responses in order; the last one repeats."""
        queue = list(responses)

        def next_response(_: dict[str, Any]) -> dict[str, Any] | RawBody:
            return queue.pop(0) if len(queue) > 1 else queue[0]

        self.handler(operation, next_response)

    def inject(self, operation: str, fault: Fault) -> None:
        with self._lock:
            self._faults.setdefault(operation, []).append(fault)

    def fail(self, operation: str, *, status: int, code: str, message: str = "", times: int | None = 1) -> None:
        """The next `times` calls of the operation (None: every call until clear()) fail with this AWS error."""
        self.inject(operation, Fault("fail", times, status, code, message))

    def revoke(self, access_key: str, *, status: int = 403, code: str = "UnrecognizedClientException") -> None:
        with self._lock:
            self._revoked[access_key] = (status, code)

    def quota(self, operation: str, calls_per_second: float) -> None:
        """Throttle `operation` beyond `calls_per_second` as AWS does (a token bucket holding one second's calls;
        over it: HTTP 400 `Throttling` "Rate exceeded", CloudWatch service quotas' TPS rule). Kept until clear()."""
        with self._lock:
            self._quotas[operation] = (calls_per_second, calls_per_second, time.monotonic())

    def _over_quota(self, operation: str, now: float) -> bool:
        # Under self._lock.
        quota = self._quotas.get(operation)
        if quota is None:
            return False
        rate, tokens, at = quota
        tokens = min(rate, tokens + (now - at) * rate)
        if tokens < 1:
            self._quotas[operation] = (rate, tokens, now)
            return True
        self._quotas[operation] = (rate, tokens - 1, now)
        return False

    def throttled(self, operation: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.operation == operation and r.throttled)

    def arrivals(self, operation: str) -> list[float]:
        """When each request of `operation` arrived (time.monotonic()), in arrival order."""
        with self._lock:
            return [r.at for r in self.requests if r.operation == operation]

    def clear(self) -> None:
        """Forget faults, quotas and revoked keys (scripts and handlers stay)."""
        with self._lock:
            self._quotas.clear()
            self._faults.clear()
            self._revoked.clear()

    def reset(self) -> None:
        """Back to a fresh fake on the same port: no scripts, faults, pages or requests, default settings."""
        with self._lock:
            self._handlers.clear()
            self._quotas.clear()
            self._faults.clear()
            self._revoked.clear()
            self._pages.clear()
            self.requests.clear()
        self.logs.reset()
        self.delay_s, self.points_per_series, self.page_datapoints = 0.0, 3, MAX_DATAPOINTS
        self.window_answers, self.filling_since, self.filling_bump, self.datapoints_served = False, None, 0.0, 0
        self.assume_expiry_s, self.max_in_flight = 3600.0, 0

    def reset_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # --- what was asked ------------------------------------------------------------------------------------
    def calls(self, operation: str) -> list[dict[str, Any]]:
        with self._lock:
            return [r.body for r in self.requests if r.operation == operation]

    def count(self, operation: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.operation == operation)

    def keys_seen(self) -> set[str]:
        with self._lock:
            return {r.access_key for r in self.requests}

    def client(self, region: str = "us-east-1", service: str = "cloudwatch", **config: Any) -> Any:
        """A botocore client (CloudWatch unless told) pointed at the fake (dummy keys, no retries unless asked);
        the same one again for the same arguments (clients are thread-safe, and slow to make)."""
        key = (region, service, repr(sorted(config.items())))
        with self._lock:
            cached = self._clients.get(key)
        if cached is not None:
            return cached
        cfg = Config(retries={"total_max_attempts": 1, "mode": "standard"}, **config)
        made = boto3.session.Session(aws_access_key_id="AKIDFAKE", aws_secret_access_key="fake",
                                     region_name=region).client(service, endpoint_url=self.url, config=cfg)
        with self._lock:
            return self._clients.setdefault(key, made)

    # --- serving -------------------------------------------------------------------------------------------
    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            self._serve_one(h)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _serve_one(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length", "0") or 0))
        content_type = h.headers.get("Content-Type", "")
        target = h.headers.get("X-Amz-Target", "")
        key_match = _CREDENTIAL.search(h.headers.get("Authorization", ""))
        access_key = key_match.group(1) if key_match else ""
        body: dict[str, Any]
        if "cbor" in content_type or "/operation/" in h.path:
            protocol, operation = "cbor", h.path.rsplit("/", 1)[-1]
            body = cbor2.loads(raw) if raw else {}
        elif target:
            protocol, operation = "json", target.rsplit(".", 1)[-1]
            body = json.loads(raw) if raw else {}
        elif "x-www-form-urlencoded" in content_type:
            form = urllib.parse.parse_qs(raw.decode(), keep_blank_values=True)
            body = {k: v[0] for k, v in form.items()}
            protocol, operation = "query", body.get("Action", "")
        else:
            # restJson1 services (OAM: POST /ListSinks, /ListAttachedLinks) name the operation in the path.
            protocol, operation = "rest-json", h.path.split("?", 1)[0].strip("/")
            body = json.loads(raw) if raw else {}
        with self._lock:
            now = time.monotonic()
            throttled = self._over_quota(operation, now)
            self.requests.append(Request(operation, body, access_key, protocol, now, throttled))
            revoked = self._revoked.get(access_key)
        fault = self._next_fault(operation)
        if self.delay_s:
            time.sleep(self.delay_s)
        if fault is not None and fault.kind == "hang":
            self._closing.wait(min(fault.seconds, self.max_sleep_s))
            fault = None
        if fault is not None and fault.kind == "reset":
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            if revoked is not None:
                raise FakeError(revoked[0], revoked[1], "The security token included in the request is invalid.")
            if throttled:
                raise FakeError(400, "Throttling", "Rate exceeded")
            if fault is not None and fault.kind == "fail":
                raise FakeError(fault.status, fault.code, fault.message)
            payload = self.answer(operation, body)
        except FakeError as err:
            self._send_error(h, protocol, content_type, err)
            return
        if isinstance(payload, RawBody):
            data, ctype = payload.data, content_type or "application/x-amz-json-1.0"
        elif isinstance(payload, str):
            data, ctype = payload.encode(), "text/xml"
        elif protocol == "cbor":
            data, ctype = cbor2.dumps(_encode(payload, cbor=True)), "application/cbor"
        else:
            data = json.dumps(_encode(payload, cbor=False)).encode()
            ctype = content_type if protocol == "json" and content_type else "application/x-amz-json-1.0"
        if fault is not None and fault.kind == "garbage":
            data = b'{"MetricDataResults": [{"Id": "x", "Val'
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        if protocol == "cbor":
            h.send_header("smithy-protocol", "rpc-v2-cbor")
        if fault is not None and fault.kind == "truncate":
            h.send_header("Content-Length", str(len(data) + 100))
            h.end_headers()
            h.wfile.write(data[: len(data) // 2])
            h.wfile.flush()
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if fault is not None and fault.kind == "trickle":
            self._trickle(h, data, fault.seconds)
            return
        h.wfile.write(data)

    def _trickle(self, h: BaseHTTPRequestHandler, data: bytes, interval: float) -> None:
        with self._lock:
            self.trickling += 1
        try:
            h.wfile.flush()
            for i in range(len(data)):
                if self._closing.wait(interval):
                    break
                h.wfile.write(data[i:i + 1])
                h.wfile.flush()
        except OSError:
            pass  # the client closed the connection: what a caller that gave up should do
        finally:
            h.close_connection = True
            with self._lock:
                self.trickling -= 1

    def _next_fault(self, operation: str) -> Fault | None:
        with self._lock:
            for name in (operation, "*"):
                queue = self._faults.get(name)
                if not queue:
                    continue
                fault = queue[0]
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        queue.pop(0)
                return fault
        return None

    def _send_error(self, h: BaseHTTPRequestHandler, protocol: str, content_type: str, err: FakeError) -> None:
        headers: dict[str, str] = {}
        if protocol == "query":
            data = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{err.code}</Code>"
                    f"<Message>{_xml_escape(err.message)}</Message></Error><RequestId>fake</RequestId>"
                    "</ErrorResponse>").encode()
            ctype = "text/xml"
        else:
            error = {"__type": f"com.amazonaws.cloudwatch#{err.code}", "message": err.message, **err.extra}
            if protocol == "cbor":
                data, ctype = cbor2.dumps(error), "application/cbor"
                headers["smithy-protocol"] = "rpc-v2-cbor"
            else:
                data = json.dumps(error).encode()
                ctype = content_type if protocol == "json" and content_type else "application/x-amz-json-1.0"
            headers["x-amzn-query-error"] = f"{err.code};Sender"
        h.send_response(err.status)
        h.send_header("Content-Type", ctype)
        for name, value in headers.items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    # --- answers -------------------------------------------------------------------------------------------
    def answer(self, operation: str, body: dict[str, Any]) -> dict[str, Any] | str | RawBody:
        """What the fake answers a decoded request with (raises FakeError for an AWS error), without HTTP."""
        with self._lock:
            fn = self._handlers.get(operation)
        if operation == "GetMetricData":
            return self._get_metric_data(body, fn)
        if fn is not None:
            return fn(body)
        return self._default_answer(operation, body)

    def _get_metric_data(self, body: dict[str, Any], fn: Handler | None) -> dict[str, Any] | RawBody:
        answer = self._get_metric_data_page(body, fn)
        if isinstance(answer, dict):
            served = sum(len(r.get("Values") or []) for r in answer.get("MetricDataResults") or []
                         if isinstance(r, dict))
            with self._lock:
                self.datapoints_served += served
        return answer

    def _get_metric_data_page(self, body: dict[str, Any], fn: Handler | None) -> dict[str, Any] | RawBody:
        check_get_metric_data(body)
        budget = min(int(body.get("MaxDatapoints") or MAX_DATAPOINTS), MAX_DATAPOINTS, self.page_datapoints)
        ids = tuple(str(q.get("Id")) for q in body.get("MetricDataQueries") or [])
        token = body.get("NextToken")
        if token and (token.startswith(_TOKEN_PREFIX) or fn is None):
            with self._lock:
                pending = self._pages.pop(token, None)
            if pending is None or pending.query_ids != ids:
                raise FakeError(400, "InvalidNextToken", "The next token specified is invalid.")
            return self._page(ids, pending, budget)
        if fn is not None:
            answer = fn(body)
        elif self.window_answers:
            answer = window_answer(body, self.filling_since, self.filling_bump)
        else:
            answer = get_metric_data_answer(body, self.points_per_series, self.insights_metrics)
        if isinstance(answer, RawBody) or not isinstance(answer.get("MetricDataResults"), list):
            return answer  # not an answer the fake can page: sent as scripted
        results = list(answer.get("MetricDataResults") or [])
        if sum(len(r.get("Values") or []) for r in results) <= budget:
            return answer
        pending = _PendingPages(ids, results, list(answer.get("Messages") or []), answer.get("NextToken"))
        return self._page(ids, pending, budget)

    def _page(self, ids: tuple[str, ...], pending: _PendingPages, budget: int) -> dict[str, Any]:
        """The next at most `budget` datapoints of a paged answer; the rest stays behind a new NextToken."""
        page: list[dict[str, Any]] = []
        left = budget
        while pending.results and left > 0:
            result = pending.results[0]
            values, stamps = list(result.get("Values") or []), list(result.get("Timestamps") or [])
            if len(values) <= left:
                page.append(result)
                pending.results.pop(0)
                left -= len(values)
                continue
            page.append({**result, "Values": values[:left], "Timestamps": stamps[:left], "StatusCode": "PartialData"})
            pending.results[0] = {**result, "Values": values[left:], "Timestamps": stamps[left:]}
            left = 0
        answer: dict[str, Any] = {"MetricDataResults": page, "Messages": pending.messages}
        if pending.results:
            token = f"{_TOKEN_PREFIX}{next(self._tokens)}"
            with self._lock:
                self._pages[token] = _PendingPages(ids, pending.results, then=pending.then)
            answer["NextToken"] = token
        elif pending.then:
            answer["NextToken"] = pending.then
        return answer

    def _default_answer(self, operation: str, body: dict[str, Any]) -> dict[str, Any] | str:
        logs_answer = self.logs.answer(operation, body)
        if logs_answer is not None:
            return logs_answer
        if operation == "ListMetrics":
            return {"Metrics": [{"Namespace": body.get("Namespace", "Custom/App"), "MetricName": "Requests",
                                 "Dimensions": [{"Name": "Service", "Value": "api"}]}]}
        if operation == "GetCallerIdentity":
            return ("<GetCallerIdentityResponse><GetCallerIdentityResult>"
                    "<Arn>arn:aws:iam::123456789012:user/reliability</Arn><UserId>AIDAFAKE</UserId>"
                    "<Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>")
        if operation == "AssumeRole":
            expiry = datetime.now(UTC) + timedelta(seconds=self.assume_expiry_s)
            stamp = expiry.strftime("%Y-%m-%dT%H:%M:%SZ")
            return ("<AssumeRoleResponse><AssumeRoleResult><Credentials>"
                    f"<AccessKeyId>{ASSUMED_KEY}</AccessKeyId><SecretAccessKey>{ASSUMED_SECRET}</SecretAccessKey>"
                    f"<SessionToken>{ASSUMED_TOKEN}</SessionToken><Expiration>{stamp}</Expiration>"
                    "</Credentials><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn>"
                    "<AssumedRoleId>AROAFAKE:s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult>"
                    "</AssumeRoleResponse>")
        if operation == "DescribeRegions":
            return ("<DescribeRegionsResponse><regionInfo><item><regionName>eu-west-1</regionName>"
                    "<regionEndpoint>ec2.eu-west-1.amazonaws.com</regionEndpoint></item></regionInfo>"
                    "</DescribeRegionsResponse>")
        if operation == "DescribeInstances":
            return ("<DescribeInstancesResponse><reservationSet><item><instancesSet><item>"
                    "<instanceId>i-1</instanceId><instanceType>t3.micro</instanceType>"
                    "<placement><availabilityZone>eu-west-1a</availabilityZone></placement>"
                    "<blockDeviceMapping><item><deviceName>/dev/xvda</deviceName><ebs><volumeId>vol-1</volumeId>"
                    "</ebs></item></blockDeviceMapping><tagSet><item><key>Name</key><value>web</value></item>"
                    "</tagSet></item></instancesSet></item></reservationSet></DescribeInstancesResponse>")
        if operation == "GetResources":
            return {"ResourceTagMappingList": [
                {"ResourceARN": "arn:aws:ec2:eu-west-1:123456789012:instance/i-1",
                 "Tags": [{"Key": "Name", "Value": "web"}]}]}
        raise FakeError(400, "UnknownOperationException", f"the fake has no answer for {operation}")


# --- GetMetricData: what AWS refuses ----------------------------------------------------------------------------

def check_get_metric_data(body: dict[str, Any]) -> None:
    """Raise the FakeError AWS answers a GetMetricData request with that breaks a documented limit."""
    queries = body.get("MetricDataQueries") or []
    if not queries:
        raise FakeError(400, "MissingParameter", "The parameter MetricDataQueries is required.")
    if len(queries) > MAX_QUERIES:
        # The model has no length bound, the API reference says "as many as 500": AWS's generic constraint text.
        raise validation_error("1 validation error detected: Value at 'metricDataQueries' failed to satisfy "
                               f"constraint: Member must have length less than or equal to {MAX_QUERIES}")
    bad_ids = [f"The value {q.get('Id')} for parameter MetricDataQueries.member.{n}.Id is not matching the "
               f"expected pattern {ID_PATTERN.pattern}."
               for n, q in enumerate(queries, 1) if not ID_PATTERN.match(str(q.get("Id") or ""))]
    if bad_ids:  # AWS's wording, one line per bad Id (seen in the wild, e.g. influxdata/telegraf#5420)
        raise validation_error("\n".join(bad_ids))
    ids = [q["Id"] for q in queries]
    if len(set(ids)) != len(ids):  # AWS's wording (e.g. aws-solutions/quota-monitor-for-aws#171)
        raise validation_error("The values for parameter id in MetricDataQueries are not unique.")
    insights = [q for q in queries if _INSIGHTS.match(str(q.get("Expression") or ""))]
    if len(insights) > MAX_INSIGHTS_QUERIES:  # AWS's wording (grafana/grafana#74563)
        raise validation_error(f"Maximum number of queries ({MAX_INSIGHTS_QUERIES}) exceeded")
    bad_periods = []
    for n, q in enumerate(queries, 1):
        for where, period in (("MetricStat.Period", (q.get("MetricStat") or {}).get("Period")),
                              ("Period", q.get("Period"))):
            if period is not None and not valid_period(period):
                bad_periods.append(f"The value {period} for parameter MetricDataQueries.member.{n}.{where} is not "
                                   "valid: use 1, 5, 10, 20, 30 or a multiple of 60.")
    if bad_periods:
        raise validation_error("\n".join(bad_periods))
    max_datapoints = body.get("MaxDatapoints")
    if max_datapoints is not None and int(max_datapoints) < 1:
        raise validation_error(f"The value {max_datapoints} for parameter MaxDatapoints must be at least 1.")


def valid_period(period: Any) -> bool:
    """MetricStat/MetricDataQuery Period: 1, 5, 10, 20, 30 (high resolution) or any multiple of 60."""
    return isinstance(period, int) and (period in HIGH_RESOLUTION_PERIODS or (period > 0 and period % 60 == 0))


def series_number(mdq: dict[str, Any]) -> int:
    dims = (mdq.get("MetricStat") or {}).get("Metric", {}).get("Dimensions") or []
    found = _NUMBER.search(str(dims[0].get("Value", ""))) if dims else None
    return int(found.group(1)) if found else 1


def expected_values(n: int, points: int = 3) -> list[float]:
    return [n + i / 2 for i in range(points)]


def insights_groups(sql: str, metrics: list[dict[str, str]]) -> list[str] | None:
    """The labels AWS gives the groups of a Metrics Insights `GROUP BY` query over `metrics`, in order of first
    appearance (at most LIMIT); None when the query has no GROUP BY."""
    found = _GROUP_BY.search(sql)
    if not found:
        return None
    keys = [k.strip().strip('"') for k in found.group(1).split(",")]
    groups = list(dict.fromkeys(" ".join(m.get(k, "Other") for k in keys) for m in metrics))
    return groups[:int(found.group(2))] if found.group(2) else groups


def get_metric_data_answer(body: dict[str, Any], points: int = 3,
                           insights_metrics: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """The deterministic answer (see the module docstring)."""
    # datetimes: the encoder writes epoch seconds for JSON and CBOR tag 1 for CBOR (aws-sdk-go-v2 speaks CBOR)
    start = datetime.fromtimestamp(_epoch(body.get("StartTime", 0)), UTC)
    stamps = [start + timedelta(minutes=i) for i in range(points)]
    results = []
    for mdq in body.get("MetricDataQueries", []):
        if not mdq.get("ReturnData", True):
            continue
        expression = str(mdq.get("Expression") or "")
        groups = insights_groups(expression, list(insights_metrics or INSIGHTS_METRICS)) \
            if _INSIGHTS.match(expression) else None
        if groups is not None:
            # `${LABEL}` in a label is the default label (AWS, "Use dynamic labels"); the other dynamic parts are not
            # computed by the fake.
            results.extend({"Id": mdq["Id"], "Label": str(mdq.get("Label") or "${LABEL}").replace("${LABEL}", group),
                            "StatusCode": "Complete",
                            "Timestamps": stamps, "Values": expected_values(n, points)}
                           for n, group in enumerate(groups, 1))
            continue
        n = series_number(mdq)
        label = mdq.get("Label") or (mdq.get("MetricStat") or {}).get("Metric", {}).get("MetricName") or mdq["Id"]
        results.append({"Id": mdq["Id"], "Label": label, "StatusCode": "Complete",
                        "Timestamps": stamps, "Values": expected_values(n, points)})
    return {"MetricDataResults": results, "Messages": []}


def window_value(n: int, period: int, epoch: float) -> float:
    """The value of series `n` at `epoch` for `period` in window mode: the same whatever window asked for it."""
    return n * 1000 + (int(epoch) // period) % 1000 + period / 1000


def window_answer(body: dict[str, Any], filling_since: float | None = None, bump: float = 0.0) -> dict[str, Any]:
    """Datapoints for exactly the requested window and period (see the module docstring)."""
    start = _epoch(body.get("StartTime", 0))
    age = time.time() - start
    start -= start % (60 if age < 15 * 86_400 else 300 if age < 63 * 86_400 else 3600)
    end = _epoch(body.get("EndTime", 0))
    results = []
    for mdq in body.get("MetricDataQueries", []):
        if not mdq.get("ReturnData", True):
            continue
        n = series_number(mdq)
        period = int((mdq.get("MetricStat") or {}).get("Period") or mdq.get("Period") or 60)
        label = mdq.get("Label") or (mdq.get("MetricStat") or {}).get("Metric", {}).get("MetricName") or mdq["Id"]
        stamps = [start + period * i for i in range(max(0, int(-(-(end - start) // period))))]
        values = [window_value(n, period, t) + (bump if filling_since is not None and t >= filling_since else 0.0)
                  for t in stamps]
        results.append({"Id": mdq["Id"], "Label": label, "StatusCode": "Complete",
                        "Timestamps": [datetime.fromtimestamp(t, UTC) for t in stamps], "Values": values})
    return {"MetricDataResults": results, "Messages": []}


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):  # CBOR tag 1 decodes to a datetime
        return value.timestamp()
    if isinstance(value, cbor2.CBORTag):
        return float(value.value)
    return float(value)


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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


# --- CloudWatch Logs Insights and alarms: what moto does not do --------------------------------------------------

# StartQuery / GetQueryResults limits (CloudWatch Logs API reference; botocore's logs model): at most 50 log groups,
# `limit` at most 100,000 for Logs Insights QL and 10,000 for OpenSearch SQL/PPL, at most 10,000 rows per
# GetQueryResults call (the rest behind nextToken); 30 concurrent Logs Insights queries per account (the StartQuery
# reference; the user guide now says 100, and 15 for PPL/SQL), beyond which StartQuery is LimitExceededException.
LOGS_MAX_LOG_GROUPS = 50
LOGS_MAX_ROWS_PER_CALL = 10_000
LOGS_MAX_CONCURRENT = 30
LOGS_MAX_CONCURRENT_OPENSEARCH = 15
LOGS_TERMINAL = frozenset({"Complete", "Failed", "Cancelled", "Timeout"})
_LOGS_SOURCE = re.compile(r"(?i)^\s*source\s+")
# Logs Insights QL's commands (CloudWatch Logs user guide, "CloudWatch Logs Insights language query syntax"); each
# `|`-separated part of a query starts with one. Anything else is what StartQuery refuses with
# MalformedQueryException (API reference, StartQuery "Errors": "The query string is not valid"), with a
# QueryCompileError naming where.
LOGS_COMMANDS = frozenset({"fields", "filter", "stats", "sort", "limit", "parse", "display", "dedup", "unmask",
                           "unnest", "pattern", "diff", "anomaly", "filterindex", "source", "lookup"})
_LOGS_COMMAND = re.compile(r"\s*([A-Za-z]*)")


def malformed_query(text: str) -> FakeError | None:
    """MalformedQueryException for a Logs Insights QL query whose parts do not each start with a command (quoted
    text and backticked names are skipped, so a `|` inside them does not split)."""
    offset = 0
    for part in re.split(r"\|(?=(?:[^'\"`]*['\"`][^'\"`]*['\"`])*[^'\"`]*$)", text):
        word = _LOGS_COMMAND.match(part)
        command = word.group(1) if word else ""
        if command.lower() not in LOGS_COMMANDS:
            at = offset + (word.start(1) if word else 0)
            found = command or part.strip()[:1] or "end of query"
            message = f"unexpected symbol found {found} at line 1 and position {at + 1}"
            return FakeError(400, "MalformedQueryException", message, {"queryCompileError": {
                "location": {"startCharOffset": at, "endCharOffset": at + max(len(command), 1)},
                "message": message}})
        offset += len(part) + 1
    return None


def logs_row(**fields: str) -> dict[str, str]:
    """One Logs Insights result row: field name → text (AWS sends every value as text)."""
    return dict(fields)


def log_rows(count: int, *, start: datetime | None = None) -> list[dict[str, str]]:
    """`count` log rows one second apart, as AWS answers them (`@timestamp` in Logs Insights' text format)."""
    first = start or datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    return [{"@timestamp": (first + timedelta(seconds=i)).strftime("%Y-%m-%d %H:%M:%S.000"),
             "@message": f"GET /item/{i} 200 {i % 97} ms", "@logStream": "web-1", "@log": "123456789012:/app/web",
             "latency": str(i % 97), "__log__grafana_internal__": "123456789012:/app/web",
             "__logstream__grafana_internal__": "web-1"} for i in range(count)]


@dataclass
class FakeQuery:
    query_id: str
    family: str
    params: dict[str, Any]
    step: int = 0
    status: str = "Scheduled"
    stopped: bool = False


class FakeLogsInsights:
    """Logs Insights as AWS runs it, one poll at a time: each GetQueryResults of a query moves it one step along
    `states` (the last repeats); on a non-final state the first half of `rows` is sent (partial results), on
    Complete all of them (10,000 per call, the rest behind nextToken). StopQuery of a running query cancels it
    (a finished one: InvalidParameterException); queries still Scheduled/Running count against the concurrency
    quota. `rows` / `states` / `statistics` may be set per test; `queries` is what was started."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.rows: list[dict[str, str]] = log_rows(3)
        self.states: list[str] = ["Running", "Complete"]
        self.statistics: dict[str, float] | None = None
        self.max_concurrent = LOGS_MAX_CONCURRENT
        self.max_concurrent_opensearch = LOGS_MAX_CONCURRENT_OPENSEARCH
        self.queries: dict[str, FakeQuery] = {}
        self.log_groups: list[dict[str, str]] = []  # {"name", "account"}: DescribeLogGroups' answer
        self.fields: list[dict[str, Any]] = [{"name": "@timestamp", "percent": 100},
                                             {"name": "@message", "percent": 100}]
        self.alarms: list[dict[str, Any]] = []  # MetricAlarm shapes (DescribeAlarms / DescribeAlarmsForMetric)
        self.alarm_history: list[dict[str, Any]] = []  # AlarmHistoryItem shapes
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def running(self, family: str = "CWLI") -> int:
        with self._lock:
            return sum(1 for q in self.queries.values() if q.family == family and q.status not in LOGS_TERMINAL)

    def answer(self, operation: str, body: dict[str, Any]) -> dict[str, Any] | None:
        fn = {"StartQuery": self._start, "GetQueryResults": self._results, "StopQuery": self._stop,
              "GetLogGroupFields": self._fields, "DescribeLogGroups": self._describe_log_groups,
              "DescribeAlarms": self._describe_alarms, "DescribeAlarmsForMetric": self._alarms_for_metric,
              "DescribeAlarmHistory": self._alarm_history}.get(operation)
        return fn(body) if fn is not None else None

    # --- queries ---
    def _start(self, body: dict[str, Any]) -> dict[str, Any]:
        text = body.get("queryString")
        language = body.get("queryLanguage") or "CWLI"
        if not isinstance(text, str) or not text or len(text) > 10_000:
            raise FakeError(400, "InvalidParameterException", "queryString is required (at most 10000 characters)")
        if language not in ("CWLI", "SQL", "PPL"):
            raise FakeError(400, "InvalidParameterException", f"Unsupported query language {language}")
        chosen = [k for k in ("logGroupName", "logGroupNames", "logGroupIdentifiers") if body.get(k)]
        in_text = language == "SQL" or (language == "CWLI" and _LOGS_SOURCE.match(text))
        if len(chosen) > 1 or (not chosen and not in_text):
            raise FakeError(400, "InvalidParameterException", "A StartQuery operation must include exactly one of "
                            "logGroupName, logGroupNames or logGroupIdentifiers, or a SOURCE command")
        malformed = malformed_query(text) if language == "CWLI" else None
        if malformed is not None:
            raise malformed
        groups = body.get(chosen[0]) if chosen else []
        if isinstance(groups, list) and len(groups) > LOGS_MAX_LOG_GROUPS:
            raise FakeError(400, "InvalidParameterException", "You can include up to 50 log groups")
        limit = body.get("limit")
        if limit is not None and not 1 <= int(limit) <= (100_000 if language == "CWLI" else 10_000):
            raise FakeError(400, "InvalidParameterException", f"Invalid limit {limit}")
        if int(body.get("startTime", 0)) > int(body.get("endTime", 0)):
            raise FakeError(400, "InvalidParameterException", "End time should not be before the start time")
        family = "CWLI" if language == "CWLI" else "OpenSearch"
        cap = self.max_concurrent if family == "CWLI" else self.max_concurrent_opensearch
        with self._lock:
            running = sum(1 for q in self.queries.values() if q.family == family and q.status not in LOGS_TERMINAL)
            if running >= cap:
                raise FakeError(400, "LimitExceededException",
                                f"Account maximum query concurrency limit of [{cap}] reached.")
            query_id = f"00000000-0000-4000-8000-{next(self._ids):012d}"
            self.queries[query_id] = FakeQuery(query_id, family, dict(body))
        return {"queryId": query_id}

    def _query(self, body: dict[str, Any]) -> FakeQuery:
        query = self.queries.get(str(body.get("queryId")))
        if query is None:
            raise FakeError(400, "ResourceNotFoundException", "The specified query does not exist.")
        return query

    def _results(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            query = self._query(body)
            if not query.stopped and query.status not in LOGS_TERMINAL:
                query.status = self.states[min(query.step, len(self.states) - 1)]
                query.step += 1
            status, params = query.status, query.params
        rows = self.rows if status == "Complete" else self.rows[: len(self.rows) // 2]
        limit = params.get("limit")
        if limit is not None:
            rows = rows[: int(limit)]
        token = body.get("nextToken")
        offset = int(str(token).removeprefix("logs-page-")) if token else 0
        page = rows[offset:offset + LOGS_MAX_ROWS_PER_CALL]
        answer: dict[str, Any] = {
            "status": status,
            "results": [[{"field": "@ptr", "value": f"ptr-{offset + i}"},
                         *({"field": k, "value": v} for k, v in row.items())] for i, row in enumerate(page)],
            "statistics": self.statistics if self.statistics is not None else {
                "recordsMatched": float(len(rows)), "recordsScanned": float(2 * len(self.rows)),
                "bytesScanned": float(100 * len(self.rows))},
        }
        if offset + LOGS_MAX_ROWS_PER_CALL < len(rows) and status == "Complete":
            answer["nextToken"] = f"logs-page-{offset + LOGS_MAX_ROWS_PER_CALL}"
        return answer

    def _stop(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            query = self._query(body)
            if query.status in LOGS_TERMINAL:
                raise FakeError(400, "InvalidParameterException", "Query is not running; it cannot be stopped")
            query.status, query.stopped = "Cancelled", True
        return {"success": True}

    # --- editor listings ---
    def _fields(self, body: dict[str, Any]) -> dict[str, Any]:
        if bool(body.get("logGroupName")) == bool(body.get("logGroupIdentifier")):
            raise FakeError(400, "InvalidParameterException",
                            "Exactly one of logGroupName or logGroupIdentifier must be given")
        return {"logGroupFields": self.fields}

    def _describe_log_groups(self, body: dict[str, Any]) -> dict[str, Any]:
        prefix, pattern = body.get("logGroupNamePrefix"), body.get("logGroupNamePattern")
        if prefix and pattern:
            raise FakeError(400, "InvalidParameterException",
                            "LogGroup name prefix and LogGroup name pattern are mutually exclusive")
        linked = bool(body.get("includeLinkedAccounts"))
        accounts = body.get("accountIdentifiers") or []
        found = [g for g in self.log_groups
                 if (not prefix or g["name"].startswith(prefix))
                 and (not pattern or pattern.lower() in g["name"].lower())
                 and (linked or g.get("account", "123456789012") == "123456789012")
                 and (not accounts or g.get("account", "123456789012") in accounts)]
        limit = min(int(body.get("limit") or 50), 50)
        offset = int(str(body.get("nextToken") or "groups-0").removeprefix("groups-"))
        page = found[offset:offset + limit]
        answer: dict[str, Any] = {"logGroups": [
            {"logGroupName": g["name"],
             "arn": f"arn:aws:logs:us-east-1:{g.get('account', '123456789012')}:log-group:{g['name']}:*"}
            for g in page]}
        if offset + limit < len(found):
            answer["nextToken"] = f"groups-{offset + limit}"
        return answer

    # --- alarms ---
    def _describe_alarms(self, body: dict[str, Any]) -> dict[str, Any]:
        name_prefix, action_prefix = body.get("AlarmNamePrefix") or "", body.get("ActionPrefix") or ""
        found = [a for a in self.alarms if a["AlarmName"].startswith(name_prefix)
                 and (not action_prefix or any(x.startswith(action_prefix) for x in a.get("AlarmActions", [])))]
        return _paged(found, "MetricAlarms", body)

    def _alarms_for_metric(self, body: dict[str, Any]) -> dict[str, Any]:
        dims = sorted((d["Name"], d["Value"]) for d in body.get("Dimensions") or [])
        found = [a for a in self.alarms if a.get("Namespace") == body.get("Namespace")
                 and a.get("MetricName") == body.get("MetricName")
                 and (body.get("Statistic") is None or a.get("Statistic") == body.get("Statistic"))
                 and (body.get("ExtendedStatistic") is None
                      or a.get("ExtendedStatistic") == body.get("ExtendedStatistic"))
                 and (body.get("Period") is None or a.get("Period") == body.get("Period"))
                 and sorted((d["Name"], d["Value"]) for d in a.get("Dimensions") or []) == dims]
        return {"MetricAlarms": found}

    def _alarm_history(self, body: dict[str, Any]) -> dict[str, Any]:
        start, end = _epoch(body.get("StartDate", 0)), _epoch(body.get("EndDate", 4e9))
        found = [h for h in self.alarm_history if h["AlarmName"] == body.get("AlarmName")
                 and start <= h["Timestamp"].timestamp() <= end]
        return _paged(found, "AlarmHistoryItems", body)


def _paged(found: list[dict[str, Any]], key: str, body: dict[str, Any]) -> dict[str, Any]:
    """CloudWatch's MaxRecords/NextToken paging (MaxRecords 1..100)."""
    size = int(body.get("MaxRecords") or 50)
    if not 1 <= size <= 100:
        raise validation_error(f"The value {size} for parameter MaxRecords is not valid (1 to 100).")
    offset = int(str(body.get("NextToken") or "page-0").removeprefix("page-"))
    answer: dict[str, Any] = {key: found[offset:offset + size]}
    if offset + size < len(found):
        answer["NextToken"] = f"page-{offset + size}"
    return answer
