"""`make run`: the whole path without an AWS account.

Starts the local AWS emulator, seeds three hours of synthetic metrics, launches the plugin through the real
go-plugin handshake (as grafana-server would), runs CheckHealth and a few dashboard queries copied from Grafana's
CloudWatch query editor, and prints each returned series with a sparkline.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from ..protocol.host import data_query, datasource_settings, go_plugin_env, start_plugin
from .emulator import Emulator, seed_demo_metrics
from .render import describe_series

QUERIES: dict[str, dict[str, Any]] = {
    "A": {"queryMode": "Metrics", "region": "default", "namespace": "AWS/EC2", "metricName": "CPUUtilization",
          "dimensions": {"InstanceId": ["i-0a1b2c3d4e5f00001"]}, "statistic": "Average", "period": "300",
          "matchExact": True, "metricQueryType": 0, "metricEditorMode": 0, "label": "web-1 CPU"},
    "B": {"queryMode": "Metrics", "region": "default", "namespace": "AWS/EC2", "metricName": "CPUUtilization",
          "dimensions": {"InstanceId": ["i-0a1b2c3d4e5f00002"]}, "statistic": "Maximum", "period": "",
          "matchExact": True, "metricQueryType": 0, "metricEditorMode": 0},
    "C": {"queryMode": "Metrics", "region": "default", "namespace": "Demo/Shop", "metricName": "Orders",
          "dimensions": {"Shop": ["us"]}, "statistic": "Sum", "period": "600", "matchExact": True,
          "metricQueryType": 0, "metricEditorMode": 0},
    "D": {"queryMode": "Metrics", "region": "default", "namespace": "Demo/Shop", "metricName": "Orders",
          "dimensions": {"Shop": ["eu"]}, "statistic": "Average", "period": "five minutes"},  # a mistake on purpose
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cloudwatch-datasource demo", description=__doc__)
    parser.add_argument("--hours", type=int, default=3, help="hours of synthetic data to seed (default 3)")
    args = parser.parse_args(argv)

    out = sys.stdout
    with Emulator() as emulator:
        out.write(f"AWS emulator (moto) listening on {emulator.url}\n")
        seeded = seed_demo_metrics(emulator, hours=args.hours)
        out.write(f"seeded {seeded} datapoints: AWS/EC2 CPUUtilization ×3 instances, Demo/Shop Orders ×2 shops\n\n")

        settings = datasource_settings(
            {"authType": "keys", "defaultRegion": "us-east-1", "endpoint": emulator.url,
             "customMetricsNamespaces": "Demo/Shop"},
            {"accessKey": "AKIDDEMO", "secretKey": "demo-secret"}, uid="demo", name="CloudWatch demo")
        started = time.perf_counter()
        plugin = start_plugin(env=go_plugin_env())
        out.write(f"plugin started through the go-plugin handshake in {1000 * (time.perf_counter() - started):.0f} ms"
                  f": {plugin.handshake.strip()}\n\n")
        try:
            health = plugin.check_health(settings)
            status = {0: "UNKNOWN", 1: "OK", 2: "ERROR"}[health.status]
            out.write(f"CheckHealth: {status}\n")
            for line in health.message.splitlines():
                out.write(f"  {line}\n")
            out.write("\n")

            now_ms = int(time.time() * 1000)
            from_ms = now_ms - args.hours * 3600_000
            queries = [data_query(ref, model, from_ms, now_ms) for ref, model in QUERIES.items()]
            started = time.perf_counter()
            response = plugin.query(queries, settings)
            elapsed = 1000 * (time.perf_counter() - started)
            out.write(f"QueryData: {len(queries)} queries answered in {elapsed:.0f} ms\n")
            for ref in QUERIES:
                answer = response.responses[ref]
                if answer.error:
                    out.write(f"\n[{ref}] error (status {answer.status}, source {answer.errorSource}): "
                              f"{answer.error}\n")
                    continue
                out.write(f"\n[{ref}] {len(answer.frames)} series\n")
                for frame in answer.frames:
                    out.write(describe_series(frame) + "\n")
            resources = plugin.call_resource("dimension-values", settings,
                                             query="region=default&namespace=AWS/EC2&metricName=CPUUtilization"
                                                   "&dimensionKey=InstanceId")
            out.write(f"\nCallResource dimension-values → {resources[0].code} {resources[0].body.decode()}\n")
        finally:
            seconds = plugin.kill()
        out.write(f"\nplugin stopped {'gracefully' if not plugin.killed else 'by SIGKILL'} in {seconds:.2f} s\n")
    return 0
