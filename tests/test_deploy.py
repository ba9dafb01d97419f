"""deploy/: the docker-compose demo and the Helm values for EKS, checked without a Docker engine or a cluster.

Both files parse; every path, plugin id, executable, setting and environment name they use exists in the dist
layout, the README and the plugin's own settings parser; the demo's seeding script fills the emulator (moto on
127.0.0.1 here, the compose service there) and the provisioned dashboard's queries, sent through the plugin with
the provisioned datasource, return those values; `docker compose config` runs when a compose client is installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import package  # scripts/package.py, on the path through pyproject's pytest `pythonpath`
import pytest
import yaml
from support.grafana_host import StartGrafana, data_query, datasource, field_values

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"

PLUGIN_ID = package.PLUGIN_ID
PLUGIN_JSON = json.loads((ROOT / "plugin" / "plugin.json").read_text())
README = (ROOT / "README.md").read_text()
SETTINGS_SOURCE = (ROOT / "src" / "cloudwatch_datasource" / "settings.py").read_text()
# jsonData / secureJsonData keys src/cloudwatch_datasource/settings.py reads.
READ_KEYS = (set(re.findall(r'_(?:string|string_any_case|secret)\((?:json_data|secure), "(\w+)"\)', SETTINGS_SOURCE))
             | set(re.findall(r'json_data\.get\("(\w+)"', SETTINGS_SOURCE)))


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def readme_aws_keys() -> set[str]:
    block = re.search(r"\[aws\]\n(.*?)\n\n", README, re.S)
    assert block, "README has an [aws] block"
    return {line.split("=")[0].strip() for line in block.group(1).splitlines() if "=" in line and not
            line.lstrip().startswith(("#", ";"))}


def ini_list(value: str) -> list[str]:
    return [v.strip() for v in re.split(r"[,\s]+", value) if v.strip()]


def test_plugin_facts_the_examples_rely_on() -> None:
    assert PLUGIN_JSON["id"] == PLUGIN_ID and PLUGIN_JSON["backend"] is True
    assert PLUGIN_JSON["executable"] == "gpx_cloudwatch"
    assert f"Plugin id: `{PLUGIN_ID}`" in README
    assert READ_KEYS >= {"authType", "defaultRegion", "endpoint", "assumeRoleArn", "accessKey", "secretKey"}
    assert readme_aws_keys() == {"forward_settings_to_plugins", "allowed_auth_providers", "assume_role_enabled"}


# --- docker-compose --------------------------------------------------------------------------------------------

def compose() -> dict[str, Any]:
    data: dict[str, Any] = load(DEPLOY / "docker-compose.yaml")
    return data


def mounts(service: dict[str, Any]) -> dict[str, tuple[Path, bool]]:
    """container path → (host path resolved against deploy/, read-only?)"""
    out = {}
    for volume in service["volumes"]:
        source, target, *mode = volume.split(":")
        out[target] = ((DEPLOY / source).resolve(), mode == ["ro"])
    return out


def test_compose_runs_the_alpine_grafana_image_with_the_plugin_folder_read_only() -> None:
    services = compose()["services"]
    assert set(services) == {"grafana", "moto", "seed"}
    grafana = services["grafana"]
    image, tag = grafana["image"].split(":")
    assert image == "grafana/grafana" and not tag.endswith("ubuntu")  # the Alpine-based variant
    plugin_mount = mounts(grafana)[f"/var/lib/grafana/plugins/{PLUGIN_ID}"]
    assert plugin_mount == ((ROOT / "dist" / PLUGIN_ID), True)
    assert "make dist" in (DEPLOY / "docker-compose.yaml").read_text()  # how that folder comes to exist
    # Every bind-mounted source under deploy/ exists.
    for target, (source, read_only) in mounts(grafana).items():
        if source.is_relative_to(DEPLOY):
            assert source.is_dir(), f"{source} (mounted at {target}) is missing"
            assert read_only
    for target, (source, _) in mounts(services["seed"]).items():
        assert source.is_dir() and (source / "seed.py").is_file()
        assert services["seed"]["entrypoint"][1] == f"{target}/seed.py"
    assert services["moto"]["image"].split(":")[0] == services["seed"]["image"].split(":")[0] == "motoserver/moto"


def test_compose_grafana_settings_are_the_readme_ones() -> None:
    env = compose()["services"]["grafana"]["environment"]
    assert PLUGIN_ID in ini_list(env["GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS"])
    assert "GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS" in README
    aws = {k.removeprefix("GF_AWS_").lower(): v for k, v in env.items() if k.startswith("GF_AWS_")}
    assert set(aws) <= readme_aws_keys()
    assert PLUGIN_ID in ini_list(aws["forward_settings_to_plugins"])
    assert "keys" in ini_list(aws["allowed_auth_providers"])  # the demo datasource's authType
    home = env["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    dashboards_dir, (source, _) = next((t, m) for t, m in mounts(compose()["services"]["grafana"]).items()
                                       if home.startswith(t + "/"))
    assert (source / home.removeprefix(dashboards_dir + "/")).is_file()


def provisioned_datasource() -> dict[str, Any]:
    [ds] = load(DEPLOY / "grafana" / "provisioning" / "datasources" / "cloudwatch.yaml")["datasources"]
    assert isinstance(ds, dict)
    return ds


def test_compose_datasource_and_dashboard_provisioning_fit_together() -> None:
    services = compose()["services"]
    grafana_mounts = mounts(services["grafana"])
    ds = provisioned_datasource()
    assert ds["type"] == PLUGIN_ID
    assert set(ds["jsonData"]) <= READ_KEYS and set(ds["secureJsonData"]) <= READ_KEYS
    # The endpoint is the emulator's compose service and port.
    endpoint = re.fullmatch(r"http://([\w-]+):(\d+)", ds["jsonData"]["endpoint"])
    assert endpoint and endpoint.group(1) == "moto"
    assert services["moto"]["environment"]["MOTO_PORT"] == endpoint.group(2)
    assert services["seed"]["environment"]["AWS_ENDPOINT_URL"] == ds["jsonData"]["endpoint"]
    assert grafana_mounts["/etc/grafana/provisioning/datasources"][0] == DEPLOY / "grafana/provisioning/datasources"

    [provider] = load(DEPLOY / "grafana" / "provisioning" / "dashboards" / "dashboards.yaml")["providers"]
    assert grafana_mounts["/etc/grafana/provisioning/dashboards"][0] == DEPLOY / "grafana/provisioning/dashboards"
    source, _ = grafana_mounts[provider["options"]["path"]]
    dashboards = list(source.glob("*.json"))
    assert dashboards
    for path in dashboards:
        dashboard = json.loads(path.read_text())
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                assert target["datasource"] == {"type": PLUGIN_ID, "uid": ds["uid"]}


def test_demo_seed_fills_the_emulator_and_the_dashboard_queries_return_it(moto, tmp_path: Path,
                                                                          grafana: StartGrafana) -> None:
    """deploy/seed/seed.py against moto on 127.0.0.1 (the compose file's moto service elsewhere), then every
    target of the provisioned dashboard through the plugin, with the provisioned datasource pointed here."""

    env = {"PATH": os.environ.get("PATH", ""), "AWS_ENDPOINT_URL": moto.url, "AWS_ACCESS_KEY_ID": "demo",
           "AWS_SECRET_ACCESS_KEY": "demo", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    done = subprocess.run([sys.executable, str(DEPLOY / "seed" / "seed.py")], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "181 minutes of Demo/App metrics" in done.stdout

    ds = provisioned_datasource()
    settings = datasource({**ds["jsonData"], "endpoint": moto.url}, ds["secureJsonData"], uid=ds["uid"])
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "cloudwatch-demo.json").read_text())
    now_ms = int(time.time()) * 1000
    host = grafana(env={"AWS_EC2_METADATA_DISABLED": "true"})  # Grafana's own plugin client (the Go host)
    health = host.check_health(settings)
    assert health["status"] == "OK", health["message"]
    for panel in dashboard["panels"]:
        queries = [data_query(t["refId"], {k: v for k, v in t.items() if k != "refId"}, now_ms - 3 * 3600 * 1000,
                              now_ms) for t in panel["targets"]]
        answer = host.query(queries, settings)
        for target in panel["targets"]:
            result = answer.results[target["refId"]]
            assert not result.get("error"), (panel["title"], result.get("error"))
            values = [v for frame in answer.frames(target["refId"]) for v in field_values(frame, "Value")
                      if v is not None]
            assert len(values) >= 150, (panel["title"], target["refId"], len(values))  # ~3 h of minutes
            assert all(v > 0 for v in values)


@pytest.mark.processes  # runs docker compose (tests/support/tiers.py)
def test_docker_compose_config_accepts_the_file() -> None:
    """`docker compose config` (or docker-compose v1) parses and interpolates the file without an engine. Only
    where a compose client is installed: the structure is checked above either way."""
    docker = shutil.which("docker")
    commands = []
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        commands.append([docker, "compose"])
    if shutil.which("docker-compose"):
        commands.append(["docker-compose"])
    for command in commands:
        done = subprocess.run([*command, "-f", str(DEPLOY / "docker-compose.yaml"), "config"], capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert f"/var/lib/grafana/plugins/{PLUGIN_ID}" in done.stdout


# --- Helm ------------------------------------------------------------------------------------------------------

# Top-level keys of the chart's values.yaml (grafana-community/helm-charts charts/grafana/values.yaml, chart
# 12.11.1) that deploy/helm-values.yaml may use: a typo would be silently ignored by Helm.
CHART_KEYS = {"serviceAccount", "securityContext", "containerSecurityContext", "extraEmptyDirMounts", "plugins",
              "nodeSelector", "resources", "grafana.ini", "datasources", "persistence", "image", "env"}


def helm() -> dict[str, Any]:
    data: dict[str, Any] = load(DEPLOY / "helm-values.yaml")
    return data


def mebibytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)(Mi|Gi|M|G)", quantity).groups()  # type: ignore[union-attr]
    factor = {"Mi": 1, "Gi": 1024, "M": 1e6 / 2**20, "G": 1e9 / 2**20}[unit]
    return float(number) * factor


def test_helm_values_use_chart_keys_irsa_and_the_472_security_context() -> None:
    values = helm()
    assert set(values) <= CHART_KEYS, set(values) - CHART_KEYS
    role = values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert re.fullmatch(r"arn:aws:iam::\d{12}:role/[\w+=,.@/-]+", role)
    assert values["serviceAccount"]["create"] is True
    pod = values["securityContext"]
    assert (pod["runAsUser"], pod["runAsGroup"], pod["fsGroup"]) == (472, 472, 472)
    container = values["containerSecurityContext"]
    assert container["readOnlyRootFilesystem"] is True
    writable = {m["mountPath"] for m in values["extraEmptyDirMounts"]}
    assert "/tmp" in writable  # Grafana downloads the plugin archive to a temporary file
    # The plugin folder lands under grafana.ini paths.plugins, inside the chart's writable "storage" volume.
    assert values.get("grafana.ini", {}).get("paths", {}).get("plugins", "/var/lib/grafana/plugins").startswith(
        "/var/lib/grafana/")


def test_helm_installs_the_release_zip_matching_the_node_architecture() -> None:
    values = helm()
    [entry] = values["plugins"]
    plugin_id, version, url = entry.split("@", 2)  # Grafana's id@version@url (pkg/setting/setting_plugins.go)
    assert plugin_id == PLUGIN_ID
    assert version == package.project_version()
    arch = values["nodeSelector"]["kubernetes.io/arch"]
    assert arch in package.ARCHES
    assert url.startswith("https://") and url.rsplit("/", 1)[1] == package.archive_name(version, arch)


def test_helm_grafana_ini_and_datasource() -> None:
    values = helm()
    ini = values["grafana.ini"]
    assert PLUGIN_ID in ini_list(ini["plugins"]["allow_loading_unsigned_plugins"])
    assert PLUGIN_ID in ini_list(ini["plugins"]["forward_host_env_vars"])  # IRSA variables reach the plugin
    assert "forward_host_env_vars" in README
    assert set(ini["aws"]) <= readme_aws_keys()
    assert PLUGIN_ID in ini_list(ini["aws"]["forward_settings_to_plugins"])
    assert "default" in ini_list(ini["aws"]["allowed_auth_providers"])
    assert f"[plugin.{PLUGIN_ID}]" in README and set(ini[f"plugin.{PLUGIN_ID}"]) <= {"log_level"}

    [ds] = values["datasources"]["datasources.yaml"]["datasources"]
    assert ds["type"] == PLUGIN_ID
    assert ds["jsonData"]["authType"] == "default"
    assert set(ds["jsonData"]) <= READ_KEYS


def test_helm_memory_leaves_room_for_the_plugin_next_to_grafana() -> None:
    """Requests/limits cover Grafana plus the plugin's peak RSS from the README's benchmark table."""
    peak = re.search(r"\| RSS idle / peak under load \| (\d+) MB / (\d+) MB \|", README)
    assert peak, "README's benchmark table has the RSS row"
    plugin_peak_mib = int(peak.group(2)) * 1e6 / 2**20
    grafana_mib = 256  # grafana-server's own working set in a small install
    resources = helm()["resources"]
    request = mebibytes(resources["requests"]["memory"])
    limit = mebibytes(resources["limits"]["memory"])
    assert request >= grafana_mib + plugin_peak_mib
    assert limit >= request + plugin_peak_mib  # a load peak of the plugin does not OOM-kill the pod


@pytest.mark.parametrize("path", ["docker-compose.yaml", "helm-values.yaml"])
def test_the_readme_links_each_example(path: str) -> None:
    assert f"(deploy/{path})" in README
