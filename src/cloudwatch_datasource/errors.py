"""Errors as values: a user-facing message plus who is at fault (plugin vs downstream).

Grafana distinguishes `errorSource` "plugin" (our bug or the user's bad input to us) from "downstream" (AWS said
no, the network failed). The service turns a PluginError into a per-refId DataResponse error, a health line or a
resource error body. Messages must never contain a secret: they are built from field names and AWS error text,
never from settings values marked secret.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorSource(StrEnum):
    PLUGIN = "plugin"
    DOWNSTREAM = "downstream"


class PluginError(Exception):
    """An error with a message fit to show a Grafana user, an HTTP-like status and an error source."""

    def __init__(self, message: str, *, status: int = 400, source: ErrorSource = ErrorSource.PLUGIN) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.source = source

    def __str__(self) -> str:
        return self.message


class SettingsError(PluginError):
    """The datasource's jsonData/secureJsonData cannot be used as given."""


class QueryError(PluginError):
    """One query's JSON or time range cannot be used as given; only its refId fails."""


class DownstreamError(PluginError):
    """AWS (or the network to it) refused or failed."""

    def __init__(self, message: str, *, status: int = 502) -> None:
        super().__init__(message, status=status, source=ErrorSource.DOWNSTREAM)
