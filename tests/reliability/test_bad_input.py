"""Bad input, property-based: jsonData, secureJsonData, query JSON, time ranges, CallResource paths/params/bodies
and raw protobuf bytes. Every case gets a per-refId or per-call error naming what is wrong (never "internal
plugin error", which means an unhandled path), the process stays up, and a good query in the same request is
answered with its data.

In-process examples go through the gRPC servicers (protobuf in, protobuf out: the same code the process runs);
the raw-bytes examples go to the real plugin process through its handshake.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.fake_aws import FakeAws
from support.plugins import StartedPlugins

from cloudwatch_datasource.protocol.host import PluginProcess, datasource_settings, plugin_context
from cloudwatch_datasource.protocol.pb import backend_pb2 as pb

from .helpers import (
    LEAKS,
    answer_problem,
    json_data,
    keys_settings,
    metric_query,
    plugin_env,
    secure_keys,
)

FUZZ = settings(derandomize=True, deadline=None, max_examples=150, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
CASES: dict[str, int] = {}

# --- strategies ---------------------------------------------------------------------------------------------

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)  # protobuf strings: valid Unicode
scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | text
           | st.sampled_from(["", "auto", "0", "-1", "60", "1e309", "NaN", "5m", "us-east-1", "default", "*",
                            "a b", "é", "eu-west-1/.."]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(text, inner, max_size=4), max_leaves=12)
QUERY_KEYS = ["type", "queryMode", "region", "namespace", "metricName", "dimensions", "statistic", "statistics",
              "period", "id", "expression", "sqlExpression", "metricQueryType", "metricEditorMode", "matchExact",
              "label", "alias", "hide", "accountId", "timezoneUTCOffset", "refId", "datasource", "intervalMs",
              "maxDataPoints"]
SETTINGS_KEYS = ["authType", "defaultRegion", "region", "profile", "assumeRoleArn", "externalId",
                 "customMetricsNamespaces", "endpoint", "database"]
raw_json = st.sampled_from([b"", b" ", b"{", b"null", b"[]", b'"x"', b"\xff\xfe\xfd", b"{\"a\": NaN}",
                            b"[" * 100_000 + b"]" * 100_000, b"{\"period\": 1e400}", b"\x00" * 10])


def _model(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys), json_values, max_size=len(keys))


def _dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


query_json = _model(QUERY_KEYS).map(_dumps) | raw_json | st.binary(max_size=64)
int64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
now_ms = 1_780_000_000_000
time_ranges = st.tuples(int64, int64) | st.tuples(st.integers(now_ms - 10**11, now_ms + 10**9),
                                                   st.integers(now_ms - 10**11, now_ms + 10**9))


def _good(fake: FakeAws) -> pb.DataQuery:
    return metric_query("GOOD", 42)


def _check_answer(ref_id: str, answer: pb.DataResponse) -> None:
    LEAKS.add("query error", answer.error)
    if answer.error:
        assert 400 <= answer.status <= 599 and answer.errorSource in ("plugin", "downstream"), answer
        assert "internal plugin error" not in answer.error and "internal error" not in answer.error, answer.error
        assert not (answer.status == 500 and answer.errorSource == "plugin"), answer.error
    else:
        assert answer.status == 200


# --- query JSON and time ranges ---------------------------------------------------------------------------

@FUZZ
@given(queries=st.lists(st.tuples(query_json, time_ranges, st.integers(-(2**63), 2**63 - 1)), min_size=1,
                        max_size=4),
       ref_ids=st.lists(text, min_size=4, max_size=4, unique=True).filter(lambda r: "GOOD" not in r))
def test_query_json_and_time_ranges(world: Any, queries: list[Any], ref_ids: list[str]) -> None:
    data, _, _, fake = world
    settings_pb = keys_settings(fake.url)
    bad = [pb.DataQuery(refId=ref_ids[i], json=raw, timeRange=pb.TimeRange(fromEpochMS=f, toEpochMS=t),
                        maxDataPoints=n, intervalMS=n // 2)
           for i, (raw, (f, t), n) in enumerate(queries)]
    request = pb.QueryDataRequest(pluginContext=plugin_context(settings_pb), queries=[_good(fake), *bad])
    resp = data.QueryData(request, None)
    LEAKS.add_query_response(resp)
    assert set(resp.responses) == {"GOOD", *(q.refId for q in bad)}
    assert answer_problem(pb.QueryDataResponse(responses={"GOOD": resp.responses["GOOD"]}), {"GOOD": 42}) is None
    for q in bad:
        _check_answer(q.refId, resp.responses[q.refId])
    CASES["query JSON / time range"] = CASES.get("query JSON / time range", 0) + len(bad)


@FUZZ
@given(model=_model(QUERY_KEYS))
def test_plausible_query_fields(world: Any, model: dict[str, Any]) -> None:
    """Closer to real dashboards: a valid metric query with one to all fields replaced."""
    data, _, _, fake = world
    base = json.loads(metric_query("X", 1).json)
    base.update(model)
    query = pb.DataQuery(refId="X", json=_dumps(base), timeRange=metric_query("X", 1).timeRange)
    request = pb.QueryDataRequest(pluginContext=plugin_context(keys_settings(fake.url)),
                                  queries=[_good(fake), query])
    resp = data.QueryData(request, None)
    LEAKS.add_query_response(resp)
    assert answer_problem(pb.QueryDataResponse(responses={"GOOD": resp.responses["GOOD"]}), {"GOOD": 42}) is None
    _check_answer("X", resp.responses["X"])
    CASES["query fields"] = CASES.get("query fields", 0) + 1


# --- settings ---------------------------------------------------------------------------------------------

@FUZZ
@given(json_model=_model(SETTINGS_KEYS).map(_dumps) | raw_json,
       secure=st.dictionaries(st.sampled_from(["accessKey", "secretKey", "sessionToken"]) | text, text,
                              max_size=4),
       config=st.dictionaries(st.sampled_from(["AWS_AUTH_AllowedAuthProviders", "AWS_AUTH_AssumeRoleEnabled",
                                               "AWS_AUTH_SESSION_DURATION", "AWS_AUTH_EXTERNAL_ID",
                                               "AWS_CW_LIST_METRICS_PAGE_LIMIT"]), text, max_size=5),
       database=text, last_updated=int64)
def test_settings(world: Any, json_model: bytes, secure: dict[str, str], config: dict[str, str], database: str,
                  last_updated: int) -> None:
    data, diagnostics, resource, fake = world
    # Whatever the fuzz says, the endpoint stays the loopback fake: the suite never leaves 127.0.0.1.
    try:
        parsed = json.loads(json_model)
    except (ValueError, RecursionError):
        parsed = None
    if isinstance(parsed, dict):
        parsed["endpoint"] = fake.url
        json_model = _dumps(parsed)
    ds = pb.DataSourceInstanceSettings(uid="fuzz", jsonData=json_model, decryptedSecureJsonData=secure,
                                       database=database, lastUpdatedMS=last_updated)
    if not isinstance(parsed, dict):
        ds.jsonData = json_model  # unparsable: no AWS call can happen
    ctx = plugin_context(ds, config)
    resp = data.QueryData(pb.QueryDataRequest(pluginContext=ctx, queries=[metric_query("A", 1)]), None)
    LEAKS.add_query_response(resp)
    assert set(resp.responses) == {"A"}
    _check_answer("A", resp.responses["A"])
    health = diagnostics.CheckHealth(pb.CheckHealthRequest(pluginContext=ctx), None)
    LEAKS.add_health(health)
    assert health.status in (pb.CheckHealthResponse.OK, pb.CheckHealthResponse.ERROR) and health.message
    assert "internal plugin error" not in health.message
    if health.jsonDetails:
        assert isinstance(json.loads(health.jsonDetails), dict)
    [external] = list(resource.CallResource(pb.CallResourceRequest(pluginContext=ctx, path="external-id",
                                                                   method="GET"), None))
    LEAKS.add_resource([external])
    assert external.code in (200, 400) and "internal plugin error" not in external.body.decode()
    CASES["settings"] = CASES.get("settings", 0) + 1


# --- CallResource -----------------------------------------------------------------------------------------

ROUTES = ["regions", "namespaces", "metrics", "dimension-keys", "dimension-values", "accounts", "external-id",
          "log-groups", "log-group-fields"]
LEGACY_ROUTES = ["ebs-volume-ids", "ec2-instance-attribute", "resource-arns"]  # template variables
PARAMS = ["region", "namespace", "metricName", "dimensionKey", "dimensionFilters", "accountId",
          "instanceId", "attributeName", "filters", "resourceType", "tags", "logGroupNamePrefix", "logGroupPattern",
          "limit", "listAllLogGroups", "logGroupName", "logGroupArn"]


@FUZZ
@given(path=st.sampled_from(ROUTES + LEGACY_ROUTES) | text.map(lambda t: "/" + t) | text,
       method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "get", ""]) | text,
       params=st.dictionaries(st.sampled_from(PARAMS) | text, text | json_values.map(json.dumps), max_size=5),
       raw_query=st.sampled_from(["", "region", "region=&region=x", "%zz", "a=%00", "&&&", "?"]) | text,
       body=st.binary(max_size=256))
def test_call_resource(world: Any, path: str, method: str, params: dict[str, str], raw_query: str,
                       body: bytes) -> None:
    import urllib.parse

    _, _, resource, fake = world
    query = urllib.parse.urlencode(params) + ("&" + raw_query if raw_query else "")
    request = pb.CallResourceRequest(pluginContext=plugin_context(keys_settings(fake.url)), path=path,
                                     method=method, url=f"{path}?{query}", body=body)
    responses = list(resource.CallResource(request, None))
    LEAKS.add_resource(responses)
    assert len(responses) == 1
    answer = responses[0]
    assert 200 <= answer.code <= 599
    if answer.code == 400 and path.strip("/") in LEGACY_ROUTES:
        # Grafana's legacy handler shape: plain text, never an internal error.
        assert answer.body.startswith(b"unexpected error ") and b"internal plugin error" not in answer.body
        CASES["CallResource"] = CASES.get("CallResource", 0) + 1
        return
    decoded = json.loads(answer.body)
    if answer.code >= 400:
        assert isinstance(decoded, dict) and decoded["Message"] and "internal plugin error" not in decoded["Message"]
    CASES["CallResource"] = CASES.get("CallResource", 0) + 1


# --- raw protobuf bytes into the real process -------------------------------------------------------------

@pytest.fixture(scope="module")
def live(started_plugins: StartedPlugins) -> Iterator[tuple[PluginProcess, FakeAws]]:
    with FakeAws() as fake:
        plugin = started_plugins.start(env=plugin_env())
        try:
            yield plugin, fake
        finally:
            plugin.kill()
            LEAKS.add_plugin(plugin)


METHODS = {"/pluginv2.Data/QueryData": False, "/pluginv2.Diagnostics/CheckHealth": False,
           "/pluginv2.Resource/CallResource": True, "/pluginv2.Diagnostics/CollectMetrics": False}


def _mutations() -> st.SearchStrategy[bytes]:
    good = pb.QueryDataRequest(pluginContext=plugin_context(datasource_settings(json_data("http://127.0.0.1:9"),
                                                                                secure_keys())),
                               queries=[metric_query("\x01" * 8, 1)]).SerializeToString()
    marker = b"\x01" * 8
    return st.one_of(
        st.binary(max_size=512),
        # invalid UTF-8 where a string field (refId) is
        st.sampled_from([good.replace(marker, b"\xff\xfe\xc0\xaf\xed\xa0\x80\x80")]),
        # field 3 (queries) as a varint, field 1 as a fixed64: wrong wire types
        st.sampled_from([bytes([0x18, 0x05]), bytes([0x09]) + b"\x00" * 8, bytes([0x1A, 0xFF, 0xFF, 0xFF, 0x0F])]),
        # a valid request with random bytes flipped
        st.tuples(st.integers(0, len(good) - 1), st.integers(0, 255)).map(
            lambda t: good[:t[0]] + bytes([t[1]]) + good[t[0] + 1:]),
    )


@settings(derandomize=True, deadline=None, max_examples=120, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(method=st.sampled_from(sorted(METHODS)), payload=_mutations())
def test_raw_protobuf_bytes(live: tuple[PluginProcess, FakeAws], method: str, payload: bytes) -> None:
    plugin, _ = live
    call = (plugin.channel.unary_stream if METHODS[method] else plugin.channel.unary_unary)(
        method, request_serializer=lambda b: b, response_deserializer=lambda b: b)
    try:
        result = call(payload, timeout=20)
        if METHODS[method]:
            result = list(result)
    except grpc.RpcError as err:
        LEAKS.add_rpc_error(err)
        # unparsable: a per-call INTERNAL from grpc's deserializer, nothing worse
        assert err.code() == grpc.StatusCode.INTERNAL, (err.code(), err.details())
    CASES["raw protobuf"] = CASES.get("raw protobuf", 0) + 1


def test_process_survived_raw_bytes_and_still_answers(live: tuple[PluginProcess, FakeAws]) -> None:
    plugin, fake = live
    assert plugin.proc.poll() is None and plugin.ping() == 1
    resp = plugin.query([metric_query("A", 5), metric_query("B", 6)], keys_settings(fake.url))
    assert answer_problem(resp, {"A": 5, "B": 6}) is None


def test_huge_inputs(live: tuple[PluginProcess, FakeAws]) -> None:
    """16 MiB of query JSON, 2,000 queries in one request, 1 MiB secret and jsonData: per-refId answers."""
    plugin, fake = live
    settings_pb = keys_settings(fake.url)
    huge = pb.DataQuery(refId="HUGE", json=b"{" + b" " * (16 * 2**20), timeRange=metric_query("A", 1).timeRange)
    resp = plugin.query([huge, metric_query("A", 1)], settings_pb)
    assert "query JSON is invalid" in resp.responses["HUGE"].error
    assert answer_problem(pb.QueryDataResponse(responses={"A": resp.responses["A"]}), {"A": 1}) is None
    many = {f"Q{i}": i for i in range(2000)}
    resp = plugin.query([metric_query(r, n) for r, n in many.items()], settings_pb, timeout=120)
    assert answer_problem(resp, many) is None
    big = datasource_settings(json_data(fake.url, padding="x" * 2**20), {**secure_keys(), "junk": "y" * 2**20},
                              uid="big")
    resp = plugin.query([metric_query("A", 3)], big)
    assert answer_problem(resp, {"A": 3}) is None
    CASES["huge inputs"] = 3
