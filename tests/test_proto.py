"""The committed stubs match proto/, and the proto keeps Grafana's wire contract (package, numbers, types)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cloudwatch_datasource.protocol.pb import backend_pb2 as pb

ROOT = Path(__file__).resolve().parent.parent
PB_DIR = ROOT / "src" / "cloudwatch_datasource" / "protocol" / "pb"
PROTOS = ["backend.proto", "grpc_controller.proto", "grpc_stdio.proto"]


@pytest.mark.processes  # runs protoc
def test_committed_stubs_are_up_to_date(tmp_path: Path) -> None:
    # The same command as `make proto`, into a scratch folder; any difference means someone forgot `make proto`.
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-Icloudwatch_datasource/protocol/pb=proto",
         f"--python_out={tmp_path}", f"--grpc_python_out={tmp_path}", f"--pyi_out={tmp_path}",
         *[f"proto/{p}" for p in PROTOS]],
        cwd=ROOT, check=True,
    )
    generated = sorted((tmp_path / "cloudwatch_datasource" / "protocol" / "pb").glob("*_pb2*"))
    assert len(generated) == 9
    for fresh in generated:
        committed = PB_DIR / fresh.name
        assert committed.exists(), f"{fresh.name} is not committed; run `make proto`"
        assert committed.read_bytes() == fresh.read_bytes(), f"{fresh.name} is stale; run `make proto`"


def _fields(message: type) -> dict[str, tuple[int, int]]:
    return {f.name: (f.number, f.type) for f in message.DESCRIPTOR.fields}  # type: ignore[attr-defined]


def test_wire_contract_matches_grafana_protocol_v2() -> None:
    assert pb.DESCRIPTOR.package == "pluginv2"
    services = {s.name: [m.name for m in s.methods] for s in pb.DESCRIPTOR.services_by_name.values()}
    assert services["Data"] == ["QueryData", "QueryChunkedData"]
    assert services["Diagnostics"] == ["CheckHealth", "CollectMetrics"]
    assert services["Resource"] == ["CallResource"]
    assert pb.DESCRIPTOR.services_by_name["Resource"].methods_by_name["CallResource"].server_streaming
    B, S, I64, I32, MSG, ENUM = 12, 9, 3, 5, 11, 14  # FieldDescriptor type codes
    assert _fields(pb.DataSourceInstanceSettings)["jsonData"] == (8, B)
    assert _fields(pb.DataSourceInstanceSettings)["uid"] == (11, S)
    assert _fields(pb.DataSourceInstanceSettings)["lastUpdatedMS"] == (10, I64)
    assert _fields(pb.PluginContext)["grafanaConfig"][0] == 6
    assert _fields(pb.PluginContext)["namespace"] == (10, S)
    assert _fields(pb.DataQuery) == {"refId": (1, S), "maxDataPoints": (2, I64), "intervalMS": (3, I64),
                                     "timeRange": (4, MSG), "json": (5, B), "queryType": (6, S)}
    assert _fields(pb.DataResponse) == {"frames": (1, B), "error": (2, S), "jsonMeta": (3, B), "status": (4, I32),
                                        "errorSource": (5, S), "format": (6, ENUM)}
    assert _fields(pb.CheckHealthResponse) == {"status": (1, ENUM), "message": (2, S), "jsonDetails": (3, B)}
    assert _fields(pb.CallResourceResponse)["code"] == (1, I32)
    assert _fields(pb.AppInstanceSettings)["jsonData"] == (3, B)
