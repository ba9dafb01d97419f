"""Golden tests for the Arrow frame encoder: what Grafana's Go decoder needs (grafana-plugin-sdk-go data/arrow.go)."""

from __future__ import annotations

import json
import math

import pyarrow as pa
import pytest

from cloudwatch_datasource.data import Field, FieldType, Frame, Notice
from cloudwatch_datasource.protocol.arrow import encode_frame

T0 = 1_700_000_000_000_000_000  # ns


def _read(data: bytes) -> pa.Table:
    assert data[:6] == b"ARROW1" and data[-6:] == b"ARROW1"  # IPC *file* format, not stream
    return pa.ipc.open_file(pa.BufferReader(data)).read_all()


def sample_frame() -> Frame:
    return Frame(
        name="CPUUtilization i-1",
        ref_id="A",
        fields=[
            # What frames.py hands over: a timezone-aware timestamp array, written without the zone.
            Field("Time", FieldType.TIME, pa.array([T0, T0 + 60_000_000_000, T0 + 120_000_000_000],
                                                   type=pa.timestamp("ns", tz="UTC"))),
            Field("Value", FieldType.NUMBER, [1.5, None, math.nan],
                  labels={"InstanceId": "i-1", "Series": "CPUUtilization"},
                  config={"displayNameFromDS": "CPUUtilization i-1", "unit": "percent"}),
        ],
        meta={"type": "timeseries-multi", "typeVersion": [0, 1], "executedQueryString": "SEARCH(x)",
              "notices": [Notice("warning", "limited")]},
    )


def test_round_trip_keeps_every_piece_of_metadata() -> None:
    table = _read(encode_frame(sample_frame()))
    schema = table.schema
    assert schema.metadata[b"name"] == b"CPUUtilization i-1"
    assert schema.metadata[b"refId"] == b"A"
    meta = json.loads(schema.metadata[b"meta"])
    assert meta == {"type": "timeseries-multi", "typeVersion": [0, 1], "executedQueryString": "SEARCH(x)",
                    "notices": [{"severity": "warning", "text": "limited"}]}
    time_field, value_field = schema.field("Time"), schema.field("Value")
    assert time_field.type == pa.timestamp("ns") and time_field.type.tz is None
    assert value_field.type == pa.float64() and value_field.nullable
    assert json.loads(value_field.metadata[b"labels"]) == {"InstanceId": "i-1", "Series": "CPUUtilization"}
    assert json.loads(value_field.metadata[b"config"])["unit"] == "percent"
    assert time_field.metadata[b"name"] == b"Time"
    assert b"labels" not in time_field.metadata
    times = table.column("Time").cast(pa.int64()).to_pylist()
    assert times == [T0, T0 + 60_000_000_000, T0 + 120_000_000_000]
    values = table.column("Value").to_pylist()
    assert values[0] == 1.5 and values[1] is None and math.isnan(values[2])


def test_only_types_grafana_accepts() -> None:
    frame = Frame(name="t", fields=[
        Field("Time", FieldType.TIME, []),
        Field("Value", FieldType.NUMBER, []),  # empty: pyarrow would infer the null type
        Field("Name", FieldType.STRING, []),
    ])
    table = _read(encode_frame(frame))
    assert [f.type for f in table.schema] == [pa.timestamp("ns"), pa.float64(), pa.utf8()]
    assert table.num_rows == 0


def test_frame_without_meta_has_no_meta_key() -> None:
    frame = Frame(name="plain", fields=[Field("Value", FieldType.NUMBER, pa.array([1.0, 2.0]))])
    schema = _read(encode_frame(frame)).schema
    assert b"meta" not in schema.metadata
    assert schema.metadata[b"refId"] == b""


def test_fields_of_different_lengths_are_refused() -> None:
    frame = Frame(name="bad", fields=[Field("Time", FieldType.TIME, [T0]), Field("Value", FieldType.NUMBER, [])])
    with pytest.raises(ValueError, match="different lengths"):
        encode_frame(frame)


def test_large_vectors_keep_values() -> None:
    n = 10_000
    times = [T0 + i * 60_000_000_000 for i in range(n)]
    values = [i / (n - 1) for i in range(n)]
    table = _read(encode_frame(Frame(name="big", fields=[Field("Time", FieldType.TIME, times),
                                                         Field("Value", FieldType.NUMBER, values)])))
    assert table.num_rows == n
    assert table.column("Value").to_pylist() == values
    assert table.column("Time").cast(pa.int64()).to_pylist() == times


def test_arrays_of_other_types_are_converted_to_the_wire_types() -> None:
    frame = Frame(name="cast", fields=[
        Field("Time", FieldType.TIME, pa.array([T0 // 1000], type=pa.timestamp("us", tz="Europe/Paris"))),
        Field("Value", FieldType.NUMBER, pa.array([7], type=pa.int32())),
        Field("Name", FieldType.STRING, pa.array(["x"], type=pa.large_utf8())),
    ])
    table = _read(encode_frame(frame))
    assert [f.type for f in table.schema] == [pa.timestamp("ns"), pa.float64(), pa.utf8()]
    assert table.column("Time").cast(pa.int64()).to_pylist() == [T0]  # the zone is a label; epoch ns stay UTC
    assert table.to_pylist() == [{"Time": table.column("Time")[0].as_py(), "Value": 7.0, "Name": "x"}]
