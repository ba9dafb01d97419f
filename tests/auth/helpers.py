"""Helpers of the auth tests: the recorded AWS calls, settings builders, credentials files, the moto auth world.
The fixtures that hand them out are in this directory's conftest.py."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from cloudwatch_datasource.policy import ClientTuning
from cloudwatch_datasource.settings import AuthType, DataSourceSettings
from cloudwatch_datasource.tools.emulator import Emulator, free_port

ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/grafana-reader"
# Shaped like real keys so the redaction rules are exercised; not real credentials.
ENV_KEY = "AKIAENVIRONMENT00001"
ENV_SECRET = "EnvSecretEnvSecretEnvSecretEnvSecret0001"
TUNING = ClientTuning(max_attempts=1, connect_timeout_s=2, read_timeout_s=10)


@dataclass
class CallLog:
    """botocore 'before-parameter-build' events: one per API call (retries not counted), with its params."""

    events: list[str] = field(default_factory=list)
    params: list[dict[str, Any]] = field(default_factory=list)

    def hook(self, event_name: str, params: dict[str, Any] | None = None, **_: Any) -> None:
        self.events.append(event_name)
        self.params.append(dict(params or {}))

    def count(self, suffix: str) -> int:
        return sum(1 for e in self.events if e.endswith(suffix))

    def params_of(self, suffix: str) -> list[dict[str, Any]]:
        return [p for e, p in zip(self.events, self.params, strict=True) if e.endswith(suffix)]


def make_settings(endpoint: str, auth_type: AuthType = AuthType.DEFAULT, **kw: Any) -> DataSourceSettings:
    values: dict[str, Any] = {"uid": "ds1", "name": "CloudWatch", "auth_type": auth_type,
                              "auth_type_raw": auth_type.value, "default_region": "us-east-1",
                              "endpoint": endpoint}
    values.update(kw)
    return DataSourceSettings(**values)


def closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


def reset_auth(server: Emulator, free_actions: int) -> None:
    # moto reads the raw body as the number of actions left unchecked before auth mode starts.
    server.post("/moto-api/reset-auth", str(free_actions).encode())


@dataclass
class AuthWorld:
    server: Emulator
    alice_key: str  # allowed: CloudWatch read + sts:AssumeRole
    alice_secret: str
    bob_key: str  # no policy at all
    bob_secret: str
    role_arn: str  # trusts the account, requires ExternalId "ext-good"


def write_credentials(path: str, text: str, mode: int = 0o600) -> None:
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
