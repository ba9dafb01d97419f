"""Secrets never leave, across the whole suite: every stderr line of every plugin process any test started is
scanned for every secret-looking value the tests handed the plugin, and for any full AWS access key id.

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
from pathlib import Path

import pytest
from support.plugins import StartedPlugins, StartPlugin

from cloudwatch_datasource.protocol.host import data_query, datasource_settings, go_plugin_env
from cloudwatch_datasource.tools.emulator import free_port

pytestmark = pytest.mark.processes

OWN_SECRET = "ScanOwnSecretScanOwnSecretScanOwnSecr001"
OWN_TOKEN = "ScanOwnSessionToken" + "Q" * 60

TESTS = Path(__file__).resolve().parent
FULL_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")
# moto's fixed instance-metadata credentials are public test values, not secrets handed to the plugin.
NOT_SECRETS = {"test-secret-key", "test-session-token"}


def secrets_in_test_modules() -> set[str]:
    """Module-level string constants of the test modules named like secrets (SECRET, TOKEN, SECRET_KEY, ...)."""
    found: set[str] = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None) or ""
        if not path.startswith(str(TESTS)):
            continue
        for name, value in vars(module).items():
            if isinstance(value, str) and len(value) >= 12 and re.search(r"SECRET|TOKEN", name) \
                    and value not in NOT_SECRETS:
                found.add(value)
    return found


def test_no_secret_in_any_plugin_log_line(started_plugins: StartedPlugins, start_plugin: StartPlugin) -> None:
    others = started_plugins.sources()
    if others == 0:
        pytest.fail("nothing to scan: no other test of this run started a plugin process, so the whole-suite "
                    "secrets scan would pass on nothing (run alone, or under -k/-m). Run it with the suites that "
                    "start plugins: `make test`, or `pytest tests/<dir> tests/test_zz_secrets.py`.", pytrace=False)
    # One process of its own as well: keys plus a session token, debug logging, an endpoint that refuses
    # connections (errors are where secrets tend to slip out).
    own = start_plugin(env=go_plugin_env({"GF_PLUGIN_LOG_LEVEL": "debug", "GF_PLUGIN_AWS_MAX_ATTEMPTS": "1"}))
    settings = datasource_settings({"authType": "keys", "defaultRegion": "us-east-1",
                                    "endpoint": f"http://127.0.0.1:{free_port()}"},
                                   {"accessKey": "AKIASCANOWNKEY000001", "secretKey": OWN_SECRET,
                                    "sessionToken": OWN_TOKEN})
    health = own.check_health(settings)
    answer = own.query([data_query("A", {"namespace": "N", "metricName": "M", "region": "default"}, 0, 60_000)],
                       settings).responses["A"]
    own.kill()
    for text in (health.message, answer.error):
        assert text and OWN_SECRET not in text and OWN_TOKEN not in text and "AKIASCANOWNKEY000001" not in text

    secrets = secrets_in_test_modules()
    assert {OWN_SECRET, OWN_TOKEN} <= secrets, "the scan must know the secrets the suite used"
    lines = started_plugins.stderr_lines()
    assert own in started_plugins.processes and lines
    leaks = [(secret[:6] + "…", line[:120]) for line in lines for secret in secrets if secret in line]
    assert not leaks, leaks
    full_ids = [line[:160] for line in lines if FULL_KEY_ID.search(line)]
    assert not full_ids, full_ids
