"""Command line: no arguments = run as a Grafana plugin (go-plugin handshake); subcommands for people.

- (none) / `serve`: started by grafana-server; speaks the plugin protocol.
- `doctor --settings FILE`: explain how credentials would be resolved for a datasource, outside Grafana.
- `query --settings FILE --query FILE`: run a query JSON against a datasource and print the frames as a table.
- `demo`: start a local AWS emulator, seed it, launch the plugin through the real handshake and query it.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] == "serve":
        from .protocol.server import serve

        return serve()
    command, rest = args[0], args[1:]
    if command == "doctor":
        from .tools.doctor import main as doctor_main

        return doctor_main(rest)
    if command == "query":
        from .tools.query import main as query_main

        return query_main(rest)
    if command == "demo":
        from .tools.demo import main as demo_main

        return demo_main(rest)
    sys.stderr.write(f"unknown command {command!r}; commands: serve (default), doctor, query, demo\n")
    return 2
