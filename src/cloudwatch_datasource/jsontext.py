"""Finding text that is not text: JSON's `\\uD800`-style escapes can put a lone UTF-16 surrogate into a Python
string, which no UTF-8 encoder accepts (protobuf, Arrow, botocore's request signing, the JSON log lines). One such
string in a query or in jsonData must fail with an error naming its field, where it entered, instead of as an
encoding error far downstream that takes every refId of the request with it (issue 13, case 5).
"""

from __future__ import annotations

from typing import Any


def is_text(value: str) -> bool:
    """True when the string can be encoded as UTF-8 (holds no lone surrogate)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def lone_surrogate_path(value: Any, path: str = "") -> str | None:
    """The dotted path of the first key or string holding a lone surrogate in a parsed JSON value, else None
    ("" for the value itself). Iterative: JSON nesting may be deep."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if not is_text(item):
                return where
        elif isinstance(item, dict):
            for key, child in item.items():
                key_text = str(key)
                child_path = f"{where}.{key_text}" if where else key_text
                if not is_text(key_text):
                    return f"{where} (a key)" if where else "(a key)"
                stack.append((child, child_path))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))
    return None


def safe_text(value: str) -> str:
    """The string with any lone surrogate replaced by U+FFFD: for text leaving the process (messages)."""
    return value if is_text(value) else value.encode("utf-8", "replace").decode("utf-8")
