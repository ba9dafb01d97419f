"""Every auth method end to end: the plugin process started and called by grafana-server's own client (the Go
host, tests/grafana_host.py: go-plugin v1.8 with the SDK's handshake, Grafana 12.4's plugin environment with no
host environment), CheckHealth converted by grafana-plugin-sdk-go, credentials from botocore's real providers,
moto on 127.0.0.1.

What the user reads in "Save & test" is asserted: the auth method, the provider that actually supplied the
credentials, the caller identity, and for failures the actionable cause. No secret may appear in any health
message or log line of the plugin process.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import MotoServer, StartGrafana
from grafana_host import GrafanaHost, datasource

from .conftest import ENV_KEY, ENV_SECRET, AuthWorld, write_credentials

OK, ERROR = "OK", "ERROR"  # backend.HealthStatus as the SDK names it
FILE_KEY = "AKIAFILEPROFILE00001"
FILE_SECRET = "FileSecretFileSecretFileSecretFileSe0001"
STATIC_KEY = "AKIASTATICKEYS000001"
STATIC_SECRET = "StaticSecretStaticSecretStaticSecret0001"
SECRETS = (ENV_SECRET, FILE_SECRET, STATIC_SECRET)


@pytest.fixture
def aws_files(tmp_path: Path) -> dict[str, str]:
    return {"AWS_CONFIG_FILE": str(tmp_path / "config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials")}


class Plugin:
    """One plugin process per test with an explicit environment (on top of Grafana's plugin environment);
    stopped the Grafana way (and its logs checked) at the end."""

    def __init__(self, grafana: StartGrafana) -> None:
        self.grafana = grafana
        self.processes: list[GrafanaHost] = []

    def start(self, env: Mapping[str, str]) -> GrafanaHost:
        process = self.grafana(env={**env, "GF_PLUGIN_AWS_MAX_ATTEMPTS": "1"})
        self.processes.append(process)
        return process

    def stop(self, secrets: tuple[str, ...]) -> None:
        for process in self.processes:
            stopped = process.kill()
            assert stopped["graceful"], stopped["hostLog"]
            for line in process.stderr_lines:
                for secret in secrets:
                    assert secret not in line, "a secret reached the plugin's log"


@pytest.fixture
def plugin(grafana: StartGrafana, request: pytest.FixtureRequest) -> Iterator[Plugin]:
    p = Plugin(grafana)
    yield p
    p.stop(SECRETS + tuple(getattr(request.node, "extra_secrets", ())))


@dataclass
class Health:
    """CheckHealth as the SDK converts it (backend.CheckHealthResult): what "Save & test" shows."""

    status: str
    message: str
    details: Any


def health(process: GrafanaHost, json_data: dict[str, Any], secure: dict[str, str] | None = None,
           grafana_config: Mapping[str, str] | None = None) -> Health:
    answer = process.check_health(datasource({"defaultRegion": "us-east-1", **json_data}, secure),
                                  grafana_config=grafana_config)
    resp = Health(answer["status"], answer["message"], answer["jsonDetails"])
    for secret in SECRETS:
        assert secret not in resp.message and secret not in json.dumps(resp.details)
    return resp


def test_keys(plugin: Plugin, moto: MotoServer, aws_files: dict[str, str]) -> None:
    p = plugin.start({**aws_files, "AWS_EC2_METADATA_DISABLED": "true"})
    resp = health(p, {"authType": "keys", "endpoint": moto.url},
                  {"accessKey": STATIC_KEY, "secretKey": STATIC_SECRET})
    assert resp.status == OK, resp.message
    assert "Access & secret key" in resp.message and "access and secret key (AKIA…0001)" in resp.message
    assert "arn:aws:sts::123456789012:user/moto" in resp.message
    assert STATIC_KEY not in resp.message


def test_keys_missing_secret_does_not_fall_back_to_environment(plugin: Plugin, moto: MotoServer,
                                                                aws_files: dict[str, str]) -> None:
    p = plugin.start({**aws_files, "AWS_ACCESS_KEY_ID": ENV_KEY, "AWS_SECRET_ACCESS_KEY": ENV_SECRET})
    resp = health(p, {"authType": "keys", "endpoint": moto.url}, {"accessKey": STATIC_KEY})
    assert resp.status == ERROR and "Secret Access Key" in resp.message
    assert "environment" not in resp.message.split("\n")[0].lower() or "no other" in resp.message


def test_credentials_file_named_profile(plugin: Plugin, moto: MotoServer, aws_files: dict[str, str]) -> None:
    write_credentials(aws_files["AWS_SHARED_CREDENTIALS_FILE"],
                      f"[prod]\naws_access_key_id = {FILE_KEY}\naws_secret_access_key = {FILE_SECRET}\n", 0o600)
    p = plugin.start({**aws_files, "AWS_EC2_METADATA_DISABLED": "true"})
    resp = health(p, {"authType": "credentials", "profile": "prod", "endpoint": moto.url})
    assert resp.status == OK, resp.message
    assert f"shared credentials file {aws_files['AWS_SHARED_CREDENTIALS_FILE']}, profile prod" in resp.message


def test_credentials_missing_profile_does_not_fall_back(plugin: Plugin, moto: MotoServer,
                                                        aws_files: dict[str, str]) -> None:
    # Env keys and IMDS are both available, and must not be used.
    write_credentials(aws_files["AWS_SHARED_CREDENTIALS_FILE"],
                      f"[other]\naws_access_key_id = {FILE_KEY}\naws_secret_access_key = {FILE_SECRET}\n")
    p = plugin.start({**aws_files, "AWS_ACCESS_KEY_ID": ENV_KEY, "AWS_SECRET_ACCESS_KEY": ENV_SECRET,
                      "AWS_EC2_METADATA_SERVICE_ENDPOINT": moto.url})
    resp = health(p, {"authType": "credentials", "profile": "prod", "endpoint": moto.url})
    assert resp.status == ERROR
    assert aws_files["AWS_SHARED_CREDENTIALS_FILE"] in resp.message and '"prod"' in resp.message
    assert "profiles found: other" in resp.message and "/usr/share/grafana/.aws/credentials" in resp.message
    assert "uid" in resp.message and "HOME=" in resp.message


def test_default_chain_uses_environment_keys(plugin: Plugin, moto: MotoServer, aws_files: dict[str, str]) -> None:
    p = plugin.start({**aws_files, "AWS_ACCESS_KEY_ID": ENV_KEY, "AWS_SECRET_ACCESS_KEY": ENV_SECRET,
                      "AWS_EC2_METADATA_DISABLED": "true"})
    resp = health(p, {"authType": "default", "endpoint": moto.url})
    assert resp.status == OK, resp.message
    assert "AWS SDK Default" in resp.message and "environment variables" in resp.message


def test_default_chain_web_identity(plugin: Plugin, moto: MotoServer, aws_files: dict[str, str],
                                    tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("eyJhbGciOiJSUzI1NiJ9.fake.token")
    p = plugin.start({**aws_files, "AWS_WEB_IDENTITY_TOKEN_FILE": str(token),
                      "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/irsa", "AWS_ENDPOINT_URL_STS": moto.url,
                      "AWS_EC2_METADATA_DISABLED": "true"})
    resp = health(p, {"authType": "default", "endpoint": moto.url})
    assert resp.status == OK, resp.message
    assert "web identity token (IRSA)" in resp.message


def test_default_chain_container_credentials(plugin: Plugin, moto: MotoServer, aws_files: dict[str, str]) -> None:
    p = plugin.start({**aws_files, "AWS_EC2_METADATA_DISABLED": "true",
                      "AWS_CONTAINER_CREDENTIALS_FULL_URI":
                          f"{moto.url}/latest/meta-data/iam/security-credentials/default-role"})
    resp = health(p, {"authType": "default", "endpoint": moto.url})
    assert resp.status == OK, resp.message
    assert "container credentials (ECS/EKS)" in resp.message


def test_workspace_iam_role_uses_instance_metadata(plugin: Plugin, moto: MotoServer,
                                                   aws_files: dict[str, str]) -> None:
    p = plugin.start({**aws_files, "AWS_EC2_METADATA_SERVICE_ENDPOINT": moto.url})
    resp = health(p, {"authType": "ec2_iam_role", "endpoint": moto.url},
                  grafana_config={"AWS_AUTH_AllowedAuthProviders": "ec2_iam_role"})
    assert resp.status == OK, resp.message
    assert "Workspace IAM role" in resp.message and "EC2 instance metadata (IMDS) role" in resp.message


def test_workspace_iam_role_does_not_fall_back(plugin: Plugin, moto: MotoServer, aws_files: dict[str, str]) -> None:
    write_credentials(aws_files["AWS_SHARED_CREDENTIALS_FILE"],
                      f"[default]\naws_access_key_id = {FILE_KEY}\naws_secret_access_key = {FILE_SECRET}\n")
    p = plugin.start({**aws_files, "AWS_ACCESS_KEY_ID": ENV_KEY, "AWS_SECRET_ACCESS_KEY": ENV_SECRET,
                      "AWS_EC2_METADATA_DISABLED": "true"})
    resp = health(p, {"authType": "ec2_iam_role", "endpoint": moto.url},
                  grafana_config={"AWS_AUTH_AllowedAuthProviders": "ec2_iam_role"})
    assert resp.status == ERROR
    assert "Workspace IAM role" in resp.message and "AWS_EC2_METADATA_DISABLED" in resp.message


def test_operator_allow_list_is_enforced_from_request_config(plugin: Plugin, moto: MotoServer,
                                                             aws_files: dict[str, str]) -> None:
    p = plugin.start({**aws_files, "AWS_ACCESS_KEY_ID": ENV_KEY, "AWS_SECRET_ACCESS_KEY": ENV_SECRET})
    resp = health(p, {"authType": "default", "endpoint": moto.url},
                  grafana_config={"AWS_AUTH_AllowedAuthProviders": "keys"})
    assert resp.status == ERROR and "allowed_auth_providers" in resp.message
    # A legacy/unknown authType is default in disguise: refused the same way.
    resp = health(p, {"authType": "arn", "endpoint": moto.url},
                  grafana_config={"AWS_AUTH_AllowedAuthProviders": "keys"})
    assert resp.status == ERROR and "non-allowed auth method default" in resp.message


def test_operator_allow_list_from_process_environment(plugin: Plugin, moto: MotoServer,
                                                      aws_files: dict[str, str]) -> None:
    p = plugin.start({**aws_files, "AWS_AUTH_AllowedAuthProviders": "default"})
    resp = health(p, {"authType": "keys", "endpoint": moto.url}, {"accessKey": STATIC_KEY, "secretKey": STATIC_SECRET})
    assert resp.status == ERROR and "non-allowed auth method keys" in resp.message


def test_assume_role_switch_refuses_any_spelling(plugin: Plugin, moto: MotoServer, aws_files: dict[str, str]) -> None:
    p = plugin.start({**aws_files, "AWS_AUTH_AssumeRoleEnabled": "false"})
    for key in ("assumeRoleArn", "assumeRoleARN", "AssumeRoleArn"):
        resp = health(p, {"authType": "keys", "endpoint": moto.url, key: "arn:aws:iam::123456789012:role/x"},
                      {"accessKey": STATIC_KEY, "secretKey": STATIC_SECRET})
        assert resp.status == ERROR and "assume_role_enabled" in resp.message, key


def _aws_calls(process: GrafanaHost, operation: str) -> float:
    text = process.collect_metrics()
    pattern = re.compile(r'^cloudwatch_plugin_aws_calls_total\{([^}]*)\} ([0-9.e+]+)$', re.M)
    return sum(float(v) for labels, v in pattern.findall(text) if f'operation="{operation}"' in labels)


def test_assume_role_is_called_once_for_many_requests(plugin: Plugin, moto: MotoServer,
                                                      aws_files: dict[str, str]) -> None:
    p = plugin.start({**aws_files, "AWS_EC2_METADATA_DISABLED": "true"})
    json_data = {"authType": "keys", "endpoint": moto.url, "assumeRoleArn": "arn:aws:iam::123456789012:role/r"}
    secure = {"accessKey": STATIC_KEY, "secretKey": STATIC_SECRET}
    for _ in range(20):
        resp = health(p, json_data, secure)
        assert resp.status == OK, resp.message
    assert "assumed role arn:aws:iam::123456789012:role/r via access and secret key" in resp.message
    assert _aws_calls(p, "AssumeRole") == 1
    assert _aws_calls(p, "ListMetrics") >= 20


# --- moto in auth mode: it checks signatures, keys and IAM policies ------------------------------------------

@pytest.fixture
def auth_env(aws_files: dict[str, str]) -> dict[str, str]:
    return {**aws_files, "AWS_EC2_METADATA_DISABLED": "true"}


def test_auth_mode_right_keys(plugin: Plugin, auth_moto: AuthWorld, auth_env: dict[str, str],
                              request: pytest.FixtureRequest) -> None:
    request.node.extra_secrets = (auth_moto.alice_secret,)
    p = plugin.start(auth_env)
    resp = health(p, {"authType": "keys", "endpoint": auth_moto.server.url},
                  {"accessKey": auth_moto.alice_key, "secretKey": auth_moto.alice_secret})
    assert resp.status == OK, resp.message
    assert ":user/alice" in resp.message
    assert auth_moto.alice_secret not in resp.message and auth_moto.alice_key not in resp.message


def test_auth_mode_failures_each_have_their_own_message(plugin: Plugin, auth_moto: AuthWorld,
                                                         auth_env: dict[str, str]) -> None:
    p = plugin.start(auth_env)
    url = auth_moto.server.url
    wrong_secret = health(p, {"authType": "keys", "endpoint": url},
                          {"accessKey": auth_moto.alice_key, "secretKey": "x" * 40})
    unknown_key = health(p, {"authType": "keys", "endpoint": url},
                         {"accessKey": "AKIAUNKNOWNKEY000001", "secretKey": "y" * 40})
    denied = health(p, {"authType": "keys", "endpoint": url},
                    {"accessKey": auth_moto.bob_key, "secretKey": auth_moto.bob_secret})
    assert wrong_secret.status == unknown_key.status == denied.status == ERROR
    assert "secret key does not match" in wrong_secret.message
    assert "not valid" in unknown_key.message
    assert "access denied" in denied.message.lower() and "ListMetrics" in denied.message
    assert len({wrong_secret.message, unknown_key.message, denied.message}) == 3
    assert auth_moto.bob_secret not in denied.message


def test_auth_mode_assume_role_external_id(plugin: Plugin, auth_moto: AuthWorld, auth_env: dict[str, str]) -> None:
    p = plugin.start(auth_env)
    base = {"authType": "keys", "endpoint": auth_moto.server.url, "assumeRoleArn": auth_moto.role_arn}
    secure = {"accessKey": auth_moto.alice_key, "secretKey": auth_moto.alice_secret}
    good = health(p, {**base, "externalId": "ext-good"}, secure)
    assert good.status == OK, good.message
    assert f"assumed role {auth_moto.role_arn}" in good.message and "assumed-role/cross-account-reader" in good.message
    bad = health(p, {**base, "externalId": "ext-wrong"}, secure)
    assert bad.status == ERROR and "assume role denied" in bad.message and "external ID" in bad.message


def test_malformed_region_is_a_clear_settings_error(plugin: Plugin, moto: MotoServer,
                                                     aws_files: dict[str, str]) -> None:
    p = plugin.start({**aws_files, "AWS_EC2_METADATA_DISABLED": "true"})
    resp = health(p, {"authType": "keys", "endpoint": moto.url, "defaultRegion": "eu west 1"},
                  {"accessKey": STATIC_KEY, "secretKey": STATIC_SECRET})
    assert resp.status == ERROR
    assert "not a valid AWS region name" in resp.message and "internal plugin error" not in resp.message
