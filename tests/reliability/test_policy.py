"""The operator's [aws] switches cannot be bypassed through any spelling of any field.

Oracle, from the AWS side: the fake endpoint records which access key signed every call. With assume role
disabled no AssumeRole call ever arrives; a key from a provider that is not allowed never signs a call (the
datasource's keys ↔ `keys`, the environment's ↔ `default`); refusals say why. One plugin service (and so one
client cache) serves all examples, so a session cached under a permissive policy must not serve a strict one.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support.fake_aws import ASSUMED_KEY

from cloudwatch_datasource.protocol.host import datasource_settings, plugin_context
from cloudwatch_datasource.protocol.pb import backend_pb2 as pb

from .helpers import ENV_KEY_ID, KEY_ID, LEAKS, metric_query, secure_keys

POLICY = settings(derandomize=True, deadline=None, max_examples=200, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
CASES: dict[str, int] = {}
ROLE = "arn:aws:iam::123456789012:role/forbidden"
PROVIDERS = ["default", "keys", "credentials", "ec2_iam_role", "grafana_assume_role"]


def _spellings(word: str) -> st.SearchStrategy[str]:
    """Every upper/lower case mix of the word (assumeRoleARN, ASSUMEROLEARN, ...)."""
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda flips: "".join(c.upper() if f else c.lower() for c, f in zip(word, flips, strict=True)))


auth_types = (st.sampled_from([*PROVIDERS, "sharedCreds", "arn", "", "KEYS", "Keys", "Default", "keys ", " keys",
                               "default\x00", "ec2_IAM_role", "grafana_assume_role "])
              | _spellings("keys") | _spellings("default") | st.text(max_size=12))
role_fields = st.dictionaries(_spellings("assumeRoleArn") | st.sampled_from(["assume_role_arn", "roleArn",
                                                                             "assumeRoleArn "]),
                              st.sampled_from([ROLE, "", " ", f" {ROLE} "]), max_size=3)


@POLICY
# An allowed `credentials` datasource with no credentials file: no AWS call, and the 401 of "no credentials found".
@example(auth_type="credentials", roles={}, allowed={"credentials"}, assume_enabled="true", extra={})
@given(auth_type=auth_types, roles=role_fields, allowed=st.sets(st.sampled_from(PROVIDERS)),
       assume_enabled=st.sampled_from(["true", "false", "False", "0", "no", "off", "garbage", ""]),
       extra=st.dictionaries(st.sampled_from(["externalId", "profile", "region", "defaultRegion"]),
                             st.sampled_from(["", "x", "us-east-1"]), max_size=2))
def test_operator_switches_hold_for_every_spelling(world: Any, auth_type: str, roles: dict[str, str],
                                                   allowed: set[str], assume_enabled: str,
                                                   extra: dict[str, str]) -> None:
    data, diagnostics, resource, fake = world
    json_model: dict[str, Any] = {"defaultRegion": "us-east-1", **extra, "authType": auth_type, **roles,
                                  "endpoint": fake.url}
    if not json_model["defaultRegion"]:
        json_model["defaultRegion"] = "us-east-1"
    config = {"AWS_AUTH_AllowedAuthProviders": ",".join(sorted(allowed)) or " , ",
              "AWS_AUTH_AssumeRoleEnabled": assume_enabled}
    ds = datasource_settings(json_model, secure_keys(), uid=f"policy-{hash(json.dumps(json_model)) % 50}")
    ctx = plugin_context(ds, config)
    with fake._lock:
        fake.requests.clear()

    resp = data.QueryData(pb.QueryDataRequest(pluginContext=ctx, queries=[metric_query("A", 1)]), None)
    health = diagnostics.CheckHealth(pb.CheckHealthRequest(pluginContext=ctx), None)
    regions = list(resource.CallResource(pb.CallResourceRequest(pluginContext=ctx, path="metrics", method="GET",
                                                                url="metrics?region=us-east-1&namespace=X"),
                                         None))
    LEAKS.add_query_response(resp)
    LEAKS.add_health(health)
    LEAKS.add_resource(regions)

    keys_seen = fake.keys_seen()
    assume_on = assume_enabled in ("true", "")  # empty → unset → Grafana's default (enabled)
    if not assume_on:
        assert fake.count("AssumeRole") == 0, (json_model, config)
        assert ASSUMED_KEY not in keys_seen
    if "keys" not in allowed:
        assert KEY_ID not in keys_seen, (json_model, config)
    if "default" not in allowed:
        assert ENV_KEY_ID not in keys_seen, (json_model, config)
    if not keys_seen:
        # refused before any AWS call: the refusal names the switch (400), or no credentials were found where the
        # datasource says to look (401, as aws/sessions.py reports it whatever the auth type)
        error = resp.responses["A"].error
        expected_status = 401 if error.startswith("no AWS credentials found") else 400
        assert error and resp.responses["A"].status == expected_status, resp
        assert ("non-allowed auth method" in error or "assume role" in error or "Grafana Cloud" in error
                or "needs Access Key ID" in error or "no AWS credentials" in error or "not allowed" in error), error
        assert health.status == pb.CheckHealthResponse.ERROR
    CASES["policy"] = CASES.get("policy", 0) + 1
