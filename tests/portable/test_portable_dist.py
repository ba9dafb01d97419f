"""Issue 11's acceptance: both architectures' executables start and answer in a root with no libc at all, read-only,
as uid 472, with only the environment Grafana gives, through Grafana's own plugin client (the Go host:
go-plugin 1.8 + grafana-plugin-sdk-go, tests/support/grafana_host.py); and once in the layout of Grafana's Alpine
image on amd64. arm64 runs under qemu-user-static (binfmt_misc), so it gets one smoke path: handshake, gRPC health,
CheckHealth and one query."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support.grafana_host import GrafanaHost, data_query, datasource, field_values

from .bundle import built_dist
from .rootfs import GRAFANA_GID, GRAFANA_UID, PluginRoot, ensure_arm64_binfmt

pytestmark = pytest.mark.processes  # builds or starts the dist executables (tests/support/tiers.py)

# Starting CPython under qemu on a busy 2-core machine takes tens of seconds; the handshake wait is generous so a
# slow machine cannot fail the test.
START_TIMEOUT = {"amd64": 120.0, "arm64": 600.0}


@pytest.fixture(scope="module")
def dist() -> Path:
    return built_dist()


@pytest.fixture
def seeded(moto) -> tuple[str, int]:
    cw = moto.client("cloudwatch")
    now = int(time.time()) // 60 * 60
    cw.put_metric_data(Namespace="Portable/App", MetricData=[
        {"MetricName": "Requests", "Dimensions": [{"Name": "Service", "Value": "api"}],
         "Timestamp": now - 600 + i * 60, "Value": float(i)} for i in range(10)])
    return moto.url, now


def start_in(grafana: Callable[..., GrafanaHost], root: PluginRoot, arch: str) -> GrafanaHost:
    # Only what Grafana >= 12.4 gives a plugin (SkipHostEnv: no PATH, HOME, TMPDIR), as the Go host sets it.
    return grafana(root.command(arch), start_timeout=START_TIMEOUT[arch])


def ids_of(pid: int) -> tuple[int, int]:
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    uid = int(next(line for line in status if line.startswith("Uid:")).split()[1])
    gid = int(next(line for line in status if line.startswith("Gid:")).split()[1])
    return uid, gid


def processes_of(uid: int) -> list[int]:
    """Live processes running as `uid` (none but the plugin ever runs as Grafana's uid on this machine)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and ids_of(int(entry.name))[0] == uid:
                found.append(int(entry.name))
        except (OSError, StopIteration):
            continue  # exited while we looked
    return found


def answer_health_and_query(host: GrafanaHost, endpoint: str, now: int) -> None:
    settings = datasource({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": endpoint},
                          {"accessKey": "AKIDTEST", "secretKey": "secret"}, uid="portable")
    assert host.started["negotiatedVersion"] == 2
    assert host.ping()  # grpc.health.v1 SERVING for service "plugin", as go-plugin checks it
    health = host.check_health(settings, timeout=300)
    assert health["status"] == "OK", health["message"]
    model = {"region": "default", "namespace": "Portable/App", "metricName": "Requests",
             "dimensions": {"Service": ["api"]}, "statistic": "Sum", "period": "60", "matchExact": True}
    answer = host.query([data_query("A", model, (now - 900) * 1000, now * 1000)], settings, timeout=300)
    result = answer.results["A"]
    assert result["status"] == 200 and "error" not in result, result
    [frame] = result["frames"]  # decoded by the SDK, as grafana-server decodes it
    assert sorted(v for v in field_values(frame, "Value") if v is not None) == [float(i) for i in range(10)]
    assert answer.readers["A"]["kind"] and not answer.readers["A"].get("kindError"), answer.readers["A"]


def stop(host: GrafanaHost) -> None:
    """Grafana's stop: Shutdown, then the plugin must exit by itself (no SIGKILL) and leave no process behind."""
    stopped = host.kill()
    assert stopped["graceful"] is True and stopped["forcedKill"] is False, stopped.get("hostLog")
    assert stopped["exitCode"] == 0
    assert processes_of(GRAFANA_UID) == []
    errors = [line for line in host.stderr_lines if '"@level":"error"' in line or "Traceback" in line]
    assert not errors, errors


@pytest.fixture
def arm64_binfmt() -> None:
    ensure_arm64_binfmt()


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_starts_and_answers_in_a_root_without_libc(arch: str, dist: Path, seeded: tuple[str, int], grafana,
                                                   tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if arch == "arm64":
        request.getfixturevalue("arm64_binfmt")
    endpoint, now = seeded
    with PluginRoot(tmp_path, dist, "busybox") as root:
        assert not (root.path / "lib").exists() and not (root.path / "usr").exists()  # really no libc
        host = start_in(grafana, root, arch)
        # The launcher, chroot and the loader all exec: the process go-plugin started is the plugin, as uid/gid 472.
        assert ids_of(host.pid) == (GRAFANA_UID, GRAFANA_GID)
        assert processes_of(GRAFANA_UID) == [host.pid]
        answer_health_and_query(host, endpoint, now)
        stop(host)


def test_starts_in_the_alpine_image_layout(dist: Path, seeded: tuple[str, int], grafana, tmp_path: Path
                                           ) -> None:
    """Grafana's Alpine image on amd64: a minimal glibc under /usr/glibc-compat/lib and nothing else of glibc's
    world (no libz, libstdc++, libssl): before the bundled runtime the plugin stopped at `libz.so.1`."""
    endpoint, now = seeded
    with PluginRoot(tmp_path, dist, "alpine-amd64") as root:
        host = start_in(grafana, root, "amd64")
        answer_health_and_query(host, endpoint, now)
        stop(host)


def test_the_root_is_really_read_only_and_libc_free(dist: Path, tmp_path: Path) -> None:
    """The fixture itself: writes fail everywhere in the root, and the busybox there runs without a loader."""
    import subprocess

    with PluginRoot(tmp_path, dist, "busybox") as root:
        done = subprocess.run(["/usr/sbin/chroot", f"--userspec={GRAFANA_UID}:{GRAFANA_GID}", str(root.path),
                               "/bin/busybox",
                               "sh", "-c", "touch /tmp/x || touch /var/lib/grafana/plugins/x || echo read-only"],
                              capture_output=True, text=True, env={}, timeout=60)
        assert done.stdout.strip().endswith("read-only"), done
        assert not list(root.path.glob("lib*"))
