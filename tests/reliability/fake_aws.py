"""A local fake AWS endpoint (CloudWatch, STS, Logs, EC2, tagging on one 127.0.0.1 port) that can inject faults.

The plugin points a datasource at it with jsonData.endpoint (auth/ uses that endpoint for STS too). It speaks
what botocore 1.44 sends: awsJson1_0 for CloudWatch, awsJson1_1 for Logs, the query protocol (XML answers) for
STS and EC2. Answers are deterministic so a load test can check every value:

- GetMetricData: for each MetricDataQuery, 3 points at StartTime + 0/1/2 min with values n, n+0.5, n+1 where n
  is the number in the first dimension value (`i-17` → 17; 1 when there is none); Label = the query's Label or
  the metric name; a `Messages` list is never sent.
- AssumeRole: distinctive assumed-role keys (ASSUMED_*), expiring `assume_expiry_s` from now.

Faults (per operation, or "*" for any): `fail` (an AWS error, status + code), `hang` (sleep, then answer),
`truncate` (a Content-Length longer than the body, then close), `reset` (close without answering), `garbage`
(200 with a body that is not JSON). Each has `times` (None = until `clear()`). `revoke(access_key, code)` makes
every call signed with that key fail (expired or revoked credentials).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ASSUMED_KEY = "ASIAASSUMEDROLEKEY77"
ASSUMED_SECRET = "AssumedSecretAssumedSecretAssumedSecr/77"
ASSUMED_TOKEN = "AssumedSessionToken" + "Q" * 100 + "77"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
_NUMBER = re.compile(r"(\d+)")


@dataclass
class Fault:
    kind: str  # fail | hang | truncate | reset | garbage
    times: int | None = 1  # None: until clear()
    status: int = 400
    code: str = ""
    message: str = ""
    seconds: float = 0.0


class FakeAws:
    def __init__(self, port: int = 0) -> None:
        self.requests: list[tuple[str, str]] = []  # (operation, access key id that signed it)
        self.assume_expiry_s = 3600.0
        self.max_sleep_s = 120.0
        self._faults: dict[str, list[Fault]] = {}
        self._revoked: dict[str, tuple[int, str]] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                fake._serve(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._server.handle_error = lambda *_: None  # type: ignore[method-assign]  # resets are the point
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-aws", daemon=True)

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
    def inject(self, operation: str, fault: Fault) -> None:
        with self._lock:
            self._faults.setdefault(operation, []).append(fault)

    def fail(self, operation: str, *, status: int, code: str, message: str = "", times: int | None = 1) -> None:
        self.inject(operation, Fault("fail", times, status, code, message))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._revoked.clear()

    def revoke(self, access_key: str, *, status: int = 403, code: str = "UnrecognizedClientException") -> None:
        with self._lock:
            self._revoked[access_key] = (status, code)

    def count(self, operation: str) -> int:
        with self._lock:
            return sum(1 for op, _ in self.requests if op == operation)

    def keys_seen(self) -> set[str]:
        with self._lock:
            return {key for _, key in self.requests}

    # --- serving -------------------------------------------------------------------------------------------
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

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length", "0") or 0))
        content_type = h.headers.get("Content-Type", "")
        target = h.headers.get("X-Amz-Target", "")
        key_match = _CREDENTIAL.search(h.headers.get("Authorization", ""))
        access_key = key_match.group(1) if key_match else ""
        if target:
            operation = target.rsplit(".", 1)[-1]
            body: dict[str, Any] = json.loads(raw) if raw else {}
            protocol = "json"
        else:
            form = urllib.parse.parse_qs(raw.decode(), keep_blank_values=True)
            body = {k: v[0] for k, v in form.items()}
            operation = body.get("Action", "")
            protocol = "query"
        with self._lock:
            self.requests.append((operation, access_key))
            revoked = self._revoked.get(access_key)
        fault = self._next_fault(operation)
        if fault is not None and fault.kind == "hang":
            self._closing.wait(min(fault.seconds, self.max_sleep_s))
            fault = None
        if fault is not None and fault.kind == "reset":
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        if revoked is not None:
            self._error(h, protocol, content_type, revoked[0], revoked[1],
                        "The security token included in the request is invalid.")
            return
        if fault is not None and fault.kind == "fail":
            self._error(h, protocol, content_type, fault.status, fault.code, fault.message)
            return
        try:
            payload = self._answer(operation, body)
        except KeyError:
            self._error(h, protocol, content_type, 400, "UnknownOperationException", f"no fake for {operation}")
            return
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        if fault is not None and fault.kind == "garbage":
            data = b'{"MetricDataResults": [{"Id": "x", "Val'
        h.send_response(200)
        h.send_header("Content-Type", "text/xml" if protocol == "query" else content_type)
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
        h.wfile.write(data)

    def _error(self, h: BaseHTTPRequestHandler, protocol: str, content_type: str, status: int, code: str,
               message: str) -> None:
        if protocol == "query":
            data = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
                    "</Error><RequestId>fake</RequestId></ErrorResponse>").encode()
            ctype = "text/xml"
        else:
            data = json.dumps({"__type": f"com.amazonaws.fake#{code}", "message": message}).encode()
            ctype = content_type or "application/x-amz-json-1.0"
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        if protocol == "json":
            h.send_header("x-amzn-query-error", f"{code};Sender")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _answer(self, operation: str, body: dict[str, Any]) -> dict[str, Any] | str:
        if operation == "GetMetricData":
            return get_metric_data_answer(body)
        if operation == "ListMetrics":
            return {"Metrics": [{"Namespace": body.get("Namespace", "Custom/App"), "MetricName": "Requests",
                                 "Dimensions": [{"Name": "Service", "Value": "api"}]}]}
        if operation == "DescribeLogGroups":
            return {"logGroups": []}
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
        raise KeyError(operation)


def series_number(mdq: dict[str, Any]) -> int:
    dims = (mdq.get("MetricStat") or {}).get("Metric", {}).get("Dimensions") or []
    found = _NUMBER.search(str(dims[0].get("Value", ""))) if dims else None
    return int(found.group(1)) if found else 1


def expected_values(n: int) -> list[float]:
    return [float(n), n + 0.5, float(n + 1)]


def get_metric_data_answer(body: dict[str, Any]) -> dict[str, Any]:
    start = float(body.get("StartTime", 0))
    results = []
    for mdq in body.get("MetricDataQueries", []):
        if not mdq.get("ReturnData", True):
            continue
        n = series_number(mdq)
        label = mdq.get("Label") or (mdq.get("MetricStat") or {}).get("Metric", {}).get("MetricName") or mdq["Id"]
        results.append({"Id": mdq["Id"], "Label": label, "StatusCode": "Complete",
                        "Timestamps": [start + 60 * i for i in range(3)], "Values": expected_values(n)})
    return {"MetricDataResults": results, "Messages": []}


def wait_until(predicate: Any, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
