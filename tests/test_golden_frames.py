"""Golden frames that are really golden: for each representative frame, grafana-plugin-sdk-go builds it itself
(tests/goplugin_host/golden.go: data.NewFrame … MarshalArrow), and the SDK's decode of the bytes our encoder
(src/cloudwatch_datasource/protocol/arrow.py) writes for the same frame must equal the SDK's decode of its own:
the frame JSON the browser gets (schema, field types, labels, config, meta, values) and the Arrow schema
(types, nullability, metadata).
"""

from __future__ import annotations

import json
import math
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from grafana_host import GrafanaHost

from cloudwatch_datasource.data import Field, FieldType, Frame, Notice
from cloudwatch_datasource.protocol.arrow import encode_frame

T0 = 1_700_000_000 * 10**9  # ns, as golden.go's t0
NULL = None


def minutes(*n: int) -> list[int]:
    return [T0 + m * 60 * 10**9 for m in n]


def multi(**extra: Any) -> dict[str, Any]:
    return {"type": "timeseries-multi", "typeVersion": [0, 1], **extra}


# The same frames as golden.go's goldenFrames(), built the way the plugin builds its own (cloudwatch/frames.py).
OURS: dict[str, Frame] = {
    "labelled_timeseries": Frame(
        name="CPUUtilization i-1", ref_id="A",
        meta=multi(executedQueryString="SEARCH('{AWS/EC2,InstanceId} MetricName=\"CPUUtilization\"', "
                                       "'Average', 60)", custom={"period": 60, "id": "q1"}),
        fields=[Field("Time", FieldType.TIME, minutes(0, 1, 2)),
                Field("Value", FieldType.NUMBER, [1.5, 2.5, 3.5],
                      labels={"InstanceId": "i-1", "Series": "CPUUtilization"},
                      config={"displayNameFromDS": "CPUUtilization i-1", "unit": "percent"})]),
    "nullable_values": Frame(
        name="nullable", ref_id="B", meta=multi(),
        fields=[Field("Time", FieldType.TIME, minutes(0, 1, 2, 3)),
                Field("Value", FieldType.NUMBER, [1.5, NULL, math.nan, 4.0], labels={"Series": "nullable"})]),
    "empty": Frame(
        name="empty", ref_id="C", meta=multi(),
        fields=[Field("Time", FieldType.TIME, []), Field("Value", FieldType.NUMBER, [], labels={"Series": "empty"})]),
    "no_fields_with_notice": Frame(
        name="D", ref_id="D", fields=[],
        meta=multi(notices=[Notice("warning", "cloudwatch: too many datapoints")])),
    "notices": Frame(
        name="notices", ref_id="E",
        meta=multi(notices=[Notice("warning", "partial data"),
                            Notice("info", "see the docs", "https://docs.aws.amazon.com/AmazonCloudWatch/"),
                            Notice("error", "one series failed")]),
        fields=[Field("Time", FieldType.TIME, minutes(0)),
                Field("Value", FieldType.NUMBER, [1.0], labels={"Series": "notices"})]),
    "deep_links": Frame(
        name="Latency api", ref_id="F", meta=multi(),
        fields=[Field("Time", FieldType.TIME, minutes(0, 1)),
                Field("Value", FieldType.NUMBER, [2.0, 10.0], labels={"Series": "Latency", "Service": "api"},
                      config={"displayNameFromDS": "Latency api", "links": [{
                          "title": "View in CloudWatch console", "targetBlank": True,
                          "url": "https://us-east-1.console.aws.amazon.com/cloudwatch/deeplink.js?region=us-east-1"
                                 "#metricsV2:graph=~(view~'timeSeries)"}]})]),
    "wide": Frame(
        name="wide", ref_id="G", meta={"type": "timeseries-wide", "typeVersion": [0, 1]},
        fields=[Field("Time", FieldType.TIME, minutes(0, 1, 2)),
                Field("Value", FieldType.NUMBER, [1.0, 2.0, 3.0], labels={"Service": "api"}),
                Field("Value", FieldType.NUMBER, [4.0, NULL, 6.0], labels={"Service": "web"}),
                Field("Value", FieldType.NUMBER, [7.0, 8.0, 9.0], labels={"Service": "db"})]),
    "long": Frame(
        name="long", ref_id="H", meta={"type": "timeseries-long", "typeVersion": [0, 1]},
        fields=[Field("Time", FieldType.TIME, minutes(0, 0, 1, 1)),
                Field("Service", FieldType.STRING, ["api", "web", "api", "web"]),
                Field("Value", FieldType.NUMBER, [1.0, 4.0, 2.0, 5.0])]),
}

# Field metadata only our encoder writes: the field's name again (the SDK reads the Arrow field name).
OURS_ONLY_FIELD_METADATA = {"name"}
JSON_METADATA = {"labels", "config"}


@pytest.fixture(scope="module")
def golden(go_host_binary: Path) -> dict[str, dict[str, Any]]:
    done = subprocess.run([str(go_host_binary), "golden"], capture_output=True, text=True, timeout=60, check=True)
    cases: dict[str, dict[str, Any]] = json.loads(done.stdout)
    return cases


@pytest.fixture(scope="module")
def sdk(go_host_binary: Path) -> Iterator[GrafanaHost]:
    """The Go host with no plugin: only its decodeFrames operation is used."""
    host = GrafanaHost.launch(go_host_binary)
    yield host
    host.close()


def test_every_golden_case_is_covered(golden: dict[str, dict[str, Any]]) -> None:
    assert set(golden) == set(OURS)


@pytest.mark.parametrize("case", sorted(OURS))
def test_sdk_decodes_our_frame_as_its_own(case: str, golden: dict[str, dict[str, Any]], sdk: GrafanaHost) -> None:
    decoded = sdk.decode_frames([encode_frame(OURS[case])])
    [ours] = decoded["frames"]
    reference = golden[case]["frame"]
    # The browser's view: schema (names, types, typeInfo, labels, config, meta) and values, entities included.
    assert ours["schema"] == reference["schema"]
    assert ours["data"] == reference["data"]
    # The Arrow schema: the same types and nullability, the same metadata (JSON values compared as values).
    [schema] = decoded["schemas"]
    assert [(f["name"], f["type"], f["nullable"]) for f in schema] == \
        [(f["name"], f["type"], f["nullable"]) for f in golden[case]["schema"]]
    for mine, theirs in zip(schema, golden[case]["schema"], strict=True):
        extra = set(mine["metadata"]) - set(theirs["metadata"])
        assert extra <= OURS_ONLY_FIELD_METADATA, extra
        for key, value in theirs["metadata"].items():
            got = mine["metadata"].get(key)
            if key in JSON_METADATA:
                assert got is not None and json.loads(got) == json.loads(value), key
            else:
                assert got == value, key


def test_timeseries_golden_frames_read_as_alerting_reads_them(sdk: GrafanaHost) -> None:
    """The dataplane readers accept our multi, wide and long frames as time series, with one series per label
    set (the long frame's string column becomes the label)."""
    multi_frames = [encode_frame(OURS[c]) for c in ("labelled_timeseries",)]
    assert sdk.decode_frames(multi_frames)["readers"]["series"][0]["labels"] == {
        "InstanceId": "i-1", "Series": "CPUUtilization"}
    wide = sdk.decode_frames([encode_frame(OURS["wide"])])["readers"]
    assert wide["kind"] == "timeseries-wide" and not wide.get("error")
    assert sorted(s["labels"]["Service"] for s in wide["series"]) == ["api", "db", "web"]
    long = sdk.decode_frames([encode_frame(OURS["long"])])["readers"]
    assert long["kind"] == "timeseries-long" and not long.get("error"), long
    assert sorted(s["labels"]["Service"] for s in long["series"]) == ["api", "web"]
    empty = sdk.decode_frames([encode_frame(OURS["no_fields_with_notice"])])["readers"]
    assert empty["noData"] is True and not empty.get("error")
