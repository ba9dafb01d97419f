"""The go-plugin handshake, as grafana-server's go-plugin client expects it.

go-plugin's handshake (hashicorp/go-plugin docs/internals.md; Grafana's constants in grafana-plugin-sdk-go
backend/grpcplugin): the host sets the magic cookie `grafana_plugin_type=datasource` and PLUGIN_PROTOCOL_VERSIONS,
starts us, and reads exactly one line from our stdout: `CORE|APP|NETWORK|ADDR|PROTOCOL` =
`1|2|tcp|127.0.0.1:<port>|grpc` (or `1|2|unix|<path>|grpc`). Anything printed to stdout before it breaks the start; a
sixth field would be taken for an AutoMTLS certificate, so there is none.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass

MAGIC_COOKIE_KEY = "grafana_plugin_type"
MAGIC_COOKIE_VALUE = "datasource"
CORE_PROTOCOL_VERSION = 1
APP_PROTOCOL_VERSION = 2

NOT_STARTED_BY_GRAFANA = (
    "This program is a Grafana backend plugin (CloudWatch datasource). It is meant to be started by "
    "grafana-server, not run by hand.\n"
    "  - To use it, copy the plugin folder into Grafana's plugins directory and allow it in grafana.ini:\n"
    "      [plugins]\n      allow_loading_unsigned_plugins = pyaws-cloudwatch-datasource\n"
    "  - To try it without Grafana, run `make run` in the source tree (a demo against a local AWS emulator).\n"
    f"(missing environment variable {MAGIC_COOKIE_KEY}={MAGIC_COOKIE_VALUE})\n"
)


class HandshakeError(Exception):
    """The host did not start us the way go-plugin does; the message is for a human on stderr."""


@dataclass(frozen=True)
class Listen:
    network: str  # "tcp" or "unix"
    address: str  # "127.0.0.1:0" or an absolute socket path

    @property
    def grpc_target(self) -> str:
        return f"unix:{self.address}" if self.network == "unix" else self.address


def check_environment(environ: Mapping[str, str]) -> None:
    """Raise HandshakeError unless started by a go-plugin host offering protocol version 2."""
    if environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        raise HandshakeError(NOT_STARTED_BY_GRAFANA)
    offered = environ.get("PLUGIN_PROTOCOL_VERSIONS")
    # go-plugin always sends the list; a host that sends none negotiates the handshake's own version (2).
    if offered is not None:
        versions = {v.strip() for v in offered.split(",") if v.strip()}
        if str(APP_PROTOCOL_VERSION) not in versions:
            raise HandshakeError(
                f"The plugin host offered plugin protocol versions {offered!r}, but this plugin speaks only "
                f"version {APP_PROTOCOL_VERSION} (Grafana's plugin protocol v2). Use a Grafana version that "
                "supports backend plugin protocol v2 (Grafana 7 or newer).\n"
            )


def choose_listener(environ: Mapping[str, str]) -> Listen:
    """TCP on loopback, or a unix socket when the host asks for one in PLUGIN_UNIX_SOCKET_DIR."""
    socket_dir = environ.get("PLUGIN_UNIX_SOCKET_DIR")
    if socket_dir:
        # mkstemp gives a unique name the host can't collide with; the socket replaces the placeholder file.
        fd, path = tempfile.mkstemp(prefix="plugin", suffix=".sock", dir=socket_dir)
        os.close(fd)
        os.unlink(path)
        return Listen("unix", path)
    return Listen("tcp", "127.0.0.1:0")


def handshake_line(listen: Listen, port: int) -> str:
    address = listen.address if listen.network == "unix" else f"127.0.0.1:{port}"
    return f"{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|{listen.network}|{address}|grpc\n"


def announce(line: str) -> None:
    """Write the handshake line, flush, then point fd 1 at stderr so nothing else can ever reach stdout
    (a stray print from us or a C library would be thrown away by the host at best)."""
    sys.stdout.write(line)
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
