"""Demo metrics for deploy/docker-compose.yaml: puts three hours of per-minute datapoints into CloudWatch (the moto
emulator in the compose file; any endpoint botocore's AWS_ENDPOINT_URL names), then, with --follow, one more
point a minute so the dashboard's panels stay live.

Runs in the motoserver/moto image (it has boto3); needs only boto3 and these environment variables:
AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from datetime import UTC, datetime

import boto3

NAMESPACE = "Demo/App"
SERVICES = ("api", "web")
HISTORY_MINUTES = 180


def points(minute: int) -> list[dict[str, object]]:
    """Deterministic, wavy values for one minute (a Unix timestamp divided by 60)."""
    stamp = datetime.fromtimestamp(minute * 60, tz=UTC)
    data: list[dict[str, object]] = []
    for i, service in enumerate(SERVICES):
        wave = math.sin(minute / 15 + i)
        dims = [{"Name": "Service", "Value": service}]
        data.append({"MetricName": "Requests", "Dimensions": dims, "Timestamp": stamp, "Unit": "Count",
                     "Value": round(100 + 40 * wave + 20 * i, 1)})
        data.append({"MetricName": "Latency", "Dimensions": dims, "Timestamp": stamp, "Unit": "Milliseconds",
                     "Value": round(80 + 25 * math.cos(minute / 9 + i), 1)})
    return data


def put(cloudwatch: object, data: list[dict[str, object]]) -> None:
    for start in range(0, len(data), 500):  # PutMetricData takes at most 1000 items a call
        cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=data[start:start + 500])  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--follow", action="store_true", help="keep adding one point a minute")
    args = parser.parse_args(argv)
    cloudwatch = boto3.client("cloudwatch")
    now = int(time.time()) // 60
    for attempt in range(30):  # the emulator may still be starting
        try:
            put(cloudwatch, [p for m in range(now - HISTORY_MINUTES, now + 1) for p in points(m)])
            break
        except Exception as e:  # noqa: BLE001 - retried, then reported
            if attempt == 29:
                print(f"seed: {e}", file=sys.stderr)
                return 1
            time.sleep(2)
    print(f"seed: {HISTORY_MINUTES + 1} minutes of {NAMESPACE} metrics for {', '.join(SERVICES)}", flush=True)
    last = now
    while args.follow:
        time.sleep(60 - time.time() % 60 + 1)
        now = int(time.time()) // 60
        put(cloudwatch, [p for m in range(last + 1, now + 1) for p in points(m)])
        last = now
    return 0


if __name__ == "__main__":
    sys.exit(main())
