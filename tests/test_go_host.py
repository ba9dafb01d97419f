"""The real go-plugin library (the one grafana-server embeds) drives the built dist executable.

Debian's golang-go + golang-github-hashicorp-go-plugin-dev build tests/goplugin_host; it starts the dist's
gpx_ executable with a stripped environment (`env -i`, as Grafana >= 12.4 gives plugins no host environment),
completes the handshake, calls CheckHealth and QueryData, then Kill()s it and reports whether the plugin exited
on its own (graceful) or had to be SIGKILLed.
"""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
import time
from pathlib import Path

import boto3
import pyarrow as pa
import pytest
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist" / "pyaws-cloudwatch-datasource"
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())

pytestmark = pytest.mark.processes  # tests/support/tiers.py
EXECUTABLE = DIST / f"gpx_cloudwatch_linux_{ARCH}"
GO_HOST = ROOT / "build" / "gohost" / "gohost"


@pytest.fixture(scope="session")
def go_host() -> Path:
    if shutil.which("go") is None and not Path("/usr/lib/go/bin/go").exists():
        pytest.fail("Go toolchain missing: run scripts/setup.sh (apt-get install golang-go "
                    "golang-github-hashicorp-go-plugin-dev ...) — this test must not be skipped")
    subprocess.run([str(ROOT / "tests" / "goplugin_host" / "build.sh"), str(GO_HOST)], check=True, timeout=300)
    return GO_HOST


@pytest.fixture(scope="session")
def dist_executable() -> Path:
    # Rebuild when the package changed since the last `make dist`: a stale dist would test old code.
    sources = [ROOT / "pyproject.toml", ROOT / "scripts" / "build_dist.sh", ROOT / "scripts" / "gpx_entry.py",
               *(ROOT / "src").rglob("*.py")]
    if not EXECUTABLE.exists() or max(p.stat().st_mtime for p in sources) > EXECUTABLE.stat().st_mtime:
        subprocess.run([str(ROOT / "scripts" / "build_dist.sh")], check=True, timeout=600)
    assert EXECUTABLE.stat().st_mode & 0o111, "the gpx_ executable needs the exec bit"
    return EXECUTABLE


def run_host(go_host: Path, exe: Path, request: dict[str, object], tmp_path: Path) -> dict[str, object]:
    request_file = tmp_path / "request.json"
    request_file.write_text(json.dumps(request))
    # env -i: the plugin gets only what go-plugin adds (cookie, PLUGIN_*), no PATH/HOME/VIRTUAL_ENV.
    done = subprocess.run(["env", "-i", str(go_host), "-exe", str(exe), "-request", str(request_file)],
                          capture_output=True, timeout=120)
    assert done.stdout, done.stderr.decode()
    report: dict[str, object] = json.loads(done.stdout)
    assert done.returncode == 0, report
    return report


def test_go_plugin_host_runs_dist_executable_end_to_end(go_host: Path, dist_executable: Path, moto, tmp_path: Path
                                                        ) -> None:
    cw = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=moto.url, aws_access_key_id="AKIDTEST",
                      aws_secret_access_key="secret", config=Config(retries={"max_attempts": 1}))
    now = int(time.time()) // 60 * 60
    cw.put_metric_data(Namespace="Demo/App", MetricData=[
        {"MetricName": "Requests", "Dimensions": [{"Name": "Service", "Value": "api"}],
         "Timestamp": now - 600 + i * 60, "Value": float(i)} for i in range(10)])
    model = {"refId": "A", "region": "default", "namespace": "Demo/App", "metricName": "Requests",
             "dimensions": {"Service": ["api"]}, "statistic": "Sum", "period": "60", "matchExact": True,
             "metricQueryType": 0, "metricEditorMode": 0, "queryMode": "Metrics"}
    bad = {"refId": "B", "region": "default", "namespace": "Demo/App", "metricName": "Requests",
           "statistic": "Sum", "period": "not-a-period"}
    request = {
        "settings": {"uid": "go-host", "jsonData": {"authType": "keys", "defaultRegion": "us-east-1",
                                                    "endpoint": moto.url},
                     "secureJsonData": {"accessKey": "AKIDTEST", "secretKey": "secret"}},
        "queries": [{"refId": "A", "from": (now - 900) * 1000, "to": now * 1000, "model": model},
                    {"refId": "B", "from": (now - 900) * 1000, "to": now * 1000, "model": bad}],
    }
    report = run_host(go_host, dist_executable, request, tmp_path)

    assert report["negotiatedVersion"] == 2
    assert report["pingError"] == ""
    assert report["healthStatus"] == "OK", report["healthMessage"]
    assert "Access & secret key" in str(report["healthMessage"])
    responses = report["responses"]
    assert isinstance(responses, dict)
    a = responses["A"]
    assert a["status"] == 200 and a["error"] == "" and a["format"] == 0
    import base64

    tables = [pa.ipc.open_file(pa.BufferReader(base64.b64decode(f))).read_all() for f in a["frames"]]
    assert len(tables) == 1
    assert sum(v for v in tables[0].column("Value").to_pylist() if v is not None) == sum(range(10))
    assert responses["B"]["status"] == 400 and "period" in responses["B"]["error"]

    # Kill(): Shutdown RPC, then the process must exit by itself within go-plugin's 2 s.
    assert report["exited"] is True
    assert report["forcedKill"] is False, report["hostLog"]
    assert int(report["killMs"]) < 2000
    assert "plugin failed to exit gracefully" not in str(report["hostLog"])


def test_go_plugin_host_reports_a_plugin_that_cannot_start(go_host: Path, tmp_path: Path) -> None:
    broken = tmp_path / "gpx_broken_linux_amd64"
    broken.write_text("#!/bin/sh\necho 'not a handshake'\nsleep 1\n")
    broken.chmod(0o755)
    request_file = tmp_path / "request.json"
    request_file.write_text(json.dumps({"settings": {"uid": "x", "jsonData": {}}, "queries": []}))
    done = subprocess.run(["env", "-i", str(go_host), "-exe", str(broken), "-request", str(request_file)],
                          capture_output=True, timeout=60)
    assert done.returncode != 0  # sanity: the host really checks the handshake
    assert "Unrecognized remote plugin message" in json.loads(done.stdout)["error"]


def test_dist_answers_queries_without_numpy_or_pyarrow_compute(dist_executable: Path) -> None:
    """Memory guard: numpy (~11 MB) is not in the dist, and the query path (frames → Arrow) never imports
    pyarrow.compute (~9 MB); both once were. The script runs in the build venv, whose packages the frozen
    executable carries."""
    assert not list((dist_executable.parent / "lib").glob("numpy*"))
    script = (
        "import sys, importlib.util\n"
        "from datetime import datetime, timedelta, timezone\n"
        "from cloudwatch_datasource.protocol import convert\n"
        "from cloudwatch_datasource.backend import DataQuery, TimeRange\n"
        "from cloudwatch_datasource.cloudwatch.execute import PlanOutcome, SeriesResult\n"
        "from cloudwatch_datasource.cloudwatch.frames import build_responses\n"
        "from cloudwatch_datasource.cloudwatch.plan import build_plans\n"
        "from cloudwatch_datasource.cloudwatch.query import parse_query\n"
        "from cloudwatch_datasource.protocol.arrow import encode_frame\n"
        "q = parse_query(DataQuery('A', TimeRange(0, 3_600_000), b'{\"namespace\": \"AWS/EC2\", "
        "\"metricName\": \"CPUUtilization\", \"statistic\": \"Average\", \"period\": \"60\"}'), "
        "default_region='us-east-1')\n"
        "[plan] = build_plans([q])\n"
        "t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)\n"
        "qid = plan.queries[0].metric_data_query['Id']\n"
        "s = SeriesResult(qid, 'CPU', [t0 + timedelta(minutes=m) for m in (1, 0)], [1.0, 0.0])\n"
        "[frame] = build_responses([PlanOutcome(plan=plan, results={qid: [s]})])['A'].frames\n"
        "assert encode_frame(frame)[:6] == b'ARROW1'\n"
        "print(importlib.util.find_spec('numpy') is not None, 'pyarrow.compute' in sys.modules)\n"
    )
    python = ROOT / "build" / "dist-venv" / "bin" / "python"
    done = subprocess.run([str(python), "-I", "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]  # numpy installed?, pyarrow.compute imported?


def test_dist_children_get_the_hosts_libraries_not_the_bundles(dist_executable: Path, moto, tmp_path: Path) -> None:
    """botocore's credential_process helper is the plugin's one child process: it must not inherit the
    LD_LIBRARY_PATH PyInstaller's bootloader sets to the bundle's lib/ (the build machine's libssl, libz)."""
    from cloudwatch_datasource.protocol.host import datasource_settings, go_plugin_env, start_plugin

    seen = tmp_path / "helper-env.txt"
    helper = tmp_path / "credentials.sh"
    helper.write_text(f'#!/bin/sh\n/usr/bin/env > "{seen}"\n'
                      'echo \'{"Version": 1, "AccessKeyId": "AKIDPROCESS", "SecretAccessKey": "secret"}\'\n')
    helper.chmod(0o755)
    config = tmp_path / "config"
    config.write_text(f"[default]\ncredential_process = {helper}\n")
    plugin = start_plugin(command=[str(dist_executable)], env=go_plugin_env({
        "AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true"}))
    try:
        health = plugin.check_health(datasource_settings({"authType": "default", "defaultRegion": "us-east-1",
                                                          "endpoint": moto.url}))
        assert "credentials from" in health.message and "process" in health.message, health.message
    finally:
        plugin.kill()
    child_env = seen.read_text()
    assert str(dist_executable.parent / "lib") not in child_env
    assert "LD_LIBRARY_PATH=" not in child_env  # the host set none, so the helper gets none
