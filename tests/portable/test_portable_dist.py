"""Issue 11's acceptance: both architectures' executables start and answer in a root with no libc at all, read-only,
as uid 472, with only the environment Grafana gives, through the go-plugin handshake; and once in the layout of
Grafana's Alpine image on amd64. arm64 runs under qemu-user-static (binfmt_misc), so it gets one smoke path:
handshake, health, CheckHealth and one query."""

from __future__ import annotations

import time
from pathlib import Path

import boto3
import pyarrow as pa
import pytest
from botocore.config import Config

from cloudwatch_datasource.protocol.host import (
    PluginProcess,
    data_query,
    datasource_settings,
    go_plugin_env,
    start_plugin,
)

from .bundle import built_dist
from .rootfs import GRAFANA_UID, PluginRoot, ensure_arm64_binfmt

# Starting CPython under qemu on a busy 2-core machine takes tens of seconds; the handshake wait is generous so a
# slow machine cannot fail the test.
START_TIMEOUT = {"amd64": 120.0, "arm64": 600.0}


@pytest.fixture(scope="module")
def dist() -> Path:
    return built_dist()


@pytest.fixture
def seeded(moto) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    cw = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=moto.url, aws_access_key_id="AKIDTEST",
                      aws_secret_access_key="secret", config=Config(retries={"max_attempts": 1}))
    now = int(time.time()) // 60 * 60
    cw.put_metric_data(Namespace="Portable/App", MetricData=[
        {"MetricName": "Requests", "Dimensions": [{"Name": "Service", "Value": "api"}],
         "Timestamp": now - 600 + i * 60, "Value": float(i)} for i in range(10)])
    return moto.url, now


def start_in(root: PluginRoot, arch: str) -> PluginProcess:
    # Only what Grafana >= 12.4 gives a plugin (no PATH, HOME, TMPDIR): go_plugin_env() does not inherit ours.
    return start_plugin(command=root.command(arch), env=go_plugin_env(), timeout=START_TIMEOUT[arch])


def uid_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])


def answer_health_and_query(plugin: PluginProcess, endpoint: str, now: int) -> None:
    settings = datasource_settings({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": endpoint},
                                   {"accessKey": "AKIDTEST", "secretKey": "secret"}, uid="portable")
    assert plugin.ping() == 1  # grpc.health.v1 SERVING for service "plugin", as go-plugin checks it
    health = plugin.check_health(settings, timeout=300)
    assert health.status == 1, health.message  # OK
    model = {"region": "default", "namespace": "Portable/App", "metricName": "Requests",
             "dimensions": {"Service": ["api"]}, "statistic": "Sum", "period": "60", "matchExact": True}
    response = plugin.query([data_query("A", model, (now - 900) * 1000, now * 1000)], settings, timeout=300)
    answer = response.responses["A"]
    assert answer.error == "", answer.error
    [frame] = [pa.ipc.open_file(pa.BufferReader(raw)).read_all() for raw in answer.frames]
    assert sorted(v for v in frame.column("Value").to_pylist() if v is not None) == [float(i) for i in range(10)]


@pytest.fixture
def arm64_binfmt() -> None:
    ensure_arm64_binfmt()


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_starts_and_answers_in_a_root_without_libc(arch: str, dist: Path, seeded: tuple[str, int],
                                                   tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if arch == "arm64":
        request.getfixturevalue("arm64_binfmt")
    endpoint, now = seeded
    with PluginRoot(tmp_path, dist, "busybox") as root:
        assert not (root.path / "lib").exists() and not (root.path / "usr").exists()  # really no libc
        plugin = start_in(root, arch)
        try:
            assert uid_of(plugin.proc.pid) == GRAFANA_UID
            answer_health_and_query(plugin, endpoint, now)
        finally:
            plugin.kill()
        assert not plugin.killed, "the plugin did not exit by itself on go-plugin's Shutdown"
        assert plugin.proc.returncode == 0
        errors = [line for line in plugin.stderr_lines if '"@level":"error"' in line or "Traceback" in line]
        assert not errors, errors


def test_starts_in_the_alpine_image_layout(dist: Path, seeded: tuple[str, int], tmp_path: Path) -> None:
    """Grafana's Alpine image on amd64: a minimal glibc under /usr/glibc-compat/lib and nothing else of glibc's
    world (no libz, libstdc++, libssl): before the bundled runtime the plugin stopped at `libz.so.1`."""
    endpoint, now = seeded
    with PluginRoot(tmp_path, dist, "alpine-amd64") as root:
        plugin = start_in(root, "amd64")
        try:
            answer_health_and_query(plugin, endpoint, now)
        finally:
            plugin.kill()
        assert not plugin.killed


def test_the_root_is_really_read_only_and_libc_free(dist: Path, tmp_path: Path) -> None:
    """The fixture itself: writes fail everywhere in the root, and the busybox there runs without a loader."""
    import subprocess

    with PluginRoot(tmp_path, dist, "busybox") as root:
        done = subprocess.run(["/usr/sbin/chroot", f"--userspec={GRAFANA_UID}:0", str(root.path), "/bin/busybox",
                               "sh", "-c", "touch /tmp/x || touch /var/lib/grafana/plugins/x || echo read-only"],
                              capture_output=True, text=True, env={}, timeout=60)
        assert done.stdout.strip().endswith("read-only"), done
        assert not list(root.path.glob("lib*"))
