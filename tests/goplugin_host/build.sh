#!/bin/sh
# Build the go-plugin host with Debian's Go toolchain and go-plugin packages (GOPATH mode, no module proxy):
#   apt-get install golang-go golang-github-hashicorp-go-plugin-dev golang-github-hashicorp-go-hclog-dev \
#     golang-google-grpc-dev golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev \
#     protobuf-compiler libprotobuf-dev protoc-gen-go protoc-gen-go-grpc
# Usage: tests/goplugin_host/build.sh OUTPUT_BINARY
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$1
work="$root/build/gohost"
rm -rf "$work/gopath/src/pyaws"
mkdir -p "$work/gopath/src/pyaws/pluginv2" "$work/gopath/src/pyaws/host"
# Go stubs from the very proto file the Python plugin is generated from: the wire contract is tested, not assumed.
protoc -I "$root/proto" --go_out="$work/gopath/src/pyaws/pluginv2" --go_opt=paths=source_relative \
  --go-grpc_out="$work/gopath/src/pyaws/pluginv2" --go-grpc_opt=paths=source_relative "$root/proto/backend.proto"
cp "$here/main.go" "$work/gopath/src/pyaws/host/main.go"
cd "$work/gopath/src/pyaws/host"
GO111MODULE=off GOPATH="$work/gopath:/usr/share/gocode" GOCACHE="$work/gocache" GOFLAGS= go build -o "$out" .
