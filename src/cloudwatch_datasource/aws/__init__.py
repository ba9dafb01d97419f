"""The AWS client layer: credentials per Grafana auth type and the client cache (sessions.py, providers.py),
endpoints and proxy, botocore hooks (timestamps, body checks, call counting), and the one error vocabulary.

Its public face is this module. Outside it, clients come from `AwsSessions.get(...).client(name)` and every AWS
call runs inside `with aws_call("Operation", region=..., datasource=...)` (calls.py), which describes what
botocore raises and counts it: no module outside `aws/` imports botocore's exceptions
(tests/auth/test_aws_layer.py). See docs/design.md ("The AWS layer") and docs/auth.md.
"""

from .aws_errors import describe_aws_error, error_code, error_code_label, is_throttled, scrub
from .calls import AwsFailure, RecentFailure, aws_call, aws_failure, describe_error, forget_failures, recent_failures
from .endpoints import OPT_IN_REGIONS, EndpointRules, endpoint_rules, sts_region
from .proxy import botocore_proxies
from .sessions import USER_AGENT_EXTRA, AwsSession, AwsSessions

__all__ = [
    "OPT_IN_REGIONS",
    "USER_AGENT_EXTRA",
    "AwsFailure",
    "AwsSession",
    "AwsSessions",
    "EndpointRules",
    "RecentFailure",
    "aws_call",
    "aws_failure",
    "botocore_proxies",
    "describe_aws_error",
    "describe_error",
    "endpoint_rules",
    "error_code",
    "error_code_label",
    "forget_failures",
    "is_throttled",
    "recent_failures",
    "scrub",
    "sts_region",
]
