"""Bad input to logs and annotation queries (issue 18, "bad input as for metrics"): whatever the JSON holds, its
refId gets one answer, never an internal error, and a good logs query in the same request is answered as usual.
In process, against the one fake (tests/support/fake_aws.py); the process-level scans live in tests/reliability.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.fake_aws import FakeAws

from cloudwatch_datasource.backend import DataQuery, TimeRange
from cloudwatch_datasource.cloudwatch_logs import answer_queries

LOGS_KEYS = ["queryMode", "type", "region", "expression", "queryString", "queryLanguage", "logGroups",
             "logGroupNames", "statsGroups", "limit", "subtype", "queryId", "namespace", "metricName", "statistic",
             "statistics", "dimensions", "period", "prefixMatching", "alarmNamePrefix", "actionPrefix",
             "logsQueryScope", "logGroupPrefixes", "logGroupClass", "selectedAccountIds"]
text = st.text(max_size=12)
scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=True) | text
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.sampled_from(["arn", "name", "accountId", "x"]) | text, inner,
                                             max_size=3), max_leaves=8)
GOOD = {"queryMode": "Logs", "region": "us-east-1", "expression": "fields @message", "logGroupNames": ["/app"]}
RANGE = TimeRange(1_780_000_000_000, 1_780_003_600_000)


@pytest.fixture
def fake(fake_server: FakeAws) -> FakeAws:
    fake_server.reset()
    fake_server.logs.states = ["Complete"]
    return fake_server


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(model=st.dictionaries(st.sampled_from(LOGS_KEYS), json_values, max_size=8),
       mode=st.sampled_from([{"queryMode": "Logs"}, {"type": "logAction"}, {"type": "annotationQuery"},
                             {"queryMode": "Annotations"}]),
       timeout=st.sampled_from(["", "1s", "soon", "-5m", "1e400ns", "0"]))
def test_any_logs_or_annotation_json_fails_alone(fake: FakeAws, model: dict[str, Any], mode: dict[str, str],
                                                 timeout: str) -> None:
    fake.logs.queries.clear()
    bad = {**model, **mode}
    queries = [DataQuery("GOOD", RANGE, json.dumps(GOOD).encode()),
               DataQuery("X", RANGE, json.dumps(bad, allow_nan=True).encode())]
    answers = answer_queries(queries, default_region="us-east-1", client_for_region=lambda r, s: fake.client(r, s),
                             datasource="ds", account="acct", logs_timeout="", page_limit=2)
    assert answers["GOOD"].status == 200 and answers["GOOD"].frames, answers["GOOD"]
    x = answers["X"]
    assert x.status != 500 and "internal" not in x.error, (bad, x)
    assert x.error or x.frames is not None
    # The datasource's logsTimeout, however odd, only ever fails the logs queries.
    odd = answer_queries([DataQuery("T", RANGE, json.dumps(GOOD).encode())], default_region="us-east-1",
                         client_for_region=lambda r, s: fake.client(r, s), datasource="ds", account="acct",
                         logs_timeout=timeout, page_limit=2)["T"]
    assert odd.status in (200, 400, 504) and "internal" not in odd.error, (timeout, odd)
