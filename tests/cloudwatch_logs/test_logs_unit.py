"""Logs Insights and annotations without a plugin process (issue 18): the query model, the frames, and the
execution loop against the one fake AWS endpoint (tests/support/fake_aws.py, FakeLogsInsights), which enforces
AWS's polling states, StopQuery, row and concurrency limits.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from support.fake_aws import FakeAws, RawBody, log_rows
from support.logs_queries import END, START, dq
from support.logs_queries import logs_model as logs

from cloudwatch_datasource import deadlines
from cloudwatch_datasource.cloudwatch_logs import answer_queries, split_queries
from cloudwatch_datasource.cloudwatch_logs.execute import LogsQueryTimeout, Runner
from cloudwatch_datasource.cloudwatch_logs.frames import console_link, jsurl, result_frames
from cloudwatch_datasource.cloudwatch_logs.limits import QuerySlots
from cloudwatch_datasource.cloudwatch_logs.query import (
    CONTEXT_FIELDS,
    QueryLanguage,
    logs_timeout_seconds,
    parse_logs_query,
    stats_groups_of,
)
from cloudwatch_datasource.data import FieldType
from cloudwatch_datasource.deadlines import RequestScope
from cloudwatch_datasource.errors import PluginError, QueryError


@pytest.fixture
def fake(fake_server: FakeAws) -> FakeAws:
    fake_server.reset()
    return fake_server


def runner(fake: FakeAws, *, timeout_s: float = 30.0, slots: QuerySlots | None = None) -> Runner:
    return Runner(fake.client("us-east-1", "logs"), "us-east-1", "ds", "acct", timeout_s,
                  slots=slots or QuerySlots())


# --- the query model ----------------------------------------------------------------------------------------

def test_grafana_fields_become_start_query_parameters() -> None:
    query = parse_logs_query(dq(logs(limit=20, statsGroups=["bin(5m)"])), default_region="eu-west-1")
    params = query.start_query_params()
    assert params["logGroupIdentifiers"] == ["arn:aws:logs:us-east-1:123456789012:log-group:/app/web"]
    assert "logGroupNames" not in params and params["limit"] == 20
    assert params["queryString"] == f"{CONTEXT_FIELDS}|fields @timestamp, @message"
    assert (params["startTime"], params["endTime"]) == (int(START.timestamp()), int(END.timestamp()))
    assert "queryLanguage" not in params and query.stats_groups == ("bin(5m)",)


def test_groups_as_grafanas_frontend_interpolates_them_keep_their_names() -> None:
    arn = "arn:aws:logs:us-east-1:222222222222:log-group:/src/app:*"
    query = parse_logs_query(dq(logs(logGroups=[{"arn": arn, "name": arn}])), default_region="")
    assert query.log_groups[0].name == "/src/app" and query.log_groups[0].account_id == "222222222222"
    assert query.start_query_params()["logGroupIdentifiers"] == [arn[:-2]]
    assert console_link(query).endswith("source~(~'*2fsrc*2fapp))")


def test_source_accounts_go_as_arns_without_the_trailing_star() -> None:
    groups = [{"arn": "arn:aws:logs:us-east-1:111111111111:log-group:a:*", "name": "a", "accountId": "111111111111"},
              {"arn": "arn:aws:logs:us-east-1:222222222222:log-group:b:*", "name": "b", "accountId": "222222222222"}]
    params = parse_logs_query(dq(logs(logGroups=groups)), default_region="").start_query_params()
    assert params["logGroupIdentifiers"] == ["arn:aws:logs:us-east-1:111111111111:log-group:a",
                                             "arn:aws:logs:us-east-1:222222222222:log-group:b"]
    assert "logGroupNames" not in params


def test_legacy_names_sql_macro_and_ppl() -> None:
    legacy = parse_logs_query(dq({"queryMode": "Logs", "region": "us-east-1", "expression": "stats count(*)",
                                  "logGroupNames": ["/a", "/b"]}), default_region="")
    assert legacy.start_query_params()["logGroupNames"] == ["/a", "/b"]
    sql = parse_logs_query(dq(logs(queryLanguage="SQL", expression="SELECT * FROM `$__logGroups` LIMIT 5")),
                           default_region="")
    params = sql.start_query_params()
    assert params["queryLanguage"] == "SQL" and "logGroupNames" not in params
    assert params["queryString"] == ("SELECT * FROM `logGroups(logGroupIdentifier: "
                                     "['arn:aws:logs:us-east-1:123456789012:log-group:/app/web'])` LIMIT 5")
    source = parse_logs_query(dq(logs(queryLanguage="SQL", expression="SELECT * FROM $__source")), default_region="")
    assert source.start_query_params()["queryString"] == (
        "SELECT * FROM logGroups(logGroupIdentifier: ['arn:aws:logs:us-east-1:123456789012:log-group:/app/web'])")
    ppl = parse_logs_query(dq(logs(queryLanguage="PPL", expression="fields `@message` | head 5")), default_region="")
    assert ppl.start_query_params()["queryString"] == "fields `@message` | head 5"
    assert ppl.language is QueryLanguage.PPL


@pytest.mark.parametrize(("model", "error"), [
    (logs(logGroups=[], logGroupNames=[]), "^logGroups: select at least one"),
    (logs(logGroups=[{"name": f"g{i}"} for i in range(51)]), "at most 50"),
    (logs(limit=10_001), "^limit: must be between 1 and 10,000"),
    (logs(queryLanguage="KQL"), "^queryLanguage"),
    (logs(expression=" "), "^expression"),
    (logs(logGroups="x"), "^logGroups: must be a list"),
    (logs(subtype="GetQueryResults"), "^queryId: required"),
    (logs(queryLanguage="SQL", expression="SELECT * FROM `$__logGroups`", logGroups=[]), r"\$__logGroups"),
    (logs(queryLanguage="SQL", expression="SELECT * FROM $__source JOIN $__source"), "once"),
])
def test_bad_queries_name_the_field(model: dict[str, Any], error: str) -> None:
    with pytest.raises(QueryError, match=error):
        parse_logs_query(dq(model), default_region="us-east-1")


def test_a_source_command_needs_no_log_groups() -> None:
    query = parse_logs_query(dq(logs(logGroups=[], expression="SOURCE logGroups(namePrefix: ['/app']) | "
                                                              "fields @message")), default_region="")
    assert "logGroupNames" not in query.start_query_params()


def test_stats_groups_are_derived_like_grafanas_frontend() -> None:
    text = "fields x | stats count(*) as n, avg(latency) by bin(5m), host as h, concat(a, b)"
    assert stats_groups_of(text, QueryLanguage.CWLI) == ("bin(5m)", "h", "concat(a, b)")
    assert stats_groups_of("fields @message", QueryLanguage.CWLI) == ()
    assert stats_groups_of("SELECT a FROM t GROUP BY a", QueryLanguage.SQL) == ()


def test_logs_timeout_is_read_as_grafana_reads_it() -> None:
    assert logs_timeout_seconds("") == 1800
    assert logs_timeout_seconds("45s") == 45
    assert logs_timeout_seconds("2000000000ns") == 2
    with pytest.raises(QueryError, match="logsTimeout"):
        logs_timeout_seconds("soon")


def test_split_keeps_metrics_and_repeated_ref_ids_with_the_metrics_pipeline() -> None:
    queries = [dq(logs(), "L"), dq({"type": "annotationQuery"}, "N"), dq({"namespace": "AWS/EC2"}, "M"),
               dq(logs(), "R"), dq({"namespace": "AWS/EC2"}, "R")]
    metrics, others = split_queries(queries)
    assert [q.ref_id for q in metrics] == ["M", "R", "R"] and [q.ref_id for q in others] == ["L", "N"]


# --- frames -------------------------------------------------------------------------------------------------

def test_log_rows_frame_types_order_and_meta(fake: FakeAws) -> None:
    fake.logs.rows = list(reversed(log_rows(4)))
    query = parse_logs_query(dq(logs()), default_region="")
    result = runner(fake).run(query)
    (frame,) = result_frames(query, result)
    names = [f.name for f in frame.fields]
    assert names[:2] == ["@timestamp", "@message"] and "@ptr" not in names
    kinds = {f.name: f.type for f in frame.fields}
    assert kinds["@timestamp"] is FieldType.TIME and kinds["latency"] is FieldType.NUMBER
    assert kinds["@logStream"] is FieldType.STRING and kinds["@log"] is FieldType.STRING
    stamps = next(f.values for f in frame.fields if f.name == "@timestamp")
    assert stamps == sorted(stamps) and len(stamps) == 4
    assert frame.meta["preferredVisualisationType"] == "logs"
    assert frame.meta["custom"]["Status"] == "Complete"
    assert {s["displayName"] for s in frame.meta["stats"]} == {"Bytes scanned", "Records scanned", "Records matched"}
    message = next(f for f in frame.fields if f.name == "@message")
    assert message.config["links"][0]["url"].startswith(
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logs-insights:queryDetail=~(")
    hidden = next(f for f in frame.fields if f.name == "__log__grafana_internal__")
    assert hidden.config["custom"]["hidden"] is True


def test_stats_by_bin_and_field_become_labelled_series(fake: FakeAws) -> None:
    def row(minute: int, host: str, count: int) -> dict[str, str]:
        return {"bin(5m)": f"2026-06-01 12:{minute:02d}:00.000", "host": host, "count(*)": str(count)}

    fake.logs.rows = [row(10, "a", 3), row(5, "a", 2), row(5, "b", 7), row(10, "b", 1)]
    query = parse_logs_query(dq(logs(expression="stats count(*) by bin(5m), host")), default_region="")
    frames = result_frames(query, runner(fake).run(query))
    assert len(frames) == 2
    for frame in frames:
        assert frame.meta["type"] == "timeseries-multi" and [f.name for f in frame.fields] == ["bin(5m)", "count(*)"]
        assert frame.fields[0].values == sorted(frame.fields[0].values)
    by_host = {f.fields[1].labels["host"]: f.fields[1].values for f in frames}
    assert by_host == {"a": [2.0, 3.0], "b": [7.0, 1.0]}


def test_malformed_entries_are_left_out_with_a_notice(fake: FakeAws) -> None:
    fake.logs.rows = log_rows(2)
    query = parse_logs_query(dq(logs()), default_region="")
    result = runner(fake).run(query)
    result.rows = [*result.rows, "not a row", [{"value": "no field name"}], [{"field": "@message"}]]
    (frame,) = result_frames(query, result)
    assert len(frame) == 3
    assert any("2 malformed" in n.text for n in frame.meta["notices"])


def test_jsurl_matches_the_consoles_notation() -> None:
    # The form Grafana's frontend tests expect for a console link (datalinks tests in grafana/grafana).
    assert jsurl({"a": "some query", "b": False, "c": ["x", "y/z"]}) == "~(a~'some*20query~b~false~c~(~'x~'y*2fz))"
    assert jsurl("$é😀") == "~'!*e9**d83d**de00"
    query = parse_logs_query(dq(logs(region="us-gov-west-1")), default_region="")
    assert console_link(query).startswith("https://us-gov-west-1.console.amazonaws-us-gov.com/")


# --- execution ----------------------------------------------------------------------------------------------

def test_polls_through_scheduled_and_running_to_complete(fake: FakeAws) -> None:
    fake.logs.states = ["Scheduled", "Running", "Running", "Complete"]
    query = parse_logs_query(dq(logs()), default_region="")
    result = runner(fake).run(query)
    assert result.status == "Complete" and result.polls == 4 and len(result.rows) == 3
    assert fake.count("GetQueryResults") == 4 and fake.count("StopQuery") == 0


@pytest.mark.parametrize("final", ["Failed", "Cancelled", "Timeout"])
def test_a_query_aws_ends_answers_its_status_and_partial_rows(fake: FakeAws, final: str) -> None:
    fake.logs.rows = log_rows(4)
    fake.logs.states = ["Running", final]
    answers = answer_queries([dq(logs())], default_region="", client_for_region=lambda r, s: fake.client(r, s),
                             datasource="ds", account="acct", logs_timeout="", page_limit=5)
    answer = answers["A"]
    assert answer.status == 502 and f"status {final}" in answer.error
    (frame,) = answer.frames
    assert frame.meta["custom"]["Status"] == final and len(frame) == 2  # the half AWS had found
    assert fake.count("StopQuery") == 0  # AWS had ended it already


def test_logs_timeout_stops_the_query(fake: FakeAws) -> None:
    fake.logs.states = ["Running"]
    query = parse_logs_query(dq(logs()), default_region="")
    with pytest.raises(LogsQueryTimeout, match="logsTimeout") as caught:
        runner(fake, timeout_s=0.8).run(query)
    assert caught.value.partial.status == "Running"
    (stop,) = fake.calls("StopQuery")
    assert fake.logs.queries[stop["queryId"]].status == "Cancelled" and fake.logs.running() == 0


def test_a_cancelled_request_stops_the_query(fake: FakeAws) -> None:
    fake.logs.states = ["Running"]
    query = parse_logs_query(dq(logs()), default_region="")
    scope = RequestScope()
    token = deadlines.current.set(scope)
    try:
        threading.Timer(0.6, scope.rpc_terminated).start()
        with pytest.raises(PluginError, match="cancelled"):
            runner(fake).run(query)
    finally:
        deadlines.current.reset(token)
    assert fake.count("StopQuery") == 1 and fake.logs.running() == 0


def test_limit_exceeded_is_retried_and_slots_queue(fake: FakeAws) -> None:
    fake.logs.max_concurrent = 1
    fake.logs.states = ["Running", "Running", "Complete"]
    slots = QuerySlots({"CWLI": 1, "OpenSearch": 1})
    query = parse_logs_query(dq(logs()), default_region="")
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(runner(fake, slots=slots).run(query).status))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == ["Complete"] * 3 and slots.waited >= 1
    assert fake.count("StartQuery") == 3  # the plugin's own queue: AWS never said LimitExceeded

    # Another client holding AWS's quota: StartQuery is refused, then started again once a query ends.
    blocker = fake.client("us-east-1", "logs").start_query(logGroupNames=["/x"], startTime=0, endTime=1,
                                                         queryString="fields @message")
    threading.Timer(0.7, lambda: fake.client("us-east-1", "logs").stop_query(queryId=blocker["queryId"])).start()
    started = time.monotonic()
    assert runner(fake).run(query).status == "Complete"
    assert time.monotonic() - started >= 0.6
    assert any(r.operation == "StartQuery" for r in fake.requests)


def test_ten_thousand_rows_per_query(fake: FakeAws) -> None:
    fake.logs.rows = log_rows(10_050)
    query = parse_logs_query(dq(logs()), default_region="")
    result = runner(fake).run(query)
    assert len(result.rows) == 10_000 and result.truncated
    (frame,) = result_frames(query, result)
    assert len(frame) == 10_000 and any("10,000 rows" in n.text for n in frame.meta["notices"])


def test_an_answer_that_is_not_a_query_result_fails_its_ref_ids_only(fake: FakeAws) -> None:
    fake.script("GetQueryResults", [RawBody(b'{"status": "Complete", "results": "lots"}')])
    answers = answer_queries([dq(logs()), dq(logs(expression="fields @message"), "B")], default_region="",
                             client_for_region=lambda r, s: fake.client(r, s), datasource="ds", account="acct",
                             logs_timeout="", page_limit=5)
    # botocore cannot parse it: the AWS layer's message names the call; no frames, no "no data".
    assert all(a.status >= 500 and "GetQueryResults" in a.error and not a.frames for a in answers.values()), answers
    assert fake.count("StopQuery") == 2  # both queries were left running at AWS: stopped


def test_polling_protocol_subtypes(fake: FakeAws) -> None:
    client = lambda r, s: fake.client(r, s)  # noqa: E731
    common = {"default_region": "", "client_for_region": client, "datasource": "ds", "account": "acct",
              "logs_timeout": "", "page_limit": 5}
    started = answer_queries([dq(logs(subtype="StartQuery"))], **common)["A"]
    query_id = started.frames[0].fields[0].values[0]
    assert started.frames[0].meta["custom"]["Region"] == "us-east-1"
    polled = answer_queries([dq(logs(subtype="GetQueryResults", queryId=query_id))], **common)["A"]
    assert polled.frames[0].meta["custom"]["Status"] == "Running"
    stopped = answer_queries([dq(logs(subtype="StopQuery", queryId=query_id))], **common)["A"]
    assert stopped.frames[0].fields[0].values == [1.0]


# --- annotations --------------------------------------------------------------------------------------------

def test_alarm_history_becomes_an_annotations_frame(fake: FakeAws) -> None:
    alarm = {"AlarmName": "cpu-high", "Namespace": "AWS/EC2", "MetricName": "CPUUtilization", "Statistic": "Average",
             "Period": 300, "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}], "AlarmActions": ["arn:sns:x"]}
    fake.logs.alarms = [alarm, {**alarm, "AlarmName": "other", "MetricName": "NetworkIn"}]
    fake.logs.alarm_history = [
        {"AlarmName": "cpu-high", "Timestamp": START + timedelta(minutes=m), "HistoryItemType": "StateUpdate",
         "HistorySummary": f"Alarm updated from OK to ALARM ({m})"} for m in (30, 10)] + [
        {"AlarmName": "cpu-high", "Timestamp": START - timedelta(days=1), "HistoryItemType": "StateUpdate",
         "HistorySummary": "before the range"}]
    common = {"default_region": "", "client_for_region": lambda r, s: fake.client(r, s), "datasource": "ds",
              "account": "acct", "logs_timeout": "", "page_limit": 5}
    by_metric = {"type": "annotationQuery", "region": "us-east-1", "namespace": "AWS/EC2",
                 "metricName": "CPUUtilization", "statistic": "Average", "dimensions": {"InstanceId": ["i-1"]}}
    by_prefix = {"queryMode": "Annotations", "region": "us-east-1", "prefixMatching": True, "alarmNamePrefix": "cpu",
                 "namespace": "AWS/EC2"}
    bad = {"type": "annotationQuery", "region": "us-east-1"}
    answers = answer_queries([dq(by_metric, "M"), dq(by_prefix, "P"), dq(bad, "BAD")], **common)
    for ref in ("M", "P"):
        (frame,) = answers[ref].frames
        assert [f.name for f in frame.fields] == ["time", "title", "tags", "text"]
        assert frame.fields[1].values == ["cpu-high", "cpu-high"] and frame.fields[2].values == ["StateUpdate"] * 2
        assert frame.fields[3].values[0].endswith("(10)") and frame.meta["custom"]["rowCount"] == 2
    assert answers["BAD"].status == 400 and "invalid annotations query" in answers["BAD"].error


def test_waiting_for_a_slot_ends_with_the_request_or_the_logs_timeout() -> None:
    slots = QuerySlots({"CWLI": 1, "OpenSearch": 1})
    key = ("acct", "us-east-1", "CWLI")
    scope = RequestScope()
    with slots.slot(key, until=time.monotonic() + 60, check=scope.check):
        threading.Timer(0.3, scope.rpc_terminated).start()
        with pytest.raises(PluginError, match="cancelled"), slots.slot(key, until=time.monotonic() + 60,
                                                                      check=scope.check):
            pass
        with pytest.raises(PluginError, match="no Logs Insights query slot came free") as caught, \
                slots.slot(key, until=time.monotonic() + 0.3, check=lambda: None):
            pass
        assert caught.value.status == 504
    assert slots.running(key) == 0 and slots.waited == 2


def test_name_prefix_and_all_log_groups_scopes_put_a_source_command_in_front() -> None:
    prefixed = parse_logs_query(dq(logs(logsQueryScope="namePrefix", logGroupPrefixes=["/app", "/aws/lambda"],
                                        logGroupClass="INFREQUENT_ACCESS", selectedAccountIds=["111111111111"])),
                                default_region="")
    params = prefixed.start_query_params()
    assert params["queryString"] == ("SOURCE logGroups(namePrefix: ['/app', '/aws/lambda'], class: "
                                     "['INFREQUENT_ACCESS'], accountIdentifier: ['111111111111']) | "
                                     f"{CONTEXT_FIELDS}|fields @timestamp, @message")
    assert "logGroupNames" not in params and "logGroupIdentifiers" not in params
    everything = parse_logs_query(dq(logs(logsQueryScope="allLogGroups", logGroupClass="STANDARD")),
                                  default_region="")
    assert everything.start_query_params()["queryString"].startswith("SOURCE logGroups() | fields @timestamp,")
    for model, error in ((logs(logsQueryScope="namePrefix", logGroupPrefixes=["ab"]), "at least 3"),
                         (logs(logsQueryScope="namePrefix", logGroupPrefixes=[]), "1 to 5"),
                         (logs(logsQueryScope="allLogGroups", expression="SOURCE logGroups() | fields x"),
                          "own SOURCE"),
                         (logs(logsQueryScope="everything"), "^logsQueryScope")):
        with pytest.raises(QueryError, match=error):
            parse_logs_query(dq(model), default_region="")
