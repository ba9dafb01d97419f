"""Secrets no pattern recognises, against a hostile endpoint that echoes them: a session token with a line break,
a very short proxy password, a password in the endpoint URL. The plugin knows its datasource's secrets by value
and cuts them out of every answer, log line and metric label (issue 13, case 3); LEAKS carries everything seen here
to the suite's scan (test_zz_no_secrets.py), which looks for every spelling of them (tests/support/secrets.py).
"""

from __future__ import annotations

import urllib.parse

import pytest
from support.fake_aws import FakeAws
from support.plugins import StartPlugin
from support.secrets import find_leaks

from cloudwatch_datasource.protocol.host import datasource_settings
from cloudwatch_datasource.protocol.pb import backend_pb2 as pb

from .helpers import (
    CRLF_SESSION_TOKEN,
    KEY_ID,
    LEAKS,
    SECRET_KEY,
    SECRETS,
    SHORT_PROXY_PASSWORD,
    URL_PASSWORD,
    metric_query,
)

pytestmark = pytest.mark.processes


def test_known_values_never_leave_even_when_aws_echoes_them(plugins: StartPlugin, fake: FakeAws) -> None:
    plugin = plugins()
    host = fake.url.removeprefix("http://")
    endpoint = f"http://grafana:{urllib.parse.quote(URL_PASSWORD, safe='')}@{host}"
    odd = datasource_settings({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": endpoint},
                              {"accessKey": KEY_ID, "secretKey": SECRET_KEY, "proxyPassword": SHORT_PROXY_PASSWORD},
                              uid="ds-odd-secrets")
    crlf = datasource_settings({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": fake.url},
                               {"accessKey": KEY_ID, "secretKey": SECRET_KEY, "sessionToken": CRLF_SESSION_TOKEN},
                               uid="ds-crlf-secret")
    seen: list[str] = []

    def record(resp: pb.QueryDataResponse) -> pb.QueryDataResponse:
        LEAKS.add_query_response(resp)
        seen.extend(r.error for r in resp.responses.values())
        return resp

    # The endpoint echoes the secrets in its error message and in its error code (which becomes a metric label).
    echo = f"request from {URL_PASSWORD} with proxy password {SHORT_PROXY_PASSWORD} refused"
    fake.fail("GetMetricData", status=400, code="ValidationError", message=echo)
    answer = record(plugin.query([metric_query("A", 3)], odd)).responses["A"]
    assert answer.status == 400 and answer.errorSource == "downstream" and "request from" in answer.error
    fake.fail("GetMetricData", status=400, code=f"Bad{SHORT_PROXY_PASSWORD}Code", message=echo)
    record(plugin.query([metric_query("A", 3)], odd))
    fake.fail("ListMetrics", status=403, code="AccessDenied", message=echo)
    health = plugin.check_health(odd)
    LEAKS.add_health(health)
    resource = plugin.call_resource("metrics", odd, query="namespace=Custom/App&region=default")
    LEAKS.add_resource(resource)

    refused = record(plugin.query([metric_query("A", 3)], crlf)).responses["A"]
    assert refused.status == 400 and "secureJsonData.sessionToken contains a control character" in refused.error
    crlf_health = plugin.check_health(crlf)
    LEAKS.add_health(crlf_health)
    assert "secureJsonData.sessionToken" in crlf_health.message

    metrics = bytes(plugin.diagnostics.CollectMetrics(pb.CollectMetricsRequest(), timeout=10).metrics.prometheus)
    LEAKS.add("metrics", metrics.decode())
    assert b"cloudwatch_plugin_aws_errors" in metrics

    texts = [*seen, health.message, bytes(health.jsonDetails).decode(), crlf_health.message, metrics.decode(),
             *(bytes(r.body).decode() for r in resource)]
    secrets = [SECRETS["url password"], SECRETS["short proxy password"], SECRETS["session token with CR/LF"]]
    assert find_leaks(texts, secrets) == []
