"""The AWS namespaces the editor offers without asking AWS, with their metric names and dimension keys.

The facts live in one committed data file, `data/namespaces.json` (its `_source` and `_retrieved` keys say where
they come from and when: AWS's "AWS services that publish CloudWatch metrics" page and each service's metrics
page). The frontend reads the same answers through the `namespaces`, `metrics` and `dimension-keys` routes.

A namespace that is not listed (or that the datasource lists as custom) is answered from ListMetrics, so a
missing entry costs an AWS call, never a wrong answer; a listed name that does not exist would make the pickers
offer metrics no query can return, which is why tests/cloudwatch/test_namespaces.py checks the file.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

DATA_FILE = "data/namespaces.json"


@dataclass(frozen=True)
class KnownNamespace:
    metrics: tuple[str, ...]  # sorted, unique
    dimension_keys: tuple[str, ...]  # sorted, unique; may be empty (e.g. AWS/EC2/API publishes none)


@functools.cache
def known_namespaces() -> Mapping[str, KnownNamespace]:
    """Namespace → its metrics and dimension keys, read once from the package's data file."""
    text = resources.files(__package__).joinpath(DATA_FILE).read_text(encoding="utf-8")
    entries = json.loads(text)["namespaces"]
    return {name: KnownNamespace(tuple(entry["metrics"]), tuple(entry["dimensionKeys"]))
            for name, entry in entries.items()}
