"""Read a datasource definition from a file, in the shape Grafana provisions it.

Accepted: a JSON or YAML-free JSON object `{"uid", "name", "jsonData": {...}, "secureJsonData": {...}}`, or a
provisioning-style `{"datasources": [ {...} ]}` (the first one is used). Secrets may be given as `$ENV_NAME`
references so they need not be written into the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..backend import DataSourceInstance


def load_datasource(path: str) -> DataSourceInstance:
    raw: Any = json.loads(Path(path).read_text())
    if isinstance(raw, dict) and isinstance(raw.get("datasources"), list) and raw["datasources"]:
        raw = raw["datasources"][0]
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a JSON object with jsonData/secureJsonData")
    secure = {k: _expand(str(v)) for k, v in (raw.get("secureJsonData") or {}).items()}
    return DataSourceInstance(
        uid=str(raw.get("uid", "cli")), name=str(raw.get("name", "CloudWatch")),
        database=str(raw.get("database", "")),
        json_data=json.dumps(raw.get("jsonData") or {}).encode(),
        decrypted_secure_json_data=secure, last_updated_ms=int(Path(path).stat().st_mtime * 1000),
    )


def _expand(value: str) -> str:
    if value.startswith("$") and len(value) > 1:
        return os.environ.get(value[1:].strip("{}"), "")
    return value
