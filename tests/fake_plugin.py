"""A tiny stand-in plugin for the Go host's own tests (tests/test_go_host.py): it speaks go-plugin's handshake
and answers every QueryData with one frame chosen by its argument, so the tests can prove that the SDK-based host
catches what Grafana would reject. Never shipped; the real plugin has no such hook.

    fake_plugin.py garbage    frames that are not Arrow at all (data.UnmarshalArrowFrames fails)
    fake_plugin.py untyped    a valid Arrow frame without frame metadata (the dataplane readers refuse it)

Every CallResource is answered in three messages (status and headers first, then more body), as a plugin streams
a large resource body.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from cloudwatch_datasource.data import Field, FieldType, Frame
from cloudwatch_datasource.protocol.arrow import encode_frame
from cloudwatch_datasource.protocol.pb import backend_pb2 as pb
from cloudwatch_datasource.protocol.pb import backend_pb2_grpc, grpc_controller_pb2, grpc_controller_pb2_grpc

T0 = 1_700_000_000_000_000_000


def frame_bytes(mode: str) -> bytes:
    if mode == "garbage":
        return b"ARROW1\x00\x00 these bytes are not an Arrow IPC file ARROW1"
    untyped = Frame(name="untyped", ref_id="A", fields=[Field("Time", FieldType.TIME, [T0]),
                                                        Field("Value", FieldType.NUMBER, [1.0])])
    return encode_frame(untyped)


class Data(backend_pb2_grpc.DataServicer):
    def __init__(self, mode: str) -> None:
        self.frame = frame_bytes(mode)

    def QueryData(self, request: pb.QueryDataRequest, context: Any) -> pb.QueryDataResponse:  # noqa: N802
        return pb.QueryDataResponse(responses={
            q.refId: pb.DataResponse(frames=[self.frame], status=200) for q in request.queries})


class Resource(backend_pb2_grpc.ResourceServicer):
    def CallResource(self, request: pb.CallResourceRequest, context: Any  # noqa: N802
                     ) -> Iterator[pb.CallResourceResponse]:
        yield pb.CallResourceResponse(code=200, body=b"first;",
                                      headers={"Content-Type": pb.StringList(values=["text/plain"])})
        yield pb.CallResourceResponse(body=b"second;")
        yield pb.CallResourceResponse(body=request.path.encode())


class Controller(grpc_controller_pb2_grpc.GRPCControllerServicer):
    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop

    def Shutdown(self, request: grpc_controller_pb2.Empty, context: Any) -> grpc_controller_pb2.Empty:  # noqa: N802
        self.stop.set()
        return grpc_controller_pb2.Empty()


def main() -> None:
    stop = threading.Event()
    server = grpc.server(futures.ThreadPoolExecutor(4))
    backend_pb2_grpc.add_DataServicer_to_server(Data(sys.argv[1]), server)
    backend_pb2_grpc.add_ResourceServicer_to_server(Resource(), server)
    grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server(Controller(stop), server)
    checks = health.HealthServicer()
    checks.set("plugin", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(checks, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"1|2|tcp|127.0.0.1:{port}|grpc", flush=True)
    stop.wait()
    server.stop(0)


if __name__ == "__main__":
    main()
