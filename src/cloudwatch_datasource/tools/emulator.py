"""A local AWS emulator for the demo, the benchmarks and the tests: moto in server mode, as a child process on
127.0.0.1.

moto is a dev dependency (`pip install -e .[dev]`, done by `make run`); the plugin itself never needs it.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Emulator:
    def __init__(self, port: int = 0, env: Mapping[str, str] | None = None,
                 tls: tuple[str, str] | None = None) -> None:
        """`env` is added to moto's environment (e.g. INITIAL_NO_AUTH_ACTION_COUNT for its auth mode); `tls`
        (certificate file, key file) serves HTTPS instead, as AWS does."""
        self.port = port or free_port()
        port = self.port
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        moto = Path(sys.executable).with_name("moto_server")
        command = str(moto) if moto.exists() else shutil.which("moto_server")
        if command is None:
            raise RuntimeError("moto_server not found: install the dev extras (`pip install -e .[dev]`)")
        self.ca_file = tls[0] if tls else ""  # the self-signed certificate clients must trust (AWS_CA_BUNDLE)
        tls_args = ["-c", tls[0], "-k", tls[1]] if tls else []
        context = self._context = ssl.create_default_context(cafile=tls[0]) if tls else None
        self.proc = subprocess.Popen([command, "-H", "127.0.0.1", "-p", str(port), *tls_args],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env={**os.environ, **(env or {})})
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/moto-api/", timeout=1,  # noqa: S310 - our loopback URL
                                            context=context):
                    return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("the AWS emulator (moto_server) did not start") from None
                time.sleep(0.1)

    def client(self, service: str, region: str = "us-east-1") -> Any:
        import boto3
        from botocore.config import Config

        # The emulator accepts any keys; these are placeholders, not secrets.
        return boto3.client(service, region_name=region, endpoint_url=self.url, aws_access_key_id="AKIDDEMO",
                            aws_secret_access_key="demo-secret",  # noqa: S106
                            config=Config(retries={"max_attempts": 1}))

    def post(self, path: str, data: bytes = b"") -> None:
        """POST to moto's own API (/moto-api/...). text/plain: with urllib's default form content type moto
        reads an empty body (reset-auth then fails)."""
        req = urllib.request.Request(self.url + path, data=data, method="POST",  # noqa: S310 - our loopback URL
                                     headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(req, timeout=10, context=self._context):  # noqa: S310
            pass

    def reset(self) -> None:
        """Forget every resource and metric (between tests)."""
        self.post("/moto-api/reset")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def seed_demo_metrics(emulator: Emulator, *, hours: int = 3, now: int | None = None,
                      region: str = "us-east-1") -> int:
    """A few hours of per-minute synthetic data: EC2 CPU for three instances and a custom shop namespace."""
    end = (now or int(time.time())) // 60 * 60
    rng = random.Random(42)  # noqa: S311 - synthetic demo data, reproducible on purpose
    cw = emulator.client("cloudwatch", region)
    count = 0
    minutes = range(hours * 60)
    for idx, instance in enumerate(("i-0a1b2c3d4e5f00001", "i-0a1b2c3d4e5f00002", "i-0a1b2c3d4e5f00003")):
        datums = [{
            "MetricName": "CPUUtilization",
            "Dimensions": [{"Name": "InstanceId", "Value": instance}],
            "Timestamp": end - (len(minutes) - m) * 60,
            "Value": round(35 + 20 * idx + 15 * math.sin(m / 17 + idx) + rng.uniform(-4, 4), 2),
            "Unit": "Percent",
        } for m in minutes]
        for chunk in range(0, len(datums), 500):
            cw.put_metric_data(Namespace="AWS/EC2", MetricData=datums[chunk:chunk + 500])
        count += len(datums)
    for shop in ("eu", "us"):
        datums = [{
            "MetricName": "Orders",
            "Dimensions": [{"Name": "Shop", "Value": shop}],
            "Timestamp": end - (len(minutes) - m) * 60,
            "Value": float(max(0, int(40 + 25 * math.sin(m / 30) + rng.gauss(0, 5)) + (10 if shop == "us" else 0))),
            "Unit": "Count",
        } for m in minutes]
        for chunk in range(0, len(datums), 500):
            cw.put_metric_data(Namespace="Demo/Shop", MetricData=datums[chunk:chunk + 500])
        count += len(datums)
    return count
