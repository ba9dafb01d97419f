"""Frames (Arrow IPC bytes as Grafana receives them) → text a person can read: a table and a sparkline."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import UTC, datetime

_BLOCKS = "▁▂▃▄▅▆▇█"


def decode(frame_bytes: bytes) -> tuple[str, dict[str, str], list[int], list[float | None], dict[str, object]]:
    """(name, labels, times in ms, values, meta) of one Arrow frame, read the way Grafana reads it."""
    import pyarrow as pa

    table = pa.ipc.open_file(pa.BufferReader(frame_bytes)).read_all()
    meta = table.schema.metadata or {}
    name = meta.get(b"name", b"").decode()
    frame_meta = json.loads(meta[b"meta"]) if b"meta" in meta else {}
    times: list[int] = []
    values: list[float | None] = []
    labels: dict[str, str] = {}
    for i, field in enumerate(table.schema):
        column = table.column(i)
        if str(field.type).startswith("timestamp"):
            times = [v // 1_000_000 for v in column.cast("int64").to_pylist()]
        elif field.type == pa.float64():
            values = column.to_pylist()
            if field.metadata and b"labels" in field.metadata:
                labels = json.loads(field.metadata[b"labels"])
    return name, labels, times, values, frame_meta


def sparkline(values: Iterable[float | None], width: int = 60) -> str:
    points = [v for v in values if v is not None and not math.isnan(v)]
    if not points:
        return ""
    if len(points) > width:  # average into `width` buckets
        step = len(points) / width
        points = [sum(points[int(i * step):int((i + 1) * step)]) / max(1, int((i + 1) * step) - int(i * step))
                  for i in range(width)]
    low, high = min(points), max(points)
    span = (high - low) or 1.0
    return "".join(_BLOCKS[min(len(_BLOCKS) - 1, int((p - low) / span * (len(_BLOCKS) - 1) + 0.5))] for p in points)


def describe_series(frame_bytes: bytes) -> str:
    name, labels, times, values, _ = decode(frame_bytes)
    present = [v for v in values if v is not None]
    label_text = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))
    if not present:
        return f"  {name}  [{label_text}]  no data points"
    first = datetime.fromtimestamp(times[0] / 1000, UTC).strftime("%H:%M")
    last = datetime.fromtimestamp(times[-1] / 1000, UTC).strftime("%H:%M")
    return (f"  {name}  [{label_text}]\n"
            f"    {len(present)} points {first}–{last} UTC   min {min(present):.2f}   max {max(present):.2f}"
            f"   last {present[-1]:.2f}\n"
            f"    {sparkline(values)}")


def table(frame_bytes: bytes, limit: int = 20) -> str:
    name, labels, times, values, meta = decode(frame_bytes)
    lines = [f"{name}  {json.dumps(labels)}", f"{'Time (UTC)':<20}  Value"]
    for t, v in list(zip(times, values, strict=False))[:limit]:
        stamp = datetime.fromtimestamp(t / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
        lines.append(f"{stamp:<20}  {'' if v is None else f'{v:.4f}'}")
    if len(times) > limit:
        lines.append(f"… {len(times) - limit} more rows")
    notices = meta.get("notices")
    for notice in notices if isinstance(notices, list) else []:
        lines.append(f"notice: {notice}")
    return "\n".join(lines)
