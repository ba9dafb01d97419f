"""What the bundled runtime holds and what it hands on: only what the plugin imports, isolated from the host's
Python settings, and child processes (botocore's credential_process helpers) on the host's own libraries."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from support.grafana_host import StartGrafana, datasource
from support.redis_server import REDIS_PASSWORD, RedisServer

from .bundle import ARCHES, HOST_ARCH, built_dist, executable, python_command

pytestmark = pytest.mark.processes  # builds or starts the dist executables (tests/support/tiers.py)


@pytest.fixture(scope="module")
def dist() -> Path:
    return built_dist()


def test_each_architecture_has_its_launcher_and_runtime(dist: Path) -> None:
    for arch in ARCHES:
        launcher = executable(arch, dist)
        assert launcher.stat().st_mode & 0o111
        header = launcher.read_bytes()[:20]
        machine = int.from_bytes(header[18:20], "little")
        assert machine == {"amd64": 62, "arm64": 183}[arch]  # EM_X86_64, EM_AARCH64
        out = subprocess.run(["readelf", "-l", str(launcher)], capture_output=True, text=True, check=True).stdout
        assert "INTERP" not in out, f"{launcher.name} must be static: it starts where there is no libc"
        assert (dist / "runtime" / f"linux_{arch}" / "bin" / "python3.11").exists()
    manifest = json.loads((dist / "runtime" / "MANIFEST.json").read_text())
    assert set(manifest) == {f"linux_{arch}" for arch in ARCHES}
    assert any(name.startswith("libc6_2.36") for name in manifest["linux_arm64"]["debian"])


def test_no_symlinks_and_nothing_writable_needed(dist: Path) -> None:
    """Grafana's installer and read-only mounts: plain files only; no byte-compiled file left to write."""
    assert not [p for p in dist.rglob("*") if p.is_symlink()]
    sources = [p for p in (dist / "runtime" / "python" / "site").rglob("*.py")]
    missing = [p for p in sources if not (p.parent / "__pycache__" / f"{p.stem}.cpython-311.pyc").exists()]
    assert sources and not missing, missing[:5]


def test_no_file_names_the_build_machines_folders(dist: Path) -> None:
    """The checkout's absolute path (bytecode source paths, pip's direct_url.json) would leak the build machine's
    folders into the zip and make zips built in two folders differ."""
    checkout = str(dist.parents[1]).encode()
    leaking = [p.relative_to(dist) for p in dist.rglob("*") if p.is_file() and checkout in p.read_bytes()]
    assert not leaking, leaking[:10]


def test_bundle_imports_only_what_the_plugin_needs(dist: Path, tmp_path: Path) -> None:
    """Memory and size guards: no numpy, no boto3 in the bundle, and a query's path (frames → Arrow) never
    imports pyarrow.compute (~9 MB RSS); the script runs on the bundled interpreter itself."""
    site = dist / "runtime" / f"linux_{HOST_ARCH}" / "site"
    shared = dist / "runtime" / "python" / "site"
    for absent in ("numpy", "boto3", "s3transfer"):
        assert not (site / absent).exists() and not (shared / absent).exists(), absent
    assert (shared / "cloudwatch_datasource" / "cloudwatch" / "data" / "namespaces.json").is_file()
    script = (
        "import sys\n"
        "from datetime import datetime, timedelta, timezone\n"
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
        "from cloudwatch_datasource.cloudwatch.namespaces import known_namespaces\n"
        "assert 'AWS/ElastiCache' in known_namespaces()  # the data file is in the bundle and read from it\n"
        "print('pyarrow.compute' in sys.modules, sys.flags.isolated)\n"
    )
    # A PYTHONPATH whose json.py would break the script proves the ._pth isolation.
    (tmp_path / "json.py").write_text("raise SystemExit('PYTHONPATH reached the bundled interpreter')\n")
    env = {"PYTHONPATH": str(tmp_path), "PYTHONHOME": "/nonexistent"}
    done = subprocess.run([*python_command(HOST_ARCH, dist), "-c", script], capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "1"]  # pyarrow.compute imported?, isolated?


def test_bundle_carries_the_redis_client(dist: Path, redis_tls_server: RedisServer) -> None:
    """The shared result cache's client (redis-py, a runtime dependency, and async-timeout, which it needs on the
    bundled CPython 3.11.2) is in the bundle: the bundled interpreter stores and reads a value through a real
    redis-server over TLS (the bundled OpenSSL verifying the test CA) with AUTH."""
    tls = redis_tls_server.tls
    assert tls is not None
    script = (
        "import sys\n"
        "from cloudwatch_datasource.cloudwatch.redis_store import RedisStore\n"
        "from cloudwatch_datasource.settings import RedisCacheSettings\n"
        "store = RedisStore(RedisCacheSettings(url=sys.argv[1], password=sys.argv[2], ca_file=sys.argv[3],\n"
        "                                      prefix='bundle:', timeout_s=5.0))\n"
        "store.put(b'k', b'bundled', 30)\n"
        "print(store.get(b'k'), store.failing)\n"
    )
    done = subprocess.run([*python_command(HOST_ARCH, dist), "-c", script, redis_tls_server.url, REDIS_PASSWORD,
                           str(tls.ca_file)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["b'bundled'", "False"], done.stdout + done.stderr


def test_credential_process_children_run_on_the_hosts_libraries(dist: Path, moto, tmp_path: Path,
                                                                grafana: StartGrafana) -> None:
    """botocore's credential_process helper is the plugin's one child process: it must link the host's own libc
    (not the bundle's, which the launcher passes to the loader as an argument, not in LD_LIBRARY_PATH)."""
    seen_env, seen_maps = tmp_path / "helper-env.txt", tmp_path / "helper-maps.txt"
    helper = tmp_path / "credentials.sh"
    helper.write_text(f'#!/bin/sh\n/usr/bin/env > "{seen_env}"\n/bin/cat /proc/self/maps > "{seen_maps}"\n'
                      'echo \'{"Version": 1, "AccessKeyId": "AKIDPROCESS", "SecretAccessKey": "secret"}\'\n')
    helper.chmod(0o755)
    config = tmp_path / "config"
    config.write_text(f"[default]\ncredential_process = {helper}\n")
    host = grafana([str(executable(HOST_ARCH, dist))], {
        "AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true"})
    health = host.check_health(datasource({"authType": "default", "defaultRegion": "us-east-1",
                                           "endpoint": moto.url}))
    assert "credentials from" in health["message"] and "process" in health["message"], health["message"]
    host.kill()
    assert "LD_LIBRARY_PATH=" not in seen_env.read_text()
    assert "PYTHON" not in seen_env.read_text()  # the plugin's own interpreter settings do not leak either
    libc = [line.split()[-1] for line in seen_maps.read_text().splitlines() if "/libc.so" in line]
    assert libc and all(not path.startswith(str(dist)) for path in libc), libc
