"""CloudWatch metrics: the query pipeline (query → plan → execute → frames), health checks and
resource routes.

Each stage is its own module and, where it can be, a pure function; `pipeline.run_metric_queries` wires them.
Nothing here knows about protobuf or credentials: callers pass a `ClientFactory` that builds botocore clients.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# (region, service_name) → a botocore client, e.g. ("eu-west-1", "cloudwatch"). It may raise a PluginError
# (an auth failure, a missing region): only the queries or route needing that client fail.
ClientFactory = Callable[[str, str], Any]
