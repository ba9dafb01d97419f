"""Keeping secrets out of text: the one place that knows what a key id, a secret key or a token looks like, and
that cuts a datasource's own secrets out by value.

Used by settings' repr, AWS error messages, every log line (logs.py) and every answer the service sends
(scrubbing.py), so a secret that slips into an exception (an STS answer quoted by a parser error, a signed request
echoed by AWS, a header value botocore refuses) is cut out wherever it lands.
"""

from __future__ import annotations

import functools
import html
import json
import re
import threading
import urllib.parse
from collections import OrderedDict
from collections.abc import Iterable

_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{12,}\b")
# Secret keys are 40 base64 characters, session tokens hundreds; ARNs, paths and ids have separators in between.
_LONG_BASE64 = re.compile(r"[A-Za-z0-9/+=]{40,}")
# user:password@ in a URL (a proxy URL quoted by a connection error): the password goes, the user name stays.
# The password runs to the authority's last "@" (an unencoded "@" inside it still works for botocore).
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*):[^\s/\"'<>]*@")


def redact_access_key(access_key: str) -> str:
    """Show enough of an access key id to recognise it (AKIA…WXYZ), never the whole id."""
    if not access_key:
        return ""
    if len(access_key) <= 8:
        return "****"
    return f"{access_key[:4]}…{access_key[-4:]}"


def scrub_secrets(text: str) -> str:
    """Shorten anything shaped like an access key id; remove long base64 runs (secret keys, session tokens) and
    the password of a URL's user info."""
    if not text:
        return text
    text = _URL_PASSWORD.sub(r"\1:***@", text)
    text = _KEY_ID.sub(lambda m: redact_access_key(m.group(0)), text)
    return _LONG_BASE64.sub("<redacted>", text)


def redact_url(url: str) -> str:
    """A URL (with or without a scheme, as proxy variables are written) with its password replaced by ***."""
    try:
        parts = urllib.parse.urlsplit(url if "://" in url else f"http://{url}")
    except ValueError:
        return "<unparsable URL>"
    if parts.password is None:
        return scrub_secrets(url)
    host = parts.netloc.rsplit("@", 1)[1]
    shown = parts._replace(netloc=f"{parts.username}:***@{host}").geturl()
    return shown if "://" in url else shown.removeprefix("http://")


# --- Secrets by value ----------------------------------------------------------------------------------------
# The patterns above only know what AWS credentials look like. A datasource's own secrets are known exactly, so
# they are cut out by value as well, whatever they look like: short, with quotes or line breaks, and in the forms
# other code prints them in (botocore's header-validation error shows a header value as a bytes repr, JSON and
# URLs escape them, a log or message may break at a line break inside one).
REDACTED = "<redacted>"
# A secret is also cut out piecewise between its control characters; pieces shorter than this are too common in
# ordinary text to remove everywhere (the whole value and its escaped forms are removed at any length).
MIN_SECRET_PIECE = 4
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def secret_forms(value: str) -> frozenset[str]:
    """Every spelling of one secret that text leaving the plugin may contain."""
    if not value:
        return frozenset()
    forms = {value, value.strip()}
    for text in (value, value.strip()):
        forms.add(json.dumps(text)[1:-1])
        forms.add(json.dumps(text, ensure_ascii=False)[1:-1])
        forms.add(repr(text)[1:-1])
        forms.add(repr(text.encode("utf-8", "surrogatepass"))[2:-1])
        forms.add(urllib.parse.quote(text, safe=""))
        forms.add(urllib.parse.quote_plus(text))
        forms.add(html.escape(text))
        forms.add(html.escape(text, quote=False))
    forms.update(p for p in _CONTROL.split(value) if len(p.strip()) >= MIN_SECRET_PIECE)
    forms.discard("")
    return frozenset(forms)


class SecretScrubber:
    """Replaces every form of the given secrets with REDACTED, longest form first, in one pass (a secret that is
    part of the marker cannot be put back by it)."""

    def __init__(self, values: Iterable[str], *, forms: Iterable[str] = ()) -> None:
        every = {form for value in values for form in secret_forms(value)} | set(forms)
        self._forms = tuple(sorted(every, key=lambda f: (-len(f), f)))

    def __bool__(self) -> bool:
        return bool(self._forms)

    def __call__(self, text: str) -> str:
        if not text or not self._forms:
            return text
        hits = [form for form in self._forms if form in text]  # str `in` is fast; most texts hold no secret
        if not hits:
            return text
        return re.compile("|".join(map(re.escape, hits))).sub(REDACTED, text)


@functools.lru_cache(maxsize=256)
def scrubber_for(values: tuple[str, ...]) -> SecretScrubber:
    """One datasource's scrubber, cached (a request parses the same settings again and again)."""
    return SecretScrubber(values)


class _RecentSecrets:
    """The secrets of the datasources seen lately, for text that leaves the plugin without a request at hand:
    log lines (written from worker threads and botocore) and metric labels. Bounded: the least recently seen
    datasources' secrets are forgotten first."""

    def __init__(self, capacity: int = 256) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._seen: OrderedDict[tuple[str, ...], frozenset[str]] = OrderedDict()  # values → their forms
        self._scrubber = SecretScrubber(())

    def remember(self, values: Iterable[str]) -> None:
        key = tuple(sorted({v for v in values if v}))
        if not key:
            return
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return
            self._seen[key] = frozenset(form for value in key for form in secret_forms(value))
            while len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
            self._scrubber = SecretScrubber((), forms=(form for forms in self._seen.values() for form in forms))

    def __call__(self, text: str) -> str:
        return self._scrubber(text)

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()
            self._scrubber = SecretScrubber(())


RECENT_SECRETS = _RecentSecrets()


def remember_secrets(values: Iterable[str]) -> None:
    """Register a datasource's secrets for scrub_logged (settings parsing calls this before any validation)."""
    RECENT_SECRETS.remember(values)


def scrub_logged(text: str) -> str:
    """Text for a log line or a metric label: the recent datasources' secrets by value, then the patterns."""
    return scrub_secrets(RECENT_SECRETS(text)) if text else text
