"""Everything about Grafana's wire: generated stubs (pb/), the go-plugin handshake, the gRPC server, the
proto ⇄ domain conversion and the Arrow frame encoding. Nothing outside this package imports `*_pb2`."""
