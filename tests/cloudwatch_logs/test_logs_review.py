"""Regression tests from the review of issue 18 (Logs Insights and annotations): each one failed before its fix.

AWS is the one fake (tests/support/fake_aws.py), reached through botocore; no plugin process.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from support.fake_aws import FakeAws, Fault, RawBody, wait_until
from support.logs_queries import START, dq
from support.logs_queries import logs_model as logs

from cloudwatch_datasource.backend import DataQuery, DataSourceInstance, PluginContext, QueryDataRequest
from cloudwatch_datasource.cloudwatch_logs import annotations, answer_queries, frames, limits
from cloudwatch_datasource.cloudwatch_logs.execute import LogsResult
from cloudwatch_datasource.cloudwatch_logs.frames import result_frames
from cloudwatch_datasource.cloudwatch_logs.limits import QuerySlots
from cloudwatch_datasource.cloudwatch_logs.query import parse_logs_query
from cloudwatch_datasource.data import FieldType
from cloudwatch_datasource.errors import ErrorSource
from cloudwatch_datasource.policy import ClientTuning
from cloudwatch_datasource.protocol.arrow import encode_frame
from cloudwatch_datasource.service import PluginService


def rows(*records: dict[str, str]) -> list[list[dict[str, str]]]:
    return [[{"field": k, "value": v} for k, v in r.items()] for r in records]


def frame_of(records: list[dict[str, str]], **extra: Any) -> Any:
    query = parse_logs_query(dq(logs(**extra)), default_region="")
    return result_frames(query, LogsResult("q-1", "Complete", rows(*records)))


@pytest.fixture
def fake(fake_server: FakeAws) -> FakeAws:
    fake_server.reset()
    return fake_server


# --- typing of result values --------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["1_000", "١٢", " 12 ", "12\n"])
def test_text_python_would_read_as_a_number_stays_text(text: str) -> None:
    # float() accepts digit separators, other scripts' digits and surrounding space; Logs Insights writes none.
    (frame,) = frame_of([{"@timestamp": "2026-06-01 12:00:00.000", "code": text},
                         {"@timestamp": "2026-06-01 12:00:01.000", "code": "7"}])
    code = next(f for f in frame.fields if f.name == "code")
    assert code.type is FieldType.STRING and code.values == [text, "7"]


def test_whole_numbers_a_float64_cannot_hold_stay_text() -> None:
    # An id like 2**53 + 1 would come back as another number; the column keeps AWS's text.
    (frame,) = frame_of([{"@timestamp": "2026-06-01 12:00:00.000", "id": "9007199254740993"},
                         {"@timestamp": "2026-06-01 12:00:01.000", "id": "1e3"}])
    ids = next(f for f in frame.fields if f.name == "id")
    assert ids.type is FieldType.STRING and ids.values == ["9007199254740993", "1e3"]
    (typed,) = frame_of([{"@timestamp": "2026-06-01 12:00:00.000", "n": "1e3"},
                         {"@timestamp": "2026-06-01 12:00:01.000", "n": "-2.5"}])
    assert next(f for f in typed.fields if f.name == "n").values == [1000.0, -2.5]


@pytest.mark.parametrize("stamp", ["9999-12-31 23:59:59.000", "99999999999999999999"])
def test_a_time_beyond_what_grafana_can_hold_is_text_and_the_frame_encodes(stamp: str) -> None:
    (frame,) = frame_of([{"@timestamp": stamp, "@message": "far future"}])
    assert frame.fields[0].type is FieldType.STRING
    encode_frame(frame)  # would raise: nanoseconds beyond int64


# --- memory bounds ------------------------------------------------------------------------------------------

def test_many_distinct_field_names_are_capped() -> None:
    # 2,000 rows each with 50 names of their own: 100,000 columns × 2,000 rows before the cap.
    records = [{"@timestamp": "2026-06-01 12:00:00.000", **{f"f{r}_{i}": "x" for i in range(50)}}
               for r in range(2_000)]
    (frame,) = frame_of(records)
    assert len(frame.fields) <= frames.MAX_FIELDS
    assert any("fields" in n.text for n in frame.meta["notices"])


def test_annotation_history_is_capped_in_total(fake: FakeAws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(annotations, "MAX_EVENTS", 150)
    alarm = {"AlarmName": "a", "Namespace": "AWS/EC2", "MetricName": "CPUUtilization", "Statistic": "Average",
             "Period": 300, "Dimensions": []}
    fake.logs.alarms = [alarm, {**alarm, "AlarmName": "b"}]
    fake.logs.alarm_history = [{"AlarmName": name, "Timestamp": START + timedelta(seconds=i),
                                "HistoryItemType": "StateUpdate", "HistorySummary": str(i)}
                               for name in ("a", "b") for i in range(120)]
    query = {"type": "annotationQuery", "region": "us-east-1", "prefixMatching": True, "alarmNamePrefix": ""}
    answer = answer_queries([dq(query)], default_region="", client_for_region=lambda r, s: fake.client(r, s),
                            datasource="ds", account="acct", logs_timeout="", page_limit=50)["A"]
    (frame,) = answer.frames
    assert len(frame) == 150 and any("150" in n.text for n in frame.meta["notices"])
    assert fake.count("DescribeAlarmHistory") == 3  # stopped paging once the cap was reached


# --- stats series -------------------------------------------------------------------------------------------

def test_stats_groups_keep_their_exact_values_as_labels() -> None:
    records = [{"bin(1m)": f"2026-06-01 12:0{m}:00.000", "status": code, "count()": str(m + int(code) % 7)}
               for code in ("1234567", "1234568") for m in (1, 0)]
    series = frame_of(records, expression="stats count() by bin(1m), status", statsGroups=["bin(1m)", "status"])
    labels = [f.fields[1].labels for f in series]
    assert labels == [{"status": "1234567"}, {"status": "1234568"}]  # distinct label sets, exact text
    for frame in series:
        assert frame.fields[0].values == sorted(frame.fields[0].values) and len(frame) == 2


# --- errors --------------------------------------------------------------------------------------------------

def test_an_answer_botocore_cannot_parse_is_awss_fault(fake: FakeAws) -> None:
    fake.script("GetQueryResults", [RawBody(b'{"status": "Complete", "results": "lots"}')])
    answer = answer_queries([dq(logs(subtype="GetQueryResults", queryId="q-1"))], default_region="",
                            client_for_region=lambda r, s: fake.client(r, s), datasource="ds", account="acct",
                            logs_timeout="", page_limit=5)["A"]
    assert answer.status == 502 and answer.error_source is ErrorSource.DOWNSTREAM, answer
    assert "could not be read" in answer.error


# --- a request mixing metrics and logs ----------------------------------------------------------------------

def service_request(fake: FakeAws, *queries: DataQuery) -> Any:
    json_data = {"authType": "keys", "defaultRegion": "us-east-1", "endpoint": fake.url}
    context = PluginContext(org_id=1, datasource=DataSourceInstance(
        uid="ds-logs-fix", org_id=1, json_data=json.dumps(json_data).encode(),
        decrypted_secure_json_data={"accessKey": "AKIALOGSFIXEXAMPLE01", "secretKey": "logs-fix-secret-value"}))
    return QueryDataRequest(context=context, queries=tuple(queries))


METRIC = {"region": "us-east-1", "namespace": "AWS/EC2", "metricName": "CPUUtilization", "statistic": "Average",
          "dimensions": {"InstanceId": "i-1"}, "period": "300"}


def test_logs_queries_run_while_the_metrics_queries_do(fake: FakeAws) -> None:
    fake.inject("GetMetricData", Fault("hang", seconds=2.0))
    fake.logs.states = ["Complete"]
    service = PluginService(tuning=ClientTuning(max_attempts=1))
    answers = service.query_data(service_request(fake, dq(METRIC, "M"), dq(logs(), "L")))
    assert not answers["M"].error and not answers["L"].error, answers
    # The logs query's calls were answered while GetMetricData hung: both in flight at once.
    assert fake.max_in_flight >= 2


# --- Grafana's polling protocol (subtypes) ------------------------------------------------------------------

def test_polling_subtypes_hold_a_slot_until_the_query_ends_or_its_logs_timeout(fake: FakeAws) -> None:
    fake.logs.states = ["Running", "Running", "Complete"]
    slots = QuerySlots({"CWLI": 1})
    key = ("acct", "us-east-1", "CWLI")

    def ask(model: dict[str, Any], logs_timeout: str) -> Any:
        return answer_queries([dq(model)], default_region="", client_for_region=lambda r, s: fake.client(r, s),
                              datasource="ds", account="acct", logs_timeout=logs_timeout, page_limit=5,
                              slots=slots)["A"]

    first = ask(logs(subtype="StartQuery"), "1s").frames[0].fields[0].values[0]
    assert slots.running(key) == 1
    # The only slot is leased: the next StartQuery waits until the first one's logsTimeout frees it, and the
    # abandoned query is stopped at AWS.
    second = ask(logs(subtype="StartQuery"), "20s").frames[0].fields[0].values[0]
    assert slots.waited == 1
    # The expired lease's StopQuery runs off the request's thread (limits.py): wait for it, bounded, not timed.
    assert wait_until(lambda: fake.logs.queries[first].status == "Cancelled", 30)
    assert [c["queryId"] for c in fake.calls("StopQuery")] == [first]
    polls = [ask(logs(subtype="GetQueryResults", queryId=second), "20s") for _ in range(3)]
    assert polls[-1].frames[0].meta["custom"]["Status"] == "Complete" and slots.running(key) == 0

    # A frontend that keeps polling past logsTimeout gets a 504, and the query is stopped.
    fake.logs.states = ["Running"]
    third = ask(logs(subtype="StartQuery"), "0.3s").frames[0].fields[0].values[0]
    deadline = time.monotonic() + 0.4
    while time.monotonic() < deadline:
        time.sleep(0.05)
    late = ask(logs(subtype="GetQueryResults", queryId=third), "0.3s")
    assert late.status == 504 and "logsTimeout" in late.error
    assert wait_until(lambda: fake.logs.queries[third].status == "Cancelled", 30) and slots.running(key) == 0


def test_a_malformed_query_gets_awss_message_as_a_400_on_its_ref_id(fake: FakeAws) -> None:
    answers = answer_queries([dq(logs(expression="fields @message | bogus x"), "BAD"), dq(logs(), "GOOD")],
                             default_region="", client_for_region=lambda r, s: fake.client(r, s), datasource="ds",
                             account="acct", logs_timeout="", page_limit=5)
    bad = answers["BAD"]
    assert bad.status == 400 and bad.error_source is ErrorSource.DOWNSTREAM
    assert "MalformedQueryException" in bad.error and "unexpected symbol found bogus" in bad.error, bad.error
    assert not answers["GOOD"].error and fake.count("StopQuery") == 0


def test_the_concurrency_limits_are_operator_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (ClientTuning().logs_max_concurrent_queries, ClientTuning().logs_max_concurrent_opensearch_queries) == \
        (30, 15)
    tuned = ClientTuning.from_env({"GF_PLUGIN_LOGS_MAX_CONCURRENT_QUERIES": "80",
                                   "GF_PLUGIN_LOGS_MAX_CONCURRENT_OPENSEARCH_QUERIES": "x"})
    assert (tuned.logs_max_concurrent_queries, tuned.logs_max_concurrent_opensearch_queries) == (80, 15)
    slots = QuerySlots()
    monkeypatch.setattr(limits, "SLOTS", slots)
    PluginService(tuning=tuned)
    assert slots.limits == {"CWLI": 80, "OpenSearch": 15}


# --- second pass --------------------------------------------------------------------------------------------

def test_a_text_column_outside_stats_groups_still_splits_series() -> None:
    # statsGroups as an old dashboard saved them (only the bin); AWS still answers a row per host and bin. One
    # series per host, not one series with every time twice (dataplane: a series' times are unique).
    records = [{"bin(1m)": f"2026-06-01 12:0{m}:00.000", "host": host, "count()": str(m)}
               for host in ("web-1", "web-2") for m in (0, 1)]
    series = frame_of(records, expression="stats count() by bin(1m)", statsGroups=["bin(1m)"])
    assert [f.fields[1].labels for f in series] == [{"host": "web-1"}, {"host": "web-2"}]
    for frame in series:
        times = frame.fields[0].values
        assert len(set(times)) == len(times) == 2


def test_unreadable_log_group_fields_are_awss_fault(fake: FakeAws) -> None:
    from cloudwatch_datasource.cloudwatch_logs.routes import log_group_fields

    fake.logs.fields = [{"name": "@message", "percent": "most"}, {"name": "latency", "percent": 1e300},
                        {"name": "@timestamp", "percent": 100}]
    answer = log_group_fields({"logGroupName": "/app"}, client=fake.client("us-east-1", "logs"),
                              region="us-east-1", datasource="ds")
    assert answer == [{"value": {"name": "@message", "percent": 0}}, {"value": {"name": "latency", "percent": 100}},
                      {"value": {"name": "@timestamp", "percent": 100}}]


def test_an_unreadable_timestamp_is_awss_fault_too(fake: FakeAws) -> None:
    fake.script("DescribeAlarmHistory", [RawBody(b'{"AlarmHistoryItems": [{"AlarmName": "a", "Timestamp": "soon"}]}')])
    fake.logs.alarms = [{"AlarmName": "a", "Namespace": "AWS/EC2", "MetricName": "CPUUtilization",
                         "Statistic": "Average", "Period": 300, "Dimensions": []}]
    query = {"type": "annotationQuery", "region": "us-east-1", "prefixMatching": True, "alarmNamePrefix": "a"}
    answer = answer_queries([dq(query)], default_region="", client_for_region=lambda r, s: fake.client(r, s),
                            datasource="ds", account="acct", logs_timeout="", page_limit=5)["A"]
    assert answer.status == 502 and answer.error_source is ErrorSource.DOWNSTREAM, answer


def test_expired_leases_are_stopped_off_the_requests_thread() -> None:
    slots = QuerySlots({"CWLI": 2})
    key = ("acct", "us-east-1", "CWLI")
    release = threading.Event()
    stopped: list[str] = []

    def slow_stop(query_id: str) -> None:
        release.wait(10)  # StopQuery against an endpoint that does not answer
        stopped.append(query_id)

    for query_id in ("q1", "q2"):
        slots.acquire_lease(key, until=time.monotonic() + 1, check=lambda: None)
        slots.attach(key, query_id, expires=time.monotonic() - 1, on_expiry=lambda q=query_id: slow_stop(q))
    # Taking a slot frees both expired leases at once, without waiting for their StopQuery calls.
    with slots.slot(key, until=time.monotonic() + 5, check=lambda: None):
        assert slots.running(key) == 1 and stopped == []
    release.set()
    assert wait_until(lambda: sorted(stopped) == ["q1", "q2"], 5)


def test_prefix_matching_stops_paging_alarms_once_it_has_enough(fake: FakeAws) -> None:
    alarm = {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization", "Statistic": "Average", "Period": 300,
             "Dimensions": []}
    fake.logs.alarms = [{**alarm, "AlarmName": f"cpu-{i:03d}"} for i in range(450)]
    query = {"type": "annotationQuery", "region": "us-east-1", "prefixMatching": True, "alarmNamePrefix": "cpu"}
    answer = answer_queries([dq(query)], default_region="", client_for_region=lambda r, s: fake.client(r, s),
                            datasource="ds", account="acct", logs_timeout="", page_limit=500)["A"]
    assert not answer.error and any("alarms matched" in n.text for n in answer.frames[0].meta["notices"])
    assert fake.count("DescribeAlarms") == 2  # 101 matches are enough to know there are more than 100
    assert fake.count("DescribeAlarmHistory") == annotations.MAX_ALARMS


def test_a_polled_query_nobody_polls_any_more_gives_its_slot_back(fake: FakeAws,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # A closed browser tab: StartQuery, then no poll and no StopQuery, with logsTimeout's default 30 minutes.
    monkeypatch.setattr(limits, "LEASE_IDLE_S", 0.3)
    fake.logs.states = ["Running"]
    slots = QuerySlots({"CWLI": 1})
    common: dict[str, Any] = {"default_region": "", "client_for_region": lambda r, s: fake.client(r, s),
                              "datasource": "ds", "account": "acct", "logs_timeout": "", "page_limit": 5,
                              "slots": slots}
    abandoned = answer_queries([dq(logs(subtype="StartQuery"))], **common)["A"].frames[0].fields[0].values[0]
    # The next query gets the slot once the first one has gone unpolled, and that one is stopped at AWS.
    second = answer_queries([dq(logs(subtype="StartQuery"), "B")], **common)["B"]
    assert not second.error and slots.waited == 1, second
    assert wait_until(lambda: fake.logs.queries[abandoned].status == "Cancelled", 5)
    # A query that is polled keeps its slot (each poll renews it) until it ends.
    query_id = second.frames[0].fields[0].values[0]
    for _ in range(3):
        assert not answer_queries([dq(logs(subtype="GetQueryResults", queryId=query_id))], **common)["A"].error
        time.sleep(0.2)
    assert fake.logs.queries[query_id].status == "Running" and slots.running(("acct", "us-east-1", "CWLI")) == 1
