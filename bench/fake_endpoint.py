"""A fast local CloudWatch for the benchmarks, in its own process so it never competes for the GIL of the process
being measured: the tests' fake AWS endpoint (tests/support/fake_aws.py, the same one, AWS's GetMetricData
limits included) scripted to answer every GetMetricData query with a fixed series.

    python bench/fake_endpoint.py [--points 60] [--window] [--delay 0]
prints the endpoint URL on one line, serves until its standard input closes. Besides CloudWatch's operations it
answers `BenchStats` (X-Amz-Target `x.BenchStats`): the number of GetMetricData calls and MetricDataQueries, and
of ListMetrics calls, served since the last BenchStats, so the benchmarks can cross-check the plugin's own call
counter. ListMetrics of the namespace `Bench/Picker` answers a large account: LIST_PAGES pages of 500 metrics (AWS's
page size), each with a `Service` dimension of 250 values and a `Host`; any other namespace has no metrics.
`--window`: datapoints for exactly the requested window and period (the fake's window mode) instead of a fixed
series, and BenchStats adds the datapoints served; `--delay`: seconds before every answer (AWS's latency).
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

# The fake lives with the tests (tests/support/, what pytest's `pythonpath` setting puts on the path there).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import cbor2  # noqa: E402 - a dev dependency, like the fake's own import of it
from support.fake_aws import FakeAws  # noqa: E402 - found through the path set just above

LIST_PAGES = 20  # 10,000 metrics: a large account's picker, still quick to serve
PICKER_NAMESPACE = "Bench/Picker"


def serve(points: int, window: bool = False, delay: float = 0.0) -> None:
    values = [float(i % 17) for i in range(points)]
    timestamps: dict[tuple[float, bool], list[Any]] = {}
    served = {"GetMetricData": 0, "queries": 0, "ListMetrics": 0}

    def list_metrics(request: dict[str, Any]) -> dict[str, Any]:
        served["ListMetrics"] += 1
        if request.get("Namespace") != PICKER_NAMESPACE:
            return {"Metrics": []}
        page = int(request.get("NextToken") or 0)
        metrics = [{"Namespace": PICKER_NAMESPACE, "MetricName": request.get("MetricName") or "Latency",
                    "Dimensions": [{"Name": "Service", "Value": f"svc-{i % 250:03d}"},
                                   {"Name": "Host", "Value": f"host-{page:02d}-{i:03d}"}]} for i in range(500)]
        answer: dict[str, Any] = {"Metrics": metrics}
        if page + 1 < LIST_PAGES:
            answer["NextToken"] = str(page + 1)
        return answer

    def get_metric_data(request: dict[str, Any]) -> dict[str, Any]:
        # botocore speaks awsJson1_0 (StartTime an epoch number); aws-sdk-go-v2, for the Go reference plugin,
        # smithy-rpc-v2-cbor, whose timestamps cbor2 decodes to datetimes and which must go back as CBOR tag 1
        # (the fake's encoder passes a ready tag through untouched).
        raw_start = request.get("StartTime", 0)
        cbor = isinstance(raw_start, datetime)
        start = raw_start.timestamp() if cbor else float(raw_start)
        series = timestamps.get((start, cbor))
        if series is None:
            epochs = [start + 60 * i for i in range(points)]
            series = timestamps[(start, cbor)] = [cbor2.CBORTag(1, t) for t in epochs] if cbor else epochs
        queries = request.get("MetricDataQueries") or []
        served["GetMetricData"] += 1
        served["queries"] += len(queries)
        return {"MetricDataResults": [
            {"Id": q["Id"], "Label": q.get("Label") or q["Id"], "Timestamps": series, "Values": values,
             "StatusCode": "Complete"} for q in queries], "Messages": []}

    def stats(_: dict[str, Any]) -> dict[str, Any]:
        out = dict(served)
        if window:
            out["GetMetricData"] = fake.count("GetMetricData")
            out["queries"] = sum(len(c.get("MetricDataQueries") or []) for c in fake.calls("GetMetricData"))
            out["datapoints"] = fake.datapoints_served
            fake.datapoints_served = 0
        served.update(GetMetricData=0, queries=0, ListMetrics=0)
        fake.reset_requests()  # the fake keeps every request; a long run must not grow without bound
        return out

    # The fake answers every protocol (the Go reference plugin's aws-sdk-go-v2 speaks CBOR), turns Nagle's
    # algorithm off (no 40 ms delayed-ACK stalls) and keeps quiet about clients that reset idle connections.
    fake = FakeAws()
    fake.delay_s = delay
    if window:
        fake.window_answers = True
    else:
        fake.handler("GetMetricData", get_metric_data)
    fake.handler("ListMetrics", list_metrics)
    fake.handler("BenchStats", stats)
    with fake:
        sys.stdout.write(fake.url + "\n")
        sys.stdout.flush()
        sys.stdin.read()  # until the parent closes our stdin (or dies)


def bench_stats(url: str) -> dict[str, int]:
    """GetMetricData calls and queries, and ListMetrics calls, the fake served since the last call (and reset
    them)."""
    req = urllib.request.Request(url, data=b"{}", method="POST", headers={
        "X-Amz-Target": "x.BenchStats", "Content-Type": "application/x-amz-json-1.0"})
    with urllib.request.urlopen(req, timeout=10) as resp:  # our loopback URL
        return {k: int(v) for k, v in json.loads(resp.read()).items()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=60, help="points per series in every answer")
    parser.add_argument("--window", action="store_true", help="datapoints for exactly the requested window")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before every answer")
    args = parser.parse_args()
    serve(args.points, args.window, args.delay)
