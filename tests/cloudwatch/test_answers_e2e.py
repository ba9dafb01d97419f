"""What AWS answers, and what stands in for it, as Grafana sees the result (issue 13, cases 2, 4, 5 and 8's
Timestamps/Values lengths): the plugin under grafana-server's own client (the Go host, tests/support/grafana_host.py),
AWS played by the one fake endpoint (tests/support/fake_aws.py), each answer scripted per call.

- Series labels of code-mode SEARCH and math with a static label follow Grafana's response parser: `Series` is the
  label CloudWatch returned for each series, so the series stay distinct label sets for the dataplane readers.
- A 200 that is not a valid GetMetricData answer is a downstream error on the refIds of that call, never "no data".
- Whatever one answer or one query holds, only the refIds it belongs to fail: other calls, other regions and the
  health check are unaffected, and nothing is an internal error.
- A result whose Timestamps and Values differ in length keeps the pairs that match, with a notice on the frame.
- Metrics Insights GROUP BY (issue 16): the fake answers as AWS does, one series per group labelled with the group's
  values in GROUP BY order (`Other` for metrics without a key); each series gets `Series` plus one label per key, so
  the dataplane readers (alerting's) see label sets that name the group.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support.fake_aws import FakeAws, RawBody, get_metric_data_answer
from support.grafana_host import (
    GrafanaHost,
    QueryAnswer,
    StartGrafana,
    data_query,
    datasource,
    field_schema,
    field_values,
    go_plugin,
    raw_query,
)

START = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30)
END = START + timedelta(minutes=5)
EC2 = {"namespace": "AWS/EC2", "metricName": "CPUUtilization", "statistic": "Average", "period": "60",
       "region": "us-east-1", "metricQueryType": 0, "metricEditorMode": 0, "queryMode": "Metrics",
       "dimensions": {"InstanceId": ["i-1"]}, "matchExact": True}
INVALID = "AWS answered with HTTP 200 but not a valid GetMetricData response"


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture
def fake() -> Iterator[FakeAws]:
    with FakeAws() as running:
        yield running


@pytest.fixture
def plugin(grafana: StartGrafana, isolated_aws_env: dict[str, str]) -> Iterator[GrafanaHost]:
    yield from go_plugin(grafana, isolated_aws_env)


def settings(fake: FakeAws, **json_data: Any) -> dict[str, Any]:
    return datasource({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": fake.url, **json_data},
                      {"accessKey": "AKIDANSWERS", "secretKey": "answers-secret"})


def series(query_id: str, label: str, values: list[Any], start: float, stamps: int | None = None
           ) -> dict[str, Any]:
    count = len(values) if stamps is None else stamps
    return {"Id": query_id, "Label": label, "StatusCode": "Complete",
            "Timestamps": [start + 60 * i for i in range(count)], "Values": values}


def ok(answer: QueryAnswer, ref_id: str) -> dict[str, Any]:
    result = answer.results[ref_id]
    assert result["status"] == 200 and "error" not in result, (ref_id, result)
    return result


def failed(answer: QueryAnswer, ref_id: str, status: int, source: str, *fragments: str) -> str:
    result = answer.results[ref_id]
    assert result["status"] == status and result.get("errorSource") == source, (ref_id, result)
    assert not result.get("frames"), (ref_id, result)
    assert "internal" not in result["error"], (ref_id, result)
    for fragment in fragments:
        assert fragment in result["error"], (ref_id, fragment, result["error"])
    return str(result["error"])


# --- Case 2: series labels of code-mode queries -------------------------------------------------------------------

def test_code_mode_search_and_math_with_a_static_label_keep_distinct_series(plugin: GrafanaHost,
                                                                            fake: FakeAws) -> None:
    """CloudWatch appends the dimension values to a static label of a SEARCH (and of math over one); Grafana puts
    that returned label in `Series` and shows the static label as the name (docs/queries.md)."""
    returned = {
        "code": ["CPU i-1", "CPU i-2", "CPU i-3"],
        "math": ["Doubled i-1", "Doubled i-2"],
        "sql": ["i-1", "i-2"],  # a static label is not sent with a GROUP BY query (insights.py): AWS's own labels
        "dyn": ["i-1 CPUUtilization", "i-2 CPUUtilization"],
    }

    def answer(request: dict[str, Any]) -> dict[str, Any]:
        start = float(request["StartTime"])
        return {"MetricDataResults": [series(q["Id"], label, [float(n), n + 0.5], start)
                                      for q in request["MetricDataQueries"]
                                      for n, label in enumerate(returned[q["Id"]])]}

    fake.handler("GetMetricData", answer)
    search = "SEARCH('{AWS/EC2,InstanceId} MetricName=\"CPUUtilization\"', 'Average', 60)"
    models = {
        "A": {**EC2, "id": "code", "metricEditorMode": 1, "expression": search, "label": "CPU"},
        "B": {**EC2, "id": "math", "metricEditorMode": 1, "expression": f"{search} * 2", "label": "Doubled"},
        "C": {**EC2, "id": "sql", "metricQueryType": 1, "metricEditorMode": 1, "label": "Top",
              "sqlExpression": "SELECT AVG(CPUUtilization) FROM SCHEMA(\"AWS/EC2\", InstanceId) GROUP BY InstanceId"},
        "D": {**EC2, "id": "dyn", "metricEditorMode": 1, "expression": search, "label": "${PROP('Dim.InstanceId')}"},
    }
    # Insights goes into a call of its own (one Metrics Insights query per call): give it its own range.
    resp = plugin.query([data_query(ref, model, ms(START), ms(END + timedelta(minutes=ref == "C")))
                         for ref, model in models.items()], settings(fake))

    for ref, query_id in (("A", "code"), ("B", "math"), ("C", "sql"), ("D", "dyn")):
        ok(resp, ref)
        report = resp.readers[ref]
        assert report["kind"] == "timeseries-multi" and not report.get("error"), (ref, report)
        assert report["distinctLabelSets"], (ref, report["series"])
        assert sorted(s["labels"]["Series"] for s in report["series"]) == returned[query_id], ref
        for frame in resp.frames(ref):
            config = field_schema(frame, "Value")["config"]
            # A static label is the legend as typed; a dynamic one is what CloudWatch resolved.
            expected = models[ref]["label"] if ref != "D" else field_schema(frame, "Value")["labels"]["Series"]
            assert config["displayNameFromDS"] == frame["schema"]["name"] == expected, (ref, frame["schema"])


# --- Cases 4, 5 and 8's lengths: one request each, one GetMetricData call per scripted answer -----------------------

def per_call(plugin: GrafanaHost, fake: FakeAws, calls: list[list[str]],
             scripted: Callable[[list[str], float], dict[str, Any] | RawBody | None],
             extra: Sequence[dict[str, Any]] = ()) -> QueryAnswer:
    """One QueryData with one query per Id; each inner list of Ids shares a GetMetricData call (its own time
    range), answered by `scripted(ids, start)` or, when that gives None, by the fake's default answer."""
    def answer(request: dict[str, Any]) -> dict[str, Any] | RawBody:
        ids = [q["Id"] for q in request["MetricDataQueries"]]
        return scripted(ids, float(request["StartTime"])) or get_metric_data_answer(request)

    fake.handler("GetMetricData", answer)
    queries = [data_query(query_id.upper(), {**EC2, "id": query_id}, ms(START), ms(END + timedelta(minutes=n)))
               for n, ids in enumerate(calls) for query_id in ids]
    resp = plugin.query([*queries, *extra], settings(fake))
    assert set(resp.results) == {q["refId"] for q in [*queries, *extra]}
    assert len(fake.calls("GetMetricData")) == len(calls) + sum(1 for q in extra if "eu-west-1" in str(q))
    return resp


def healthy(resp: QueryAnswer, *ref_ids: str) -> None:
    for ref in ref_ids:
        assert field_values(ok(resp, ref)["frames"][0], "Value") == [1.0, 1.5, 2.0], ref


EU = data_query("EU", {**EC2, "id": "eu", "region": "eu-west-1"}, ms(START), ms(END))


def test_a_200_that_is_not_a_valid_answer_is_a_downstream_error_on_its_call(plugin: GrafanaHost,
                                                                            fake: FakeAws) -> None:
    """Case 4: botocore reads each of these as an answer with no results; Grafana would show "no data"."""
    bodies: dict[str, dict[str, Any] | RawBody] = {
        "broken": RawBody(b'{"MetricDataResults": [{"Id": "broken", "Values": [1.0, }'),  # `{`...`}`, not JSON
        "empty": RawBody(b"{}"),
        "gateway": RawBody(b'{"error": "upstream timed out"}'),
        "notalist": {"MetricDataResults": "none"},
        "anobject": {"MetricDataResults": {"Id": "anobject"}},
        "badtime": RawBody(b'{"MetricDataResults": [{"Id": "badtime", "Timestamps": ["soon"], "Values": [1]}]}'),
        "stranger": {"MetricDataResults": [{"Id": "nobodyasked", "Label": "x", "Timestamps": [], "Values": []}]},
        "badtoken": {"MetricDataResults": [], "NextToken": 7},
    }

    def scripted(ids: list[str], start: float) -> dict[str, Any] | RawBody | None:
        if ids == ["missing", "present"]:  # AWS answers every query with ReturnData; this answer skips one
            return {"MetricDataResults": [series("present", "CPU", [1.0, 2.0], start)]}
        return bodies.get(ids[0])

    resp = per_call(plugin, fake, [*([b] for b in bodies), ["missing", "present"], ["healthy"]], scripted, [EU])
    for query_id in ("broken", "empty", "gateway"):
        failed(resp, query_id.upper(), 502, "downstream", INVALID, "no MetricDataResults")
    for query_id in ("notalist", "anobject", "badtime"):
        failed(resp, query_id.upper(), 502, "downstream", INVALID, "cannot be read")
    failed(resp, "STRANGER", 502, "downstream", INVALID, "'nobodyasked', which this call did not ask for")
    failed(resp, "BADTOKEN", 502, "downstream", INVALID, "NextToken")
    failed(resp, "MISSING", 502, "downstream", INVALID, "no MetricDataResult for this query (missing)")
    assert field_values(ok(resp, "PRESENT")["frames"][0], "Value") == [1.0, 2.0]
    healthy(resp, "HEALTHY", "EU")


def test_one_answer_or_one_query_fails_only_its_own_ref_ids(plugin: GrafanaHost, fake: FakeAws) -> None:
    """Case 5: string Values in one call's answer, a lone surrogate in a Label AWS sent or in a query's dimension
    key fail only their refIds; the rest of the call, other calls, another region and health are unaffected."""
    def scripted(ids: list[str], start: float) -> dict[str, Any] | RawBody | None:
        if ids == ["strings", "neighbour"]:
            return {"MetricDataResults": [series("strings", "CPU", ["1.5", "abc"], start),
                                          series("neighbour", "CPU", [3.0, 4.0], start)]}
        if ids == ["badlabel"]:
            body = {"MetricDataResults": [series("badlabel", "CPU \ud800", [1.0], start)]}
            return RawBody(json.dumps(body).encode())  # json.dumps escapes it: "\ud800", a lone surrogate
        return None

    calls = [["strings", "neighbour"], ["badlabel"], ["healthy"]]
    # A dimension key holding a lone surrogate escape, sent byte for byte, in the healthy call's time range.
    text = json.dumps({**EC2, "id": "surrogate", "dimensions": {"Instance\ud800Id": ["i-1"]}})
    surrogate = raw_query("SURROGATE", text, ms(START), ms(END + timedelta(minutes=len(calls) - 1)))
    resp = per_call(plugin, fake, calls, scripted, [surrogate, EU])

    failed(resp, "STRINGS", 502, "downstream", INVALID, "(strings) has Values that are not a list of numbers")
    assert field_values(ok(resp, "NEIGHBOUR")["frames"][0], "Value") == [3.0, 4.0]
    failed(resp, "BADLABEL", 502, "downstream", INVALID, "(badlabel) has a Label that is not text")
    failed(resp, "SURROGATE", 400, "plugin", "dimensions (a key)", "lone UTF-16 surrogate")
    healthy(resp, "HEALTHY", "EU")
    assert plugin.check_health(settings(fake))["status"] == "OK"
    assert plugin.ping()


def test_unequal_timestamps_and_values_keep_the_pairs_with_a_notice(plugin: GrafanaHost, fake: FakeAws) -> None:
    """Case 8 (lengths): the points that pair up are shown, and the frame says what was left out."""
    def scripted(ids: list[str], start: float) -> dict[str, Any] | RawBody | None:
        if ids == ["unpaired"]:
            return {"MetricDataResults": [series("unpaired", "CPU", [5.0, 6.0], start, stamps=3),
                                          series("unpaired", "Other", [7.0, 8.0, 9.0], start, stamps=1)]}
        return None

    resp = per_call(plugin, fake, [["unpaired"], ["healthy"]], scripted)
    frames = {f["schema"]["name"]: f for f in ok(resp, "UNPAIRED")["frames"]}
    assert field_values(frames["CPU"], "Value") == [5.0, 6.0]
    assert field_values(frames["Other"], "Value") == [7.0]
    cpu_notices = [n["text"] for n in frames["CPU"]["schema"]["meta"]["notices"]]
    assert cpu_notices == ["cloudwatch GetMetricData error: AWS's answer for this series had 1 timestamps without a "
                           "value and 0 values without a timestamp; they are left out and the 2 points that pair "
                           "up are shown"], cpu_notices
    assert "2 values without a timestamp" in frames["Other"]["schema"]["meta"]["notices"][0]["text"]
    assert resp.readers["UNPAIRED"]["distinctLabelSets"] and not resp.readers["UNPAIRED"].get("error")
    assert "notices" not in resp.frames("HEALTHY")[0]["schema"]["meta"]
    healthy(resp, "HEALTHY")


def test_settings_text_that_is_not_text_fails_with_the_field_named(plugin: GrafanaHost, fake: FakeAws) -> None:
    """A lone surrogate in jsonData.profile (sent as the `\\ud800` escape Grafana's JSON allows) is a settings
    error naming the field, on that datasource's refIds and its health check; another datasource is unaffected."""
    broken = settings(fake, authType="credentials", profile="prod\ud800")
    broken["uid"] = "ds-broken"
    resp = plugin.query([data_query("A", {**EC2, "id": "a"}, ms(START), ms(END))], broken)
    failed(resp, "A", 400, "plugin", "jsonData.profile", "lone UTF-16 surrogate")
    health = plugin.check_health(broken)
    assert health["status"] == "ERROR" and "jsonData.profile" in health["message"], health
    assert "internal" not in health["message"]
    good = plugin.query([data_query("A", {**EC2, "id": "a"}, ms(START), ms(END))], settings(fake))
    assert field_values(ok(good, "A")["frames"][0], "Value") == [1.0, 1.5, 2.0]
    assert plugin.check_health(settings(fake))["status"] == "OK"


# --- Metrics Insights GROUP BY labels ------------------------------------------------------------------------------

INSIGHTS_QUERY = {"region": "us-east-1", "period": "60", "metricQueryType": 1, "metricEditorMode": 0,
                  "queryMode": "Metrics", "namespace": "AWS/EC2", "metricName": "CPUUtilization"}


def insights_labels(plugin: GrafanaHost, fake: FakeAws, models: dict[str, dict[str, Any]]
                    ) -> dict[str, list[dict[str, str]]]:
    # One Metrics Insights query per GetMetricData call: each query gets a time range, hence a call, of its own.
    resp = plugin.query([data_query(ref, {**INSIGHTS_QUERY, **model}, ms(START), ms(END + timedelta(minutes=n)))
                         for n, (ref, model) in enumerate(models.items())], settings(fake))
    out: dict[str, list[dict[str, str]]] = {}
    for ref in models:
        result = resp.results[ref]
        assert result["status"] == 200 and "error" not in result, (ref, result)
        report = resp.readers[ref]
        assert report["kind"] == "timeseries-multi" and not report.get("error"), (ref, report)
        frames = resp.frames(ref)
        out[ref] = [field_schema(f, "Value")["labels"] for f in frames]
        # The values are the fake's per group (1, 1.5, 2 for the first group, 2, 2.5, 3 for the second, ...).
        assert [field_values(f, "Value")[0] for f in frames] == [float(n) for n in range(1, len(frames) + 1)]
        # What alerting reads: the same labels, one distinct set per series.
        assert [s["labels"] for s in report["series"]] == out[ref]
        assert report["distinctLabelSets"], (ref, report["series"])
    return out


def test_insights_group_by_keys_become_series_labels(plugin: GrafanaHost, fake: FakeAws) -> None:
    one_key = "SELECT AVG(CPUUtilization) FROM \"AWS/EC2\" GROUP BY InstanceType"
    two_keys = ("SELECT MAX(CPUUtilization) FROM \"AWS/EC2\" WHERE InstanceType != 'c5.xlarge' "
                "GROUP BY \"InstanceType\", InstanceId ORDER BY MAX() DESC LIMIT 3")
    labels = insights_labels(plugin, fake, {
        "A": {"id": "bytype", "sqlExpression": one_key},
        "B": {"id": "bytypeandid", "sqlExpression": two_keys},
        "C": {"id": "nogroup", "sqlExpression": "SELECT AVG(CPUUtilization) FROM \"AWS/EC2\""},
        "D": {"id": "static", "sqlExpression": one_key, "label": "CPU"},
        "E": {"id": "dynamic", "sqlExpression": "SELECT AVG(CPUUtilization) FROM \"AWS/EC2\" GROUP BY InstanceId",
              "label": "${LABEL} avg"},
    })
    assert labels["A"] == [
        {"Series": "t3.micro", "InstanceType": "t3.micro"},
        {"Series": "m5.large", "InstanceType": "m5.large"},
        # A metric without the key is in AWS's `Other` group.
        {"Series": "Other", "InstanceType": "Other"},
    ]
    assert labels["B"] == [
        {"Series": "t3.micro i-1", "InstanceType": "t3.micro", "InstanceId": "i-1"},
        {"Series": "t3.micro i-2", "InstanceType": "t3.micro", "InstanceId": "i-2"},
        {"Series": "m5.large i-3", "InstanceType": "m5.large", "InstanceId": "i-3"},
    ]
    assert labels["C"] == [{"Series": "nogroup"}]  # no GROUP BY: one series, no key labels
    # A static label is the legend, not sent: AWS's group labels come back.
    assert labels["D"] == labels["A"]
    sent = {q["Id"]: q for call in fake.calls("GetMetricData") for q in call["MetricDataQueries"]}
    assert "Label" not in sent["static"]
    assert sent["bytypeandid"]["Expression"] == two_keys and sent["bytypeandid"]["Period"] == 60
    # A dynamic label is sent; AWS resolves it per group, and the plugin cannot tell the group from it: `Series` only.
    assert sent["dynamic"]["Label"] == "${LABEL} avg"
    assert labels["E"] == [{"Series": f"{group} avg"} for group in ("i-1", "i-2", "i-3", "Other")]
