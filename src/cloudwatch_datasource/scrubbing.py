"""Every answer the plugin sends, scrubbed of the request's own datasource secrets by value.

The service's three answering RPCs pass their result through here just before returning it, so no stage has to
remember: per-refId errors and frame notices (QueryData), the health message and jsonDetails (CheckHealth), error
bodies (CallResource). Only this datasource's secrets are used (settings.datasource_secrets), so a short
password of another datasource never mangles this one's messages; log lines, which have no request at hand, use
the recently seen secrets instead (redact.scrub_logged). The pattern rules of redact.scrub_secrets (key ids,
secret-shaped runs, URL passwords) run after the values.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from .backend import CallResourceResponse, CheckHealthResult, DataResponse, PluginContext
from .data import Frame, Notice
from .redact import SecretScrubber, scrub_secrets, scrubber_for
from .settings import datasource_secrets


def request_scrubber(ctx: PluginContext) -> SecretScrubber:
    """The scrubber for the secrets of the request's datasource (empty when it has none)."""
    return scrubber_for(datasource_secrets(ctx.datasource))


def _text(scrub: SecretScrubber, text: str) -> str:
    return scrub_secrets(scrub(text)) if text else text


def data_responses(answers: dict[str, DataResponse], scrub: SecretScrubber) -> dict[str, DataResponse]:
    """Errors and frame notices; frame data is AWS's answer to the user's own query and is left as it is."""
    for answer in answers.values():
        answer.error = _text(scrub, answer.error)
        answer.frames = [_frame(f, scrub) for f in answer.frames]
    return answers


def _frame(frame: Frame, scrub: SecretScrubber) -> Frame:
    notices = frame.meta.get("notices") if isinstance(frame.meta, Mapping) else None
    if not notices:
        return frame
    cleaned = [dataclasses.replace(n, text=_text(scrub, n.text)) if isinstance(n, Notice) else n for n in notices]
    return dataclasses.replace(frame, meta={**frame.meta, "notices": cleaned})


def health(result: CheckHealthResult, scrub: SecretScrubber) -> CheckHealthResult:
    details = {k: _deep(v, scrub) for k, v in result.details.items()}
    return CheckHealthResult(result.status, _text(scrub, result.message), details)


def _deep(value: Any, scrub: SecretScrubber) -> Any:
    if isinstance(value, str):
        return _text(scrub, value)
    if isinstance(value, Mapping):
        return {k: _deep(v, scrub) for k, v in value.items()}  # keys are the plugin's own names
    if isinstance(value, list | tuple):
        return [_deep(v, scrub) for v in value]
    return value


def resource(response: CallResourceResponse, scrub: SecretScrubber) -> CallResourceResponse:
    """Error bodies (status ≥ 400): JSON ones string by string, so a secret holding a quote cannot break the JSON,
    plain-text ones (the variable routes' `unexpected error …`) as text."""
    if response.status < 400 or not response.body:
        return response
    try:
        text = response.body.decode("utf-8")
    except UnicodeDecodeError:
        text = response.body.decode("utf-8", "replace")
    try:
        body = json.dumps(_deep(json.loads(text), scrub)).encode()
    except (ValueError, RecursionError):
        body = _text(scrub, text).encode()
    return dataclasses.replace(response, body=body)
