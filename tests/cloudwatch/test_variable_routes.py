"""The legacy template-variable routes (`ebs-volume-ids`, `ec2-instance-attribute`, `resource-arns`) end to end:
the plugin process started and called by grafana-server's own client (the Go host, tests/support/grafana_host.py),
CallResource answers converted by grafana-plugin-sdk-go, EC2 and the tagging API emulated by moto on 127.0.0.1.
Answers must keep Grafana's legacy shape: a JSON array of {text, value, label}, or HTTP 400 with the plain-text
body `unexpected error <message>`.

Every test here only reads, so one fleet and one plugin process serve the whole module (seeding moto's EC2 and
starting the plugin take seconds each).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from support.fake_aws import FakeAws
from support.grafana_host import PLUGIN_COMMAND, GrafanaHost, datasource
from support.plugins import StartedPlugins
from support.routes import call_route

from cloudwatch_datasource.tools.emulator import Emulator

ACCOUNT = "123456789012"  # moto's account
ACCESS_KEY, SECRET_KEY = "AKIDVARIABLES", "variables-secret"
UNKNOWN_INSTANCE = "i-0123456789abcdef0"


@dataclass(frozen=True)
class Fleet:
    """What was seeded: instance ids by Name tag ("" for the untagged one) and each instance's EBS volume id."""

    ids: dict[str, str]
    volumes: dict[str, str]

    def arn(self, name: str) -> str:
        return f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{self.ids[name]}"


def run_instance(ec2: Any, image: str, *, instance_type: str, zone: str, tags: dict[str, str]) -> str:
    extra: dict[str, Any] = {}
    if tags:
        extra["TagSpecifications"] = [{"ResourceType": "instance",
                                       "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    answer = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType=instance_type,
                               Placement={"AvailabilityZone": zone},
                               BlockDeviceMappings=[{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 8}}], **extra)
    return str(answer["Instances"][0]["InstanceId"])


@pytest.fixture(scope="module")
def moto(moto_server: Emulator) -> Iterator[Emulator]:
    """The shared moto server, emptied for this module and again after it."""
    moto_server.reset()
    yield moto_server
    moto_server.reset()


@pytest.fixture(scope="module")
def fleet(moto: Emulator) -> Fleet:
    ec2 = moto.client("ec2", "us-east-1")
    image = ec2.describe_images(MaxResults=5)["Images"][0]["ImageId"]
    ids = {
        "web-1": run_instance(ec2, image, instance_type="t3.micro", zone="us-east-1a",
                              tags={"Name": "web-1", "team": "web"}),
        "web-2": run_instance(ec2, image, instance_type="t3.small", zone="us-east-1b",
                              tags={"Name": "web-2", "team": "web"}),
        "db-1": run_instance(ec2, image, instance_type="t3.micro", zone="us-east-1a",
                             tags={"Name": "db-1", "team": "data"}),
        "": run_instance(ec2, image, instance_type="t3.nano", zone="us-east-1a", tags={}),
    }
    run_instance(moto.client("ec2", "eu-west-1"), image, instance_type="t3.micro", zone="eu-west-1a",
                 tags={"Name": "eu-1", "team": "web"})
    # The volume ids as EC2 reports them from the volume side, not from DescribeInstances (what the route reads).
    volumes = {}
    for name, instance_id in ids.items():
        attached = [{"Name": "attachment.instance-id", "Values": [instance_id]}]
        [volume] = ec2.describe_volumes(Filters=attached)["Volumes"]
        volumes[name] = volume["VolumeId"]
    return Fleet(ids, volumes)


@pytest.fixture(scope="module")
def plugin(go_host_binary: Path, tmp_path_factory: pytest.TempPathFactory,
           started_plugins: StartedPlugins) -> Iterator[GrafanaHost]:
    # The host passes none of this machine's environment; these make sure no AWS file of its user is read.
    home = tmp_path_factory.mktemp("aws")
    isolated = {"AWS_CONFIG_FILE": str(home / "config"), "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
                "AWS_EC2_METADATA_DISABLED": "true"}
    host = GrafanaHost.launch(go_host_binary)
    started_plugins.add(host)
    try:
        host.start(PLUGIN_COMMAND, {**isolated, "GF_PLUGIN_AWS_MAX_ATTEMPTS": "1"})
        yield host
        stopped = host.kill()
        assert stopped["graceful"], stopped["hostLog"]
    finally:
        host.close()


def keys_settings(endpoint: str, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY,
                  **json_data: Any) -> dict[str, Any]:
    return datasource({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": endpoint, **json_data},
                      {"accessKey": access_key, "secretKey": secret_key})


@pytest.fixture
def settings(moto: Emulator) -> dict[str, Any]:
    return keys_settings(moto.url)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str

    def values(self) -> list[str]:
        """The suggestions' values, after checking each is Grafana's {text, value, label} with one value."""
        assert self.status == 200, self.body
        assert self.content_type == "application/json"
        items = json.loads(self.body)
        assert isinstance(items, list)
        for item in items:
            assert set(item) == {"text", "value", "label"} and item["text"] == item["value"] == item["label"]
        return [item["value"] for item in items]

    def error(self) -> str:
        """The message of a legacy error answer (400, plain text, `unexpected error ` first)."""
        assert self.status == 400, (self.status, self.body)
        assert self.content_type.startswith("text/plain")
        text = self.body.decode()
        assert text.startswith("unexpected error ")
        assert SECRET_KEY not in text and ACCESS_KEY not in text
        return text.removeprefix("unexpected error ")


def call(plugin: GrafanaHost, settings: dict[str, Any], path: str, **params: Any) -> Answer:
    query = urllib.parse.urlencode({k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()})
    answer = plugin.call_resource(path, settings, query=query)
    assert len(answer["chunks"]) == 1, answer["chunks"]  # one message: these routes do not stream
    content_type = (answer["headers"].get("Content-Type") or [""])[0]
    return Answer(answer["status"], answer["body"].encode(), content_type)


# --- ebs-volume-ids -----------------------------------------------------------------------------------------

def test_ebs_volume_ids_of_one_instance(plugin: GrafanaHost, settings: Any, fleet: Fleet) -> None:
    answer = call(plugin, settings, "ebs-volume-ids", region="us-east-1", instanceId=fleet.ids["web-1"])
    assert answer.values() == [fleet.volumes["web-1"]]
    vol = fleet.volumes["web-1"]
    assert json.loads(answer.body) == [{"text": vol, "value": vol, "label": vol}]


def test_ebs_volume_ids_of_a_multi_value_variable(plugin: GrafanaHost, settings: Any, fleet: Fleet) -> None:
    # Grafana interpolates a multi-value variable as {a,b} for this datasource.
    both = f"{{{fleet.ids['web-1']},{fleet.ids['db-1']}}}"
    assert sorted(call(plugin, settings, "ebs-volume-ids", region="us-east-1", instanceId=both).values()) == sorted(
        [fleet.volumes["web-1"], fleet.volumes["db-1"]])
    spaced = f"{{ {fleet.ids['web-2']} , {fleet.ids['web-2']} }}"
    assert call(plugin, settings, "ebs-volume-ids", region="us-east-1", instanceId=spaced).values() == [
        fleet.volumes["web-2"]]
    assert call(plugin, settings, "ebs-volume-ids", region="us-east-1", instanceId="{}").error() == (
        "instanceId is required")


# --- ec2-instance-attribute ---------------------------------------------------------------------------------

def test_instance_attributes_are_unique_and_sorted(plugin: GrafanaHost, settings: Any, fleet: Fleet) -> None:
    def attribute(name: str) -> list[str]:
        return call(plugin, settings, "ec2-instance-attribute", region="us-east-1", attributeName=name,
                    filters={}).values()

    assert attribute("Tags.Name") == ["db-1", "web-1", "web-2"]  # the untagged instance adds nothing
    assert attribute("Tags.team") == ["data", "web"]
    assert attribute("Placement.AvailabilityZone") == ["us-east-1a", "us-east-1b"]
    assert attribute("InstanceType") == ["t3.micro", "t3.nano", "t3.small"]
    assert attribute("InstanceId") == sorted(fleet.ids.values())
    assert attribute("AmiLaunchIndex") == ["0"]  # numbers and booleans print the way Go prints them
    assert set(attribute("EbsOptimized")) <= {"true", "false"} and attribute("EbsOptimized")
    launched = attribute("LaunchTime")
    assert launched and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC", t) for t in launched), (
        launched)  # Go's time.String(), as Grafana prints a time field


def test_instance_attribute_filters(plugin: GrafanaHost, settings: Any, fleet: Fleet) -> None:
    def names(filters: dict[str, list[str]]) -> list[str]:
        return call(plugin, settings, "ec2-instance-attribute", region="us-east-1", attributeName="Tags.Name",
                    filters=filters).values()

    assert names({"tag:team": ["web"]}) == ["web-1", "web-2"]
    assert names({"tag:team": ["web"], "availability-zone": ["us-east-1b"]}) == ["web-2"]
    assert names({"instance-type": ["t3.micro", "t3.small"], "tag:team": []}) == ["db-1", "web-1", "web-2"]
    assert names({"instance-id": [fleet.ids["db-1"]]}) == ["db-1"]
    assert names({"tag:team": ["nobody"]}) == []


def test_bad_parameters_are_legacy_400s(plugin: GrafanaHost, settings: Any, fleet: Fleet) -> None:
    def attribute_error(**params: Any) -> str:
        return call(plugin, settings, "ec2-instance-attribute", region="us-east-1", **params).error()

    assert attribute_error(attributeName="InstanceId", filters="{not json").startswith(
        "error parsing filters: expected a JSON object mapping each name to a list of strings")
    assert attribute_error(attributeName="InstanceId", filters='["tag:team"]').startswith("error parsing filters")
    assert attribute_error(attributeName="InstanceId", filters='{"tag:team": "web"}').startswith(
        "error parsing filters")
    assert attribute_error(attributeName="Placement.Nowhere", filters="{}").startswith(
        "invalid attribute path 'Placement.Nowhere'")
    assert attribute_error(attributeName="Tags", filters="{}").startswith("invalid attribute path 'Tags'")
    assert attribute_error(attributeName="", filters="{}") == "attributeName is required"
    assert call(plugin, settings, "resource-arns", region="us-east-1", resourceType="ec2:instance",
                tags="{").error().startswith("error parsing tags: expected a JSON object")


# --- resource-arns ------------------------------------------------------------------------------------------

def test_resource_arns_by_type_and_tags(plugin: GrafanaHost, settings: Any, fleet: Fleet) -> None:
    def arns(tags: dict[str, list[str] | None]) -> list[str]:
        return sorted(call(plugin, settings, "resource-arns", region="us-east-1", resourceType="ec2:instance",
                           tags=tags).values())

    assert arns({"team": ["web"]}) == sorted([fleet.arn("web-1"), fleet.arn("web-2")])
    assert arns({"team": ["web"], "Name": ["web-2"]}) == [fleet.arn("web-2")]
    assert arns({"team": []}) == sorted([fleet.arn("web-1"), fleet.arn("web-2"), fleet.arn("db-1")])  # any value
    assert arns({"team": ["nobody"]}) == []
    assert arns({"team": ["web"], "Name": None}) == sorted([fleet.arn("web-1"), fleet.arn("web-2")])  # null: no filter


# --- region, AWS errors, metrics ----------------------------------------------------------------------------

def test_default_region_resolution(plugin: GrafanaHost, moto: Emulator, settings: Any, fleet: Fleet) -> None:
    def names(**region: str) -> list[str]:
        return call(plugin, settings, "ec2-instance-attribute", attributeName="Tags.Name",
                    filters={"tag:team": ["web"]}, **region).values()

    assert names(region="default") == names(region="") == names() == ["web-1", "web-2"]
    assert names(region="eu-west-1") == ["eu-1"]
    assert sorted(call(plugin, settings, "resource-arns", region="default", resourceType="ec2:instance",
                       tags={"Name": ["web-1"]}).values()) == [fleet.arn("web-1")]
    no_default = keys_settings(moto.url, defaultRegion="")
    assert call(plugin, no_default, "ebs-volume-ids", region="default",
                instanceId=fleet.ids["web-1"]).error().startswith("missing default region")


def test_aws_error_is_a_clear_legacy_400(plugin: GrafanaHost, settings: Any, fleet: Fleet) -> None:
    message = call(plugin, settings, "ebs-volume-ids", region="us-east-1",
                   instanceId=f"{{{fleet.ids['web-1']},{UNKNOWN_INSTANCE}}}").error()
    assert message == (f"ec2:DescribeInstances failed: InvalidInstanceID.NotFound: The instance ID "
                       f"'{UNKNOWN_INSTANCE}' does not exist")


def aws_calls(plugin: GrafanaHost) -> dict[str, float]:
    """The plugin's own count of AWS calls for datasource ds-1 in us-east-1, by operation."""
    text = plugin.collect_metrics()
    return {op: float(n) for op, n in re.findall(r'cloudwatch_plugin_aws_calls_total\{datasource="ds-1",'
                                                 r'operation="(\w+)",region="us-east-1"\} ([0-9.e+]+)', text)}


def test_calls_go_through_the_plugins_aws_client_cache(plugin: GrafanaHost, settings: Any, fleet: Fleet) -> None:
    before = aws_calls(plugin)
    call(plugin, settings, "ebs-volume-ids", region="default", instanceId=fleet.ids["web-1"]).values()
    call(plugin, settings, "ec2-instance-attribute", region="default", attributeName="InstanceId",
         filters={}).values()
    call(plugin, settings, "resource-arns", region="default", resourceType="ec2:instance", tags={}).values()
    after = aws_calls(plugin)
    made = {op: after[op] - before.get(op, 0.0) for op in after if after[op] != before.get(op, 0.0)}
    assert made == {"DescribeInstances": 2.0, "GetResources": 1.0}


# --- access denied: a second moto server in auth mode -------------------------------------------------------

@pytest.fixture(scope="module")
def strict_moto() -> Iterator[tuple[Emulator, str, str]]:
    """moto checking IAM policies; its only user has no policy at all. Yields (server, key id, secret)."""
    with Emulator() as server:
        iam = boto3.client("iam", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="seed",
                           aws_secret_access_key="seed", config=Config(retries={"max_attempts": 1}))
        iam.create_user(UserName="nobody")
        key = iam.create_access_key(UserName="nobody")["AccessKey"]
        server.post("/moto-api/reset-auth", b"0")  # auth mode from the next call on
        yield server, key["AccessKeyId"], key["SecretAccessKey"]


def test_access_denied_names_the_iam_action(plugin: GrafanaHost,
                                            strict_moto: tuple[Emulator, str, str]) -> None:
    server, key_id, secret = strict_moto
    settings = keys_settings(server.url, key_id, secret)
    for path, params, action in [
        ("ebs-volume-ids", {"instanceId": "i-1"}, "ec2:DescribeInstances"),
        ("ec2-instance-attribute", {"attributeName": "InstanceId", "filters": "{}"}, "ec2:DescribeInstances"),
        ("resource-arns", {"resourceType": "ec2:instance", "tags": "{}"}, "tag:GetResources"),
    ]:
        message = call(plugin, settings, path, region="us-east-1", **params).error()
        assert message.startswith(f"access denied for {action}: the IAM policy must allow {action}"), message
        assert secret not in message and key_id not in message


# --- paging: moto answers DescribeInstances and GetResources in one page, so the scripted fake pages -------------

@pytest.fixture
def fake() -> Iterator[FakeAws]:
    with FakeAws() as server:
        yield server


def resource_arns_with_page_cap(fake: FakeAws, page_limit: int) -> Answer:
    response = call_route("/resource-arns", 'region=default&resourceType=ec2:instance&tags={"team":["web"]}',
                          default_region="eu-west-1", page_limit=page_limit,
                          clients=lambda region, service: fake.client(region, service))
    return Answer(response.status, response.body, response.headers["Content-Type"][0])


def test_resource_arns_follow_every_page_up_to_the_cap(fake: FakeAws) -> None:
    arn = "arn:aws:ec2:eu-west-1:123456789012:instance/i-{}".format
    fake.script("GetResources", [
        {"ResourceTagMappingList": [{"ResourceARN": arn(1)}, {"ResourceARN": arn(2)}], "PaginationToken": "p2"},
        {"ResourceTagMappingList": [{"ResourceARN": arn(3)}], "PaginationToken": ""},
    ])
    assert resource_arns_with_page_cap(fake, page_limit=10).values() == [arn(1), arn(2), arn(3)]
    sent = fake.calls("GetResources")
    assert [body.get("PaginationToken") for body in sent] == [None, "p2"]
    assert all(body["ResourceTypeFilters"] == ["ec2:instance"] and body["TagFilters"] == [
        {"Key": "team", "Values": ["web"]}] for body in sent)

    fake.reset_requests()
    fake.script("GetResources", [
        {"ResourceTagMappingList": [{"ResourceARN": arn(1)}], "PaginationToken": "p2"},
        {"ResourceTagMappingList": [{"ResourceARN": arn(2)}], "PaginationToken": ""},
    ])
    assert resource_arns_with_page_cap(fake, page_limit=1).values() == [arn(1)]
    assert len(fake.calls("GetResources")) == 1
