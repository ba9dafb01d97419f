"""Secrets never leave, across the whole suite: every stderr line of every plugin process any test started is
scanned for every secret the tests handed the plugin, in every spelling a text can carry it (tests/support/secrets.py:
escaped, percent-encoded, split at its line breaks), and for any full AWS access key id. The secrets are the test
modules' constants named like one (SECRET, TOKEN, PASSWORD): long key-shaped ones, and also secrets with a line
break inside, very short ones and passwords embedded in URLs, which no pattern recognises.

Runs last (tests/conftest.py orders it) and reads the session's `started_plugins` registry. It checks the suite,
so it fails when the suite did not run: alone, under `-k`, or when no other test started a plugin it has nothing
to scan, and says so instead of passing on nothing. Run it with the suites that start plugins (`make test`, or
`pytest tests/<dir> tests/test_zz_secrets.py`). The reliability suite's own scan
(tests/reliability/test_zz_no_secrets.py) goes deeper for its tests: health messages, resource bodies, gRPC
errors and decoded frames as well.
"""

from __future__ import annotations

import re
import sys
import urllib.parse
from pathlib import Path

import pytest
from support.plugins import StartedPlugins, StartPlugin
from support.secrets import find_leaks

from cloudwatch_datasource.protocol.host import data_query, datasource_settings, go_plugin_env
from cloudwatch_datasource.tools.emulator import free_port

pytestmark = pytest.mark.processes

OWN_SECRET = "ScanOwnSecretScanOwnSecretScanOwnSecr001"
OWN_TOKEN = "ScanOwnSessionToken" + "Q" * 60
OWN_CRLF_TOKEN = "ScanOwnCrLf\r\nToken" + "W" * 30  # refused by settings parsing, never sent nor shown
OWN_SHORT_PASSWORD = "v;Q8"  # very short: only its value can find it
OWN_URL_PASSWORD = "ScanOwn:Url@Pass"  # in the endpoint URL's user info, percent-encoded
# A constant named like a secret shorter than this is not one (a short secret must still be distinctive).
MIN_SECRET_LENGTH = 4

TESTS = Path(__file__).resolve().parent
FULL_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")
# moto's fixed instance-metadata credentials are public test values, not secrets handed to the plugin.
NOT_SECRETS = {"test-secret-key", "test-session-token"}
SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD")
NOT_SECRET_NAMES = {"SECRETS_SCAN"}  # tests/conftest.py: the path of this file


def secrets_in_test_modules() -> set[str]:
    """Public module-level string constants of the test modules named like secrets (SECRET, TOKEN, PASSWORD...)."""
    found: set[str] = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None) or ""
        if not path.startswith(str(TESTS)):
            continue
        for name, value in vars(module).items():
            if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH and SECRET_NAME.search(name) \
                    and not name.startswith("_") and name not in NOT_SECRET_NAMES and value not in NOT_SECRETS:
                found.add(value)
    return found


def test_no_secret_in_any_plugin_log_line(started_plugins: StartedPlugins, start_plugin: StartPlugin) -> None:
    others = started_plugins.sources()
    if others == 0:
        pytest.fail("nothing to scan: no other test of this run started a plugin process, so the whole-suite "
                    "secrets scan would pass on nothing (run alone, or under -k/-m). Run it with the suites that "
                    "start plugins: `make test`, or `pytest tests/<dir> tests/test_zz_secrets.py`.", pytrace=False)
    # One process of its own as well: keys plus a session token, debug logging, an endpoint that refuses
    # connections (errors are where secrets tend to slip out); then a session token with a line break, a very short
    # proxy password and a password in the endpoint URL.
    own = start_plugin(env=go_plugin_env({"GF_PLUGIN_LOG_LEVEL": "debug", "GF_PLUGIN_AWS_MAX_ATTEMPTS": "1"}))
    dead = f"127.0.0.1:{free_port()}"
    odd_user_info = f"grafana:{urllib.parse.quote(OWN_URL_PASSWORD, safe='')}@"
    texts: list[str] = []
    for json_data, secure in [
        ({"endpoint": f"http://{dead}"}, {"sessionToken": OWN_TOKEN}),
        ({"endpoint": f"http://{dead}"}, {"sessionToken": OWN_CRLF_TOKEN}),
        ({"endpoint": f"http://{odd_user_info}{dead}"}, {"proxyPassword": OWN_SHORT_PASSWORD}),
    ]:
        settings = datasource_settings({"authType": "keys", "defaultRegion": "us-east-1", **json_data},
                                       {"accessKey": "AKIASCANOWNKEY000001", "secretKey": OWN_SECRET, **secure})
        health = own.check_health(settings)
        answer = own.query([data_query("A", {"namespace": "N", "metricName": "M", "region": "default"}, 0,
                                       60_000)], settings).responses["A"]
        assert health.message and answer.error
        texts += [health.message, bytes(health.jsonDetails).decode(), answer.error]
    own.kill()
    assert "secureJsonData.sessionToken contains a control character" in texts[4]
    own_secrets = [OWN_SECRET, OWN_TOKEN, OWN_CRLF_TOKEN, OWN_SHORT_PASSWORD, OWN_URL_PASSWORD,
                   "AKIASCANOWNKEY000001"]
    assert find_leaks(texts, own_secrets) == []

    secrets = secrets_in_test_modules()
    assert {OWN_SECRET, OWN_TOKEN, OWN_CRLF_TOKEN, OWN_SHORT_PASSWORD, OWN_URL_PASSWORD} <= secrets, \
        "the scan must know the secrets the suite used"
    lines = started_plugins.stderr_lines()
    assert own in started_plugins.processes and lines
    leaks = find_leaks(lines, secrets)
    assert not leaks, leaks[:5]
    full_ids = [line[:160] for line in lines if FULL_KEY_ID.search(line)]
    assert not full_ids, full_ids
