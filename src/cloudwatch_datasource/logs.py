"""Logging: structlog → one JSON object per line on stderr, in the shape go-plugin parses.

go-plugin's host reads the plugin's stderr line by line (hashicorp/go-plugin client.go, logStderr): a JSON object with
string `@level` (trace|debug|info|warn|error) and string `@message` becomes a structured Grafana log line, and every
other key becomes a field. We omit `@timestamp`: a present but unparsable one makes the host treat the whole line as
plain text, and Grafana stamps its own time anyway. stdout is never touched: it is the handshake channel.

Level: `[plugin.<id>] log_level = debug` in grafana.ini reaches us as GF_PLUGIN_LOG_LEVEL.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO

import structlog

from .redact import scrub_logged

_LEVELS = {"trace": logging.DEBUG, "debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
           "warning": logging.WARNING, "error": logging.ERROR}
# hclog's level names; "warning" or "critical" would be logged by the host as raw debug text.
_HCLOG_NAMES = {"debug": "debug", "info": "info", "warning": "warn", "warn": "warn", "error": "error",
                "critical": "error", "exception": "error"}


def _to_hclog(_: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> Mapping[str, Any]:
    level = _HCLOG_NAMES.get(str(event_dict.pop("level", method_name)).lower(), "info")
    message = event_dict.pop("event", "")
    out: dict[str, Any] = {"@level": level, "@message": str(message), "@module": str(event_dict.pop("logger", ""))}
    out.update(event_dict)
    if not out["@module"]:
        del out["@module"]
    return out


_OWN_FIELDS = frozenset({"@level", "@module"})


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_logged(value)
    if isinstance(value, Mapping):
        return {str(k): _scrub(v) for k, v in value.items()}  # keys are the code's own field names
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return scrub_logged(str(value))


def _render(_: Any, __: str, event_dict: Mapping[str, Any]) -> str:
    # Last line of defence: whatever a message, field (nested ones too) or traceback carries, the secrets of the
    # datasources seen lately (by value, redact.scrub_logged), key ids and secret-shaped runs are cut out before
    # the line reaches Grafana's log (botocore logs failed credential refreshes with their exception). Strings are
    # scrubbed before JSON encoding, so a secret with a quote or a line break is matched as it was.
    # @level and @module are the plugin's own words, which go-plugin must read as they are (a short secret such as
    # "in" must not turn "info" into something hclog does not know).
    scrubbed = {k: v if k in _OWN_FIELDS else _scrub(v) for k, v in event_dict.items()}
    return json.dumps(scrubbed, ensure_ascii=False, separators=(",", ":"))


def configure(level: str | None = None, stream: TextIO | None = None) -> None:
    """Configure structlog (and stdlib logging, for botocore/grpc) to write go-plugin JSON lines to stderr."""
    name = (level or os.environ.get("GF_PLUGIN_LOG_LEVEL") or "info").strip().lower()
    numeric = _LEVELS.get(name, logging.INFO)
    out = stream or sys.stderr
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.format_exc_info,
            _to_hclog,
            _render,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(_StdlibJsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    # botocore at debug logs full request headers (signed, but with the session token): never below INFO.
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))


class _StdlibJsonFormatter(logging.Formatter):
    """stdlib records (from structlog's LoggerFactory and third-party libraries) as go-plugin JSON."""

    def format(self, record: logging.LogRecord) -> str:
        msg = record.getMessage()
        if isinstance(record.msg, str) and msg.startswith("{") and '"@level"' in msg:
            return msg  # already rendered by structlog
        out = {"@level": _HCLOG_NAMES.get(record.levelname.lower(), "info"), "@message": scrub_logged(msg),
               "@module": record.name}
        if record.exc_info:
            out["error"] = scrub_logged(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, separators=(",", ":"))
