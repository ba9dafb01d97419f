"""Shared fixtures: a real moto server process on 127.0.0.1, isolated AWS environment, the plugin process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudwatch_datasource.protocol import host

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

# --- Every plugin process any test starts, for the suite-wide secrets scan (tests/test_zz_secrets.py) ----------
# Patched here, before any test module imports start_plugin, so each test's own binding is this wrapper.
STARTED_PLUGINS: list[host.PluginProcess] = []
_start_plugin = host.start_plugin


def _recording_start_plugin(*args: object, **kwargs: object) -> host.PluginProcess:
    process = _start_plugin(*args, **kwargs)  # type: ignore[arg-type]
    STARTED_PLUGINS.append(process)
    return process


host.start_plugin = _recording_start_plugin  # type: ignore[assignment]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    # The whole-suite secrets scan reads what every other test left behind, so it runs last of all.
    last = [i for i in items if "test_zz_secrets.py" in i.nodeid]
    items[:] = [i for i in items if i not in last] + last


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MotoServer:
    """moto in server mode as a child process: the AWS emulator every AWS-facing test talks to over HTTP."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        moto = Path(sys.executable).with_name("moto_server")
        self.proc = subprocess.Popen(
            [str(moto), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})},
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/moto-api/", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)

    def post(self, path: str, data: bytes = b"") -> None:
        # text/plain: with urllib's default form content type moto reads an empty body (reset-auth then fails).
        req = urllib.request.Request(self.url + path, data=data, method="POST",
                                     headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(req, timeout=10):
            pass

    def reset(self) -> None:
        self.post("/moto-api/reset")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture
def moto(moto_server: MotoServer) -> MotoServer:
    """The shared moto server, emptied before the test."""
    moto_server.reset()
    return moto_server


@pytest.fixture
def isolated_aws_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An AWS environment that can't see this machine's own config, credentials or instance metadata."""
    env = {
        "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
