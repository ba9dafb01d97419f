"""AWS authentication: credentials per Grafana auth type, the operator's switches, and the client cache.

Everything that touches AWS gets its clients from `AwsSessions.get(...).client(name)` and turns botocore
exceptions into user-facing errors with `describe_aws_error`. See docs/auth.md.
"""

from .aws_errors import describe_aws_error, error_code, error_code_label, is_throttled
from .endpoints import OPT_IN_REGIONS, EndpointRules, endpoint_rules, sts_region
from .sessions import USER_AGENT_EXTRA, AwsSession, AwsSessions

__all__ = [
    "OPT_IN_REGIONS",
    "USER_AGENT_EXTRA",
    "AwsSession",
    "AwsSessions",
    "EndpointRules",
    "describe_aws_error",
    "error_code",
    "error_code_label",
    "is_throttled",
    "endpoint_rules",
    "sts_region",
]
