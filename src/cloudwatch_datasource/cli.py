"""Command line: no arguments = run as a Grafana plugin (go-plugin handshake); subcommands for people.

- (none) / `serve`: started by grafana-server; speaks the plugin protocol.
- `doctor --settings FILE`: explain how credentials would be resolved for a datasource, outside Grafana.
- `query --settings FILE --query FILE`: run a query JSON against a datasource and print the frames as a table.
- `demo`: start a local AWS emulator, seed it, launch the plugin through the real handshake and query it.
- `migrate …`: point dashboards, alert rules and provisioning files at this plugin (or back to the built-in one).
"""

from __future__ import annotations

import importlib
import sys

# name → (module under cloudwatch_datasource.tools, one line for --help). Imported only when run: the plugin's
# own start (no arguments) must not pay for the tools' imports.
COMMANDS = {
    "doctor": ("doctor", "explain how a datasource's AWS credentials would be resolved, step by step"),
    "query": ("query", "run a query JSON copied from a Grafana panel and print the frames as tables"),
    "demo": ("demo", "local AWS emulator + the plugin through the real handshake: health check and queries"),
    "migrate": ("migrate", "move dashboards, alert rules and provisioning files to this plugin, or back"),
}

USAGE = "usage: cloudwatch-datasource [serve | COMMAND [--help] ...]\n"


def usage() -> str:
    lines = [USAGE, "\nWith no command (or `serve`) it runs as a Grafana plugin, started by grafana-server.\n",
             "\ncommands:\n"]
    lines += [f"  {name:<9} {text}\n" for name, (_, text) in COMMANDS.items()]
    lines.append("\n`cloudwatch-datasource COMMAND --help` describes each one.\n")
    return "".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] == "serve":
        from .protocol.server import serve

        return serve()
    command, rest = args[0], args[1:]
    if command in ("-h", "--help", "help"):
        sys.stdout.write(usage())
        return 0
    if command in COMMANDS:
        module = importlib.import_module(f".tools.{COMMANDS[command][0]}", __package__)
        result: int = module.main(rest)
        return result
    sys.stderr.write(f"unknown command {command!r}\n" + usage())
    return 2
