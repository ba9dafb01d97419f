"""Duration strings as Grafana and Go write them ("15m", "2h45m", "900", "1d").

Python's stdlib has no parser for Go's time.ParseDuration syntax or Grafana's gtime units (d/w/M/y), so this
small one exists; it accepts what both accept and nothing else.
"""

from __future__ import annotations

import re

_UNIT_SECONDS = {
    "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0,
    "d": 86400.0, "w": 7 * 86400.0, "M": 30 * 86400.0, "y": 365 * 86400.0,
}
_TERM = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w|M|y)")


def parse_duration_seconds(text: str) -> float:
    """Seconds in a duration string; a bare number means seconds. Raises ValueError with the text quoted."""
    value = text.strip()
    if not value:
        raise ValueError("empty duration")
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return float(value)
    pos, total = 0, 0.0
    for match in _TERM.finditer(value):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(value) or pos == 0:
        raise ValueError(f"invalid duration {value!r} (expected e.g. 300, 15m, 1h30m)")
    return total
