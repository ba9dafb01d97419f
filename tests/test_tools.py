"""The command-line tools people run: `query`, `doctor`, and the plugin's own metrics they rely on."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

SECRET = "ToolSecretToolSecretToolSecretToolSe0001"

pytestmark = pytest.mark.processes  # every test runs the CLI as a process


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cloudwatch_datasource", *args], capture_output=True, text=True,
                          timeout=120, env=env)


def write_settings(tmp_path: Path, json_data: dict[str, Any], secure: dict[str, str] | None = None) -> str:
    path = tmp_path / "ds.json"
    path.write_text(json.dumps({"uid": "cli", "jsonData": json_data, "secureJsonData": secure or {}}))
    return str(path)


def test_query_prints_frames_as_a_table(moto: Any, isolated_aws_env: dict[str, str], tmp_path: Path) -> None:
    cw = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=moto.url, aws_access_key_id="a",
                      aws_secret_access_key="b", config=Config(retries={"total_max_attempts": 1}))
    now = int(time.time()) // 60 * 60
    cw.put_metric_data(Namespace="Tool/App", MetricData=[
        {"MetricName": "Hits", "Dimensions": [{"Name": "Env", "Value": "prod"}], "Timestamp": now - 300 + i * 60,
         "Value": 7.0} for i in range(3)])
    settings = write_settings(tmp_path, {"authType": "keys", "defaultRegion": "us-east-1", "endpoint": moto.url},
                              {"accessKey": "AKIDTOOL", "secretKey": "$TOOL_SECRET"})
    query = tmp_path / "q.json"
    query.write_text(json.dumps([
        {"refId": "A", "region": "default", "namespace": "Tool/App", "metricName": "Hits",
         "dimensions": {"Env": ["prod"]}, "statistic": "Sum", "period": "60"},
        {"refId": "B", "region": "default", "namespace": "Tool/App", "metricName": "Hits", "statistic": "Sum",
         "period": -5},
    ]))
    done = run_cli("query", "--settings", settings, "--query", str(query), "--from", "15m",
                   env={**isolated_aws_env, "TOOL_SECRET": SECRET, "PATH": "/usr/bin:/bin"})
    assert done.returncode == 1, done.stderr  # B failed
    assert "=== A: status 200" in done.stdout and "7.0000" in done.stdout and '"Env": "prod"' in done.stdout
    assert "=== B: status 400" in done.stdout and "period" in done.stdout
    assert SECRET not in done.stdout + done.stderr


def test_doctor_explains_a_missing_credentials_profile(isolated_aws_env: dict[str, str], tmp_path: Path) -> None:
    creds = Path(isolated_aws_env["AWS_SHARED_CREDENTIALS_FILE"])
    creds.write_text(f"[staging]\naws_access_key_id = AKIASTAGING000000001\naws_secret_access_key = {SECRET}\n")
    creds.chmod(0o666)
    settings = write_settings(tmp_path, {"authType": "credentials", "profile": "prod", "defaultRegion": "eu-west-1"})
    done = run_cli("doctor", "--settings", settings, env={**isolated_aws_env, "HOME": str(tmp_path)})
    assert done.returncode == 1
    out = done.stdout
    assert "auth type: credentials" in out and "running as OS user" in out and f"HOME={tmp_path}" in out
    assert "group/world-writable" in out
    assert str(creds) in out and 'profile "prod"' in out and "profiles found: staging" in out
    assert SECRET not in out + done.stderr


def test_doctor_succeeds_and_names_the_identity(moto: Any, isolated_aws_env: dict[str, str], tmp_path: Path) -> None:
    settings = write_settings(tmp_path, {"authType": "keys", "defaultRegion": "us-east-1", "endpoint": moto.url},
                              {"accessKey": "AKIADOCTOR0000000001", "secretKey": SECRET})
    done = run_cli("doctor", "--settings", settings, env=isolated_aws_env)
    assert done.returncode == 0, done.stdout
    assert "credentials from access and secret key (AKIA…0001)" in done.stdout
    assert "identity: arn:aws:sts::123456789012:user/moto" in done.stdout
    assert "Successfully queried the CloudWatch metrics API" in done.stdout
    assert SECRET not in done.stdout and "AKIADOCTOR0000000001" not in done.stdout


def test_doctor_flags_an_unreadable_web_identity_token(isolated_aws_env: dict[str, str], tmp_path: Path) -> None:
    settings = write_settings(tmp_path, {"authType": "default", "defaultRegion": "us-east-1"})
    done = run_cli("doctor", "--settings", settings, "--offline",
                   env={**isolated_aws_env, "AWS_WEB_IDENTITY_TOKEN_FILE": str(tmp_path / "missing-token"),
                        "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/irsa"})
    assert done.returncode == 1
    assert "web identity token (IRSA)" in done.stdout and "fsGroup: 472" in done.stdout


def test_doctor_says_which_proxy_and_never_its_password(isolated_aws_env: dict[str, str], tmp_path: Path) -> None:
    settings = write_settings(tmp_path, {"authType": "default", "defaultRegion": "us-east-1", "proxyType": "url",
                                         "proxyUrl": "http://proxy.example.com:3128", "proxyUsername": "grafana"},
                              {"proxyPassword": SECRET})
    env = {**isolated_aws_env, "HTTPS_PROXY": f"http://ops:{SECRET}@envproxy.example.com:8080"}
    off = run_cli("doctor", "--settings", settings, "--offline", env=env)
    assert "HTTP proxy: from the environment (HTTPS_PROXY=http://ops:***@envproxy.example.com:8080)" in off.stdout
    assert "jsonData.proxyType is 'url' but per-datasource proxies are off" in off.stdout
    on = run_cli("doctor", "--settings", settings, "--offline",
                 env={**env, "GF_PLUGIN_PER_DATASOURCE_HTTP_PROXY_ENABLED": "true"})
    assert "HTTP proxy: http://grafana:***@proxy.example.com:3128" in on.stdout
    assert SECRET not in off.stdout + off.stderr + on.stdout + on.stderr


def test_doctor_ends_with_the_aws_layers_view_of_failed_operations(fake: Any, isolated_aws_env: dict[str, str],
                                                                   tmp_path: Path) -> None:
    """The operations that failed during the check, by API name and AWS code (aws/calls.py, recent_failures)."""
    fake.fail("ListMetrics", status=403, code="AccessDenied", message="not authorized", times=None)
    settings = write_settings(tmp_path, {"authType": "keys", "defaultRegion": "us-east-1", "endpoint": fake.url},
                              {"accessKey": "AKIADOCTOR0000000002", "secretKey": SECRET})
    done = run_cli("doctor", "--settings", settings, env={**isolated_aws_env, "GF_PLUGIN_AWS_MAX_ATTEMPTS": "1"})
    assert done.returncode == 1, done.stdout
    assert "access denied for cloudwatch:ListMetrics" in done.stdout
    assert done.stdout.rstrip().splitlines()[-1].endswith(
        "AWS operations that failed: ListMetrics in us-east-1 (AccessDenied)"), done.stdout
    assert SECRET not in done.stdout + done.stderr
