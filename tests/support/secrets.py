"""How a secret can show up in a text, for the secrets scans (tests/test_zz_secrets.py,
tests/reliability/test_zz_no_secrets.py, tests/test_scrubbed_by_value.py).

Written independently of the plugin's own list (src/cloudwatch_datasource/redact.py, secret_forms), so a form the
plugin forgets is still found: the value as is and trimmed, JSON-, Python- and bytes-repr-escaped (botocore quotes
a header value it refuses as b'...'), percent-encoded (URLs), and each piece between its line breaks or other control
characters when the piece is at least MIN_PIECE characters (a text may break where the secret does).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterable

MIN_PIECE = 4
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def spellings(secret: str) -> set[str]:
    out = {secret, secret.strip()}
    for text in (secret, secret.strip()):
        out |= {json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1], repr(text)[1:-1],
                repr(text.encode("utf-8", "surrogatepass"))[2:-1], urllib.parse.quote(text, safe=""),
                urllib.parse.quote(text)}
    out |= {piece.strip() for piece in _CONTROL.split(secret) if len(piece.strip()) >= MIN_PIECE}
    return {s for s in out if s}


def find_leaks(texts: Iterable[str], secrets: Iterable[str]) -> list[tuple[str, str, str]]:
    """(secret prefix, form found, start of the text) for every text holding any spelling of any secret."""
    forms = {form: secret for secret in secrets for form in spellings(secret)}
    return [(forms[form][:6] + "…", form[:20], text[:160]) for text in texts for form in forms if form in text]
