"""The cross-account `accounts` route (CloudWatch observability access manager). moto has no OAM, so the fake
endpoint answers oam:ListSinks / ListAttachedLinks; the route must give Grafana's JSON shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from support.fake_aws import FakeAws, FakeError
from support.routes import call_route

SINK = "arn:aws:oam:us-east-1:111111111111:sink/f00d"


@pytest.fixture
def fake() -> Iterator[FakeAws]:
    with FakeAws() as server:
        yield server


def accounts(fake: FakeAws) -> tuple[int, Any]:
    response = call_route("accounts", "region=us-east-1", page_limit=10,
                          clients=lambda region, service: fake.client(region, service))
    return response.status, json.loads(response.body)


def test_monitoring_account_and_its_linked_accounts(fake: FakeAws) -> None:
    fake.script("ListSinks", [{"Items": [{"Arn": SINK, "Id": "f00d", "Name": "central"}]}])
    fake.script("ListAttachedLinks", [
        {"Items": [{"Label": "dev", "LinkArn": "arn:aws:oam:us-east-1:222222222222:link/a1",
                    "ResourceArn": "arn:aws:oam:us-east-1:222222222222:link/a1"}], "NextToken": "p2"},
        {"Items": [{"Label": "prod", "LinkArn": "arn:aws:oam:us-east-1:333333333333:link/b2",
                    "ResourceArn": "arn:aws:oam:us-east-1:333333333333:link/b2"}]},
    ])
    status, body = accounts(fake)
    assert status == 200
    assert body == [
        {"value": {"id": "111111111111", "arn": SINK, "label": "central", "isMonitoringAccount": True}},
        {"value": {"id": "222222222222", "arn": "arn:aws:oam:us-east-1:222222222222:link/a1", "label": "dev",
                   "isMonitoringAccount": False}},
        {"value": {"id": "333333333333", "arn": "arn:aws:oam:us-east-1:333333333333:link/b2", "label": "prod",
                   "isMonitoringAccount": False}},
    ]
    assert [b.get("SinkIdentifier") for b in fake.calls("ListAttachedLinks")] == [SINK, SINK]  # paged


def test_not_a_monitoring_account_answers_null(fake: FakeAws) -> None:
    fake.script("ListSinks", [{"Items": []}])
    assert accounts(fake) == (200, None)


def test_access_denied_is_grafanas_403_body(fake: FakeAws) -> None:
    fake.handler("ListSinks", lambda _: (_ for _ in ()).throw(
        FakeError(403, "AccessDeniedException", "User is not authorized to perform: oam:ListSinks")))
    status, body = accounts(fake)
    assert status == 403 and body["StatusCode"] == 403
    assert body["Message"].startswith("error getting accounts for current user or role")
    assert "access denied. please check your IAM policy" in body["Error"]
