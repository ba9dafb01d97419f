"""Frame → Arrow IPC *file* bytes, the way Grafana's Go decoder (data.UnmarshalArrowFrame) reads them.

Rules from grafana-plugin-sdk-go's data package (data/arrow.go, the reader Grafana uses), checked by
tests/test_golden_frames.py against the SDK itself:
- one Arrow IPC **file** per frame (random-access format, ARROW1 magic), not the stream format;
- schema metadata `name`, `refId`, and `meta` (FrameMeta JSON, only when present);
- field metadata `tstype` (the SDK's TypeScript type name), `name`, `labels` (JSON object), `config` (FieldConfig
  JSON, only when present);
- time as timestamp[ns] without timezone (the Go reader assumes nanoseconds whatever the unit says);
- numbers as *nullable* float64 (a non-nullable field makes Go read nulls as garbage);
- strings as utf8, never large_string / dictionary / null types, which Grafana rejects; like times, nullable only
  when a value is null, so the SDK reads them as []string, as a Go plugin would build them.
tests/test_golden_frames.py checks all of it against frames the Go SDK builds itself (data.NewFrame … MarshalArrow).
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from ..data import Field, FieldType, Frame

_TIME = pa.timestamp("ns")
_NUMBER = pa.float64()
_STRING = pa.utf8()
_TSTYPE = {FieldType.TIME: "time", FieldType.NUMBER: "number", FieldType.STRING: "string"}


def encode_frame(frame: Frame) -> bytes:
    """One frame as Arrow IPC file bytes. Raises ValueError when fields differ in length."""
    arrays = [_to_array(f) for f in frame.fields]
    lengths = {len(a) for a in arrays}
    if len(lengths) > 1:
        raise ValueError(f"frame {frame.name!r}: fields have different lengths {sorted(lengths)}")
    schema = pa.schema(
        [pa.field(f.name, a.type, nullable=f.type is FieldType.NUMBER or a.null_count > 0,
                  metadata=_field_metadata(f))
         for f, a in zip(frame.fields, arrays, strict=True)],
        metadata=_schema_metadata(frame),
    )
    table = pa.Table.from_arrays(arrays, schema=schema)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def _to_array(f: Field) -> pa.Array:
    target = _TIME if f.type is FieldType.TIME else _NUMBER if f.type is FieldType.NUMBER else _STRING
    values = f.values
    if isinstance(values, pa.Array):
        return values if values.type == target else _convert(values, target)
    # Lists convert in C. Time: epoch-ns ints; numbers: from_pandas=False keeps NaN as NaN (Grafana shows it as
    # NaN) and only None becomes null; an empty list gets the target type, never pyarrow's null type.
    return pa.array(values, type=target, from_pandas=False)


def _convert(values: pa.Array, target: pa.DataType) -> pa.Array:
    # Array.cast runs through pyarrow.compute, whose import costs ~9 MB of resident memory for the life of the
    # process; frames.py hands over timestamp[ns, UTC], which is the wire type with a zone label, so a zero-copy
    # view (same epoch-ns int64 buffer) drops the label without it.
    if pa.types.is_timestamp(target) and pa.types.is_timestamp(values.type) and values.type.unit == "ns":
        return values.view(target)
    return values.cast(target)


def _schema_metadata(frame: Frame) -> dict[str, str]:
    meta: dict[str, str] = {"name": frame.name, "refId": frame.ref_id}
    if frame.meta:
        meta["meta"] = json.dumps(_frame_meta(frame.meta), separators=(",", ":"))
    return meta


def _frame_meta(meta: Any) -> dict[str, Any]:
    out = dict(meta)
    if "type" in out:
        # The Go SDK always writes typeVersion next to type; [0, 0] means "pre-contract" when the producer set
        # none (the CloudWatch frames set the timeseries contract version, [0, 1]).
        out.setdefault("typeVersion", [0, 0])
    notices = out.get("notices")
    if notices:
        out["notices"] = [n.to_json() if hasattr(n, "to_json") else n for n in notices]
    return out


def _field_metadata(f: Field) -> dict[str, str]:
    # tstype as grafana-plugin-sdk-go's data.MarshalArrow writes it; `name` repeats the field name (the SDK reads
    # the Arrow field's own name and ignores it).
    meta = {"tstype": _TSTYPE[f.type], "name": f.name}
    if f.labels:
        meta["labels"] = json.dumps(dict(f.labels), separators=(",", ":"), sort_keys=True)
    if f.config:
        meta["config"] = json.dumps(dict(f.config), separators=(",", ":"))
    return meta
