"""Issue 13, case 3: a datasource's secrets are scrubbed by value from everything the plugin sends, whatever they
contain, and a secret with a control character inside is refused at settings parse time, naming the field.

Through grafana-server's own plugin client (the Go host, fixture `grafana`) against the one fake AWS endpoint:
health message and jsonDetails, per-refId errors, resource error bodies and every stderr line are searched for each
secret in every spelling a text can carry it (tests/support/secrets.py). Before the change, botocore's
header-validation error put a session token with a line break into all of them (as a repr'd header value), and an
unreachable endpoint's URL showed its password.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Iterable
from typing import Any

import pytest
from support.fake_aws import FakeAws
from support.grafana_host import GrafanaHost, StartGrafana, data_query, datasource
from support.secrets import find_leaks

from cloudwatch_datasource.tools.emulator import free_port

pytestmark = pytest.mark.processes

KEY_ID = "AKIABYVALUEKEY000042"
SECRET_KEY = "ByValueSecretKey/ByValueSecretKey+ByVal42"
# A line break inside (possible through provisioning or the API): botocore refuses it as a header value and
# quotes the value in its error.
CRLF_TOKEN = "CrLfSessionToken\r\nX-Injected: CrLfTokenTail42"
# Very short, and with a quote: no pattern recognises these; only their values can.
SHORT_PROXY_SECRET = 'q"Z7'
URL_PASSWORD_SECRET = 'Pw"q/Z@9'  # percent-encoded in the endpoint URL below
URL_PASSWORD_ENCODED = urllib.parse.quote(URL_PASSWORD_SECRET, safe="")
TRAILING_NEWLINE_SECRET = "TrailingNewlineSecret/TrailingNewlineSecr42\n"

OK, ERROR = "OK", "ERROR"


def leaks(texts: Iterable[str], secrets: Iterable[str]) -> list[tuple[str, str, str]]:
    return find_leaks(texts, secrets)


def metric_query(ref_id: str) -> dict[str, Any]:
    now = int(time.time() * 1000)
    return data_query(ref_id, {"type": "timeSeriesQuery", "region": "default", "namespace": "AWS/EC2",
                               "metricName": "CPUUtilization", "dimensions": {"InstanceId": ["i-3"]},
                               "statistic": "Average", "period": "60"}, now - 3600_000, now)


def everything(host: GrafanaHost, settings: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    health = host.check_health(settings)
    answer = host.query([metric_query("A")], settings).results["A"]
    resource = host.call_resource("metrics", settings, query="namespace=Custom/App&region=default")
    return health, answer, resource


def texts_of(health: dict[str, Any], answer: dict[str, Any], resource: dict[str, Any]) -> list[str]:
    return [health["message"], json.dumps(health.get("jsonDetails"), ensure_ascii=False),
            json.dumps(answer, ensure_ascii=False), str(resource.get("body", ""))]


@pytest.fixture
def plugin(grafana: StartGrafana) -> GrafanaHost:
    return grafana(env={"AWS_EC2_METADATA_DISABLED": "true", "GF_PLUGIN_AWS_MAX_ATTEMPTS": "1",
                        "GF_PLUGIN_AWS_CONNECT_TIMEOUT": "1", "GF_PLUGIN_LOG_LEVEL": "debug"})


def test_a_secret_with_a_line_break_is_refused_naming_the_field_and_never_shown(plugin: GrafanaHost) -> None:
    with FakeAws() as fake:
        settings = datasource({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": fake.url},
                              {"accessKey": KEY_ID, "secretKey": SECRET_KEY, "sessionToken": CRLF_TOKEN})
        health, answer, resource = everything(plugin, settings)
        assert fake.requests == [], "a refused secret must not be sent to AWS"
    assert health["status"] == ERROR
    assert "secureJsonData.sessionToken contains a control character" in health["message"]
    assert answer["status"] == 400 and answer["errorSource"] == "plugin"
    assert "secureJsonData.sessionToken contains a control character" in answer["error"]
    assert resource["status"] == 400 and "secureJsonData.sessionToken" in resource["body"]
    found = leaks(texts_of(health, answer, resource) + plugin.stderr_lines, [CRLF_TOKEN, SECRET_KEY])
    assert found == []


def test_a_trailing_newline_from_provisioning_yaml_is_trimmed(plugin: GrafanaHost) -> None:
    with FakeAws() as fake:
        settings = datasource({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": fake.url},
                              {"accessKey": KEY_ID + "\n", "secretKey": TRAILING_NEWLINE_SECRET})
        health = plugin.check_health(settings)
        answer = plugin.query([metric_query("A")], settings).results["A"]
        assert fake.keys_seen() == {KEY_ID}
    assert health["status"] == OK, health["message"]
    assert answer["status"] == 200 and not answer.get("error"), answer


def test_url_passwords_and_short_values_are_cut_out_of_every_answer_and_log_line(plugin: GrafanaHost) -> None:
    # Nothing listens on the endpoint: every AWS call fails with an error that names the endpoint URL.
    endpoint = f"http://grafana:{URL_PASSWORD_ENCODED}@127.0.0.1:{free_port()}"
    settings = datasource({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": endpoint,
                           "proxyType": "env", "proxyUsername": "grafana"},
                          {"accessKey": KEY_ID, "secretKey": SECRET_KEY, "proxyPassword": SHORT_PROXY_SECRET,
                           "anotherSecret": "Zq!x"})
    health, answer, resource = everything(plugin, settings)
    assert health["status"] == ERROR and "cannot reach http://grafana:" in health["message"]
    assert answer["errorSource"] == "downstream" and "cannot reach http://grafana:" in answer["error"]
    assert resource["status"] >= 400 and "cannot reach http://grafana:" in resource["body"]
    secrets = [URL_PASSWORD_SECRET, URL_PASSWORD_ENCODED, SHORT_PROXY_SECRET, SECRET_KEY, "Zq!x"]
    found = leaks(texts_of(health, answer, resource) + plugin.stderr_lines, secrets)
    assert found == []
