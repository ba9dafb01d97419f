"""Data frames as plain values: what a query answer is, before it is encoded for the wire.

A Frame is a named table of equal-length Fields plus metadata (Grafana's data.Frame). The protocol layer's
arrow module encodes it as one Arrow IPC file (grafana-plugin-sdk-go data/arrow.go). Values are kept as
whatever vector the producer has (a list or a pyarrow array) so large results are never copied
point by point in Python.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FieldType(StrEnum):
    TIME = "time"  # encoded as timestamp[ns], no timezone, no nulls
    NUMBER = "number"  # encoded as nullable float64
    STRING = "string"  # encoded as utf8 (never large_string)


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    values: Sequence[Any] | Any  # list or pyarrow array; time: epoch ns ints or a pyarrow timestamp array
    labels: Mapping[str, str] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)  # Grafana FieldConfig JSON


@dataclass(frozen=True)
class Notice:
    severity: str  # "info" | "warning" | "error"
    text: str
    link: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"severity": self.severity, "text": self.text}
        if self.link:
            out["link"] = self.link
        return out


@dataclass(frozen=True)
class Frame:
    name: str
    fields: Sequence[Field]
    ref_id: str = ""
    # FrameMeta JSON keys (type, typeVersion, executedQueryString, notices, custom, ...), see grafana-plugin-sdk-go
    # data/frame_meta.go.
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.fields[0].values) if self.fields else 0
