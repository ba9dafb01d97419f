"""Logs Insights and alarm annotations as Grafana sees them (issue 18): the plugin under grafana-server's own
client (the Go host, tests/support/grafana_host.py), AWS played by the one fake (tests/support/fake_aws.py,
FakeLogsInsights) and by moto where moto implements Logs Insights (StartQuery/GetQueryResults of plain field
queries, DescribeLogGroups; it has no stats, StopQuery, GetLogGroupFields or DescribeAlarmHistory).

- A logs query and a stats query copied from a Grafana panel run unchanged: a logs frame, and labelled series the
  dataplane readers (alerting's) take as timeseries-multi.
- logsTimeout and the request's gRPC deadline both stop the AWS query (StopQuery seen by the fake).
- Each refId fails alone: a bad logs query, a metrics query and an annotation in one request.
- The editor's routes answer in Grafana's shapes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support.fake_aws import FakeAws, log_rows, wait_until
from support.grafana_host import (
    GrafanaHost,
    HostError,
    StartGrafana,
    data_query,
    datasource,
    field_schema,
    field_values,
    go_plugin,
)

pytestmark = pytest.mark.processes

# Handed to the plugin as the datasource's keys: tests/test_zz_secrets.py scans every plugin's output for them.
LOGS_ACCESS_KEY = "AKIDLOGSINSIGHTS0018"
LOGS_SECRET = "LogsInsightsSecretLogsInsightsSecret0018"
END = datetime.now(UTC).replace(second=0, microsecond=0)
START = END - timedelta(hours=1)
GROUP = {"arn": "arn:aws:logs:us-east-1:123456789012:log-group:/app/web:*", "name": "/app/web"}
# As Grafana's editor saves them (and alert rules carry them): CloudWatchLogsQuery.
LOGS = {"queryMode": "Logs", "region": "default", "id": "", "logGroups": [GROUP],
        "expression": "fields @timestamp, @message | sort @timestamp desc | limit 20", "queryLanguage": "CWLI"}
STATS = {**LOGS, "expression": "stats count(*) as requests by bin(5m), @logStream",
         "statsGroups": ["bin(5m)", "@logStream"]}


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture
def fake(fake_server: FakeAws) -> FakeAws:
    fake_server.reset()
    return fake_server


@pytest.fixture
def plugin(grafana: StartGrafana, isolated_aws_env: dict[str, str]) -> Iterator[GrafanaHost]:
    yield from go_plugin(grafana, isolated_aws_env)


def settings(endpoint: str, **json_data: Any) -> dict[str, Any]:
    return datasource({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": endpoint, **json_data},
                      {"accessKey": LOGS_ACCESS_KEY, "secretKey": LOGS_SECRET})


def stats_rows() -> list[dict[str, str]]:
    stamp = lambda m: (START + timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M:%S.000")  # noqa: E731
    return [{"bin(5m)": stamp(m), "@logStream": stream, "requests": str(m + n)}
            for m in (0, 5, 10) for n, stream in enumerate(("web-1", "web-2"))]


def test_logs_and_stats_queries_from_a_panel_and_refids_fail_alone(plugin: GrafanaHost, fake: FakeAws) -> None:
    fake.logs.rows = log_rows(5, start=START)
    fake.logs.states = ["Scheduled", "Running", "Complete"]
    alarm = {"AlarmName": "cpu-high", "Namespace": "AWS/EC2", "MetricName": "CPUUtilization",
             "Statistic": "Average", "Period": 300, "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}]}
    fake.logs.alarms = [alarm]
    fake.logs.alarm_history = [{"AlarmName": "cpu-high", "Timestamp": START + timedelta(minutes=7),
                                "HistoryItemType": "StateUpdate", "HistorySummary": "Alarm updated from OK to ALARM"}]
    queries = [
        data_query("LOGS", LOGS, ms(START), ms(END)),
        data_query("BAD", {**LOGS, "logGroups": "not a list"}, ms(START), ms(END)),
        data_query("MAL", {**LOGS, "expression": "fields @message | bogus x"}, ms(START), ms(END)),
        data_query("ANN", {"type": "annotationQuery", "region": "us-east-1", "namespace": "AWS/EC2",
                           "metricName": "CPUUtilization", "statistic": "Average",
                           "dimensions": {"InstanceId": "i-1"}}, ms(START), ms(END)),
        data_query("MET", {"namespace": "AWS/EC2", "metricName": "CPUUtilization", "statistic": "Average",
                           "period": "60", "region": "us-east-1", "dimensions": {"InstanceId": ["i-1"]},
                           "matchExact": True}, ms(START), ms(END)),
    ]
    resp = plugin.query(queries, settings(fake.url))

    logs = resp.results["LOGS"]
    assert logs["status"] == 200 and "error" not in logs, logs
    (frame,) = resp.frames("LOGS")
    meta = frame["schema"]["meta"]
    assert meta["preferredVisualisationType"] == "logs" and meta["custom"]["Status"] == "Complete"
    assert [f["name"] for f in frame["schema"]["fields"]][:2] == ["@timestamp", "@message"]
    assert field_values(frame, "@message")[0] == "GET /item/0 200 0 ms"
    assert field_values(frame, "latency") == [0, 1, 2, 3, 4]  # typed: numbers, not text
    assert "links" in field_schema(frame, "@message")["config"]
    start, refused = sorted(fake.calls("StartQuery"), key=lambda c: "bogus" in c["queryString"])
    assert "bogus" in refused["queryString"]
    assert start["logGroupIdentifiers"] == [GROUP["arn"][:-2]] and start["queryString"].endswith(LOGS["expression"])

    assert resp.results["BAD"]["status"] == 400 and "logGroups" in resp.results["BAD"]["error"]
    # AWS's MalformedQueryException, its message on that refId only.
    malformed = resp.results["MAL"]
    assert malformed["status"] == 400 and malformed["errorSource"] == "downstream", malformed
    assert "unexpected symbol found bogus" in malformed["error"]
    assert resp.results["MET"]["status"] == 200 and resp.frames("MET"), resp.results["MET"]
    (annotations,) = resp.frames("ANN")
    assert field_values(annotations, "title") == ["cpu-high"]
    assert field_values(annotations, "text") == ["Alarm updated from OK to ALARM"]


def test_a_stats_query_reads_as_time_series_for_alerting(plugin: GrafanaHost, fake: FakeAws) -> None:
    fake.logs.rows = stats_rows()
    # The alert rule's shape: the saved query, no subtype; Grafana's alerting reads the frames with sdata.
    resp = plugin.query([data_query("A", STATS, ms(START), ms(END))], settings(fake.url))
    assert resp.results["A"]["status"] == 200, resp.results["A"]
    report = resp.readers["A"]
    assert report["kind"] == "timeseries-multi" and not report.get("error") and not report.get("kindError"), report
    assert report["distinctLabelSets"]
    series = {s["labels"]["@logStream"]: s["points"] for s in report["series"]}
    assert series == {"web-1": 3, "web-2": 3}


def test_logs_timeout_and_the_requests_deadline_stop_the_aws_query(plugin: GrafanaHost, fake: FakeAws) -> None:
    fake.logs.states = ["Running"]
    resp = plugin.query([data_query("A", LOGS, ms(START), ms(END))], settings(fake.url, logsTimeout="2s"))
    result = resp.results["A"]
    assert result["status"] == 504 and "logsTimeout" in result["error"], result
    assert fake.count("StopQuery") == 1 and fake.logs.running() == 0

    # The host's gRPC deadline (Grafana's request timing out, or the user leaving) ends it the same way.
    started = time.monotonic()
    with pytest.raises(HostError) as caught:
        plugin.query([data_query("B", LOGS, ms(START), ms(END))], settings(fake.url), timeout=2)
    assert "DeadlineExceeded" in str(caught.value) and time.monotonic() - started < 20
    assert wait_until(lambda: fake.count("StopQuery") == 2, 10), fake.calls("StopQuery")
    assert fake.logs.running() == 0


def test_editor_routes(plugin: GrafanaHost, fake: FakeAws) -> None:
    fake.logs.log_groups = [{"name": n} for n in ("/app/web-old", "/app/web", "/other/app/web")] + [
        {"name": "/app/web-linked", "account": "999999999999"}]
    ds = settings(fake.url)
    found = plugin.call_resource("log-groups", ds, query="region=us-east-1&logGroupPattern=app/web")
    assert found["status"] == 200, found
    body = json.loads(found["body"])
    assert [g["value"]["name"] for g in body] == ["/app/web", "/app/web-old", "/other/app/web"]
    assert body[0] == {"value": {"arn": "arn:aws:logs:us-east-1:123456789012:log-group:/app/web:*",
                                 "name": "/app/web"}, "accountId": "123456789012"}
    linked = json.loads(plugin.call_resource("log-groups", ds, query="region=us-east-1&accountId=all"
                                             "&listAllLogGroups=true&limit=2")["body"])
    assert len(linked) == 4 and {g["accountId"] for g in linked} == {"123456789012", "999999999999"}
    both = plugin.call_resource("log-groups", ds, query="region=us-east-1&logGroupNamePrefix=a&logGroupPattern=b")
    assert both["status"] == 400 and "prefix and pattern" in json.loads(both["body"])["Message"]

    fields = plugin.call_resource("log-group-fields", ds, query="region=us-east-1&logGroupName=/app/web")
    assert json.loads(fields["body"]) == [{"value": {"name": "@timestamp", "percent": 100}},
                                          {"value": {"name": "@message", "percent": 100}}]
    by_arn = plugin.call_resource("log-group-fields", ds, query="region=us-east-1&logGroupArn=" + GROUP["arn"])
    assert by_arn["status"] == 200
    assert fake.calls("GetLogGroupFields")[-1] == {"logGroupIdentifier": GROUP["arn"][:-2]}
    missing = plugin.call_resource("log-group-fields", ds, query="region=us-east-1")
    assert missing["status"] == 400


def test_log_rows_and_log_groups_from_moto(plugin: GrafanaHost, moto: Any) -> None:
    client = moto.client("logs")
    client.create_log_group(logGroupName="/moto/app")
    client.create_log_stream(logGroupName="/moto/app", logStreamName="s1")
    client.put_log_events(logGroupName="/moto/app", logStreamName="s1", logEvents=[
        {"timestamp": ms(START + timedelta(minutes=i)), "message": f"line {i}"} for i in range(3)])
    ds = settings(moto.url)
    groups = json.loads(plugin.call_resource("log-groups", ds, query="region=us-east-1&logGroupNamePrefix=/moto")
                        ["body"])
    assert [g["value"]["name"] for g in groups] == ["/moto/app"]
    # moto's StartQuery reads logGroupNames only (not logGroupIdentifiers): the legacy field.
    query = {**LOGS, "logGroups": [], "logGroupNames": [groups[0]["value"]["name"]],
             "expression": "fields @timestamp, @message"}
    resp = plugin.query([data_query("A", query, ms(START), ms(END))], ds)
    assert resp.results["A"]["status"] == 200, resp.results["A"]
    (frame,) = resp.frames("A")
    assert field_values(frame, "@message") == ["line 0", "line 1", "line 2"]
    assert frame["schema"]["meta"]["preferredVisualisationType"] == "logs"


def test_aws_errors_fail_their_refid_without_the_secrets(plugin: GrafanaHost, fake: FakeAws) -> None:
    fake.fail("StartQuery", status=400, code="AccessDeniedException", times=None,
              message=f"User with key {LOGS_ACCESS_KEY} (secret {LOGS_SECRET}) is not authorized to logs:StartQuery")
    fake.fail("GetLogGroupFields", status=400, code="AccessDeniedException", times=None,
              message=f"not authorized: {LOGS_SECRET}")
    resp = plugin.query([data_query("A", LOGS, ms(START), ms(END)), data_query("B", STATS, ms(START), ms(END))],
                        settings(fake.url))
    for ref in ("A", "B"):
        result = resp.results[ref]
        assert result["status"] == 403 and result["errorSource"] == "downstream", result
        assert "logs:StartQuery" in result["error"] or "StartQuery" in result["error"]
        assert LOGS_SECRET not in result["error"] and LOGS_ACCESS_KEY not in result["error"], result
    fields = plugin.call_resource("log-group-fields", settings(fake.url), query="region=us-east-1&logGroupName=/a")
    assert fields["status"] == 403 and LOGS_SECRET not in fields["body"], fields
