"""Keeping AWS secrets out of text: the one place that knows what a key id, a secret key or a token looks like.

Used by settings' repr, AWS error messages and every log line (logs.py), so a secret that slips into an
exception (an STS answer quoted by a parser error, a signed request echoed by AWS) is cut out wherever it lands.
"""

from __future__ import annotations

import re
import urllib.parse

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
