"""Secrets: settings objects never show them, and nothing the suite observed contains one.

The module name sorts last and conftest moves it to the end of the run: by then every reliability test has fed
LEAKS with what it saw (every stderr line of every plugin process started, gRPC errors, health messages and
details, resource bodies and headers, per-refId errors, decoded frames).

The scan checks the suite, so it needs the suite: run alone, under `-k`, or without the tests that start plugin
processes it would scan nothing, and it fails saying so. Supported runs: `make test`, `pytest tests/reliability`
(and any selection that includes the reliability tests which start plugins).
"""

from __future__ import annotations

import json
import os

import pytest
from support.secrets import spellings

from cloudwatch_datasource.backend import DataSourceInstance
from cloudwatch_datasource.settings import parse_settings

from . import test_bad_input, test_faults, test_lifecycle, test_load, test_policy
from .helpers import KEY_ID, LEAKS, SECRET_KEY, SECRETS, SESSION_TOKEN, json_data, secure_keys


def test_settings_repr_and_str_redact_secrets() -> None:
    instance = DataSourceInstance(uid="r", json_data=json.dumps(json_data("http://127.0.0.1:1")).encode(),
                                  decrypted_secure_json_data=secure_keys())
    settings = parse_settings(instance)
    assert settings.secret_key == SECRET_KEY  # parsed, just never shown
    for text in (repr(settings), str(settings), f"{settings}", f"{settings!r}", repr(instance), str([settings])):
        LEAKS.add("repr", text)
        for secret in (KEY_ID, SECRET_KEY, SESSION_TOKEN):
            assert secret not in text
    assert "AKIA…0042" in repr(settings) and "secret_key='<set>'" in repr(settings)


@pytest.mark.processes  # reads what the plugin processes of the reliability tests wrote; nothing without them
def test_no_secret_in_anything_the_suite_observed() -> None:
    stderr = [text for kind, text in LEAKS.texts if kind == "stderr"]
    if LEAKS.plugins_started == 0 or not stderr:
        pytest.fail(f"nothing to scan: {LEAKS.plugins_started} plugin processes, {len(stderr)} stderr lines, "
                    f"{len(LEAKS.texts)} texts in all (run alone, or under -k/-m?). This scan checks what the "
                    "reliability tests observed; run it with them: `pytest tests/reliability` or `make test`.",
                    pytrace=False)
    # Every spelling of every secret (escaped, percent-encoded, the pieces between its line breaks), so a secret
    # with a line break, a very short one or a URL's password is found however the text carries it.
    forms = [(name, form) for name, secret in SECRETS.items() for form in spellings(secret)]
    found = [(kind, name, text[:200]) for kind, text in LEAKS.texts for name, form in forms if form in text]
    assert found == [], found[:5]
    # none of the plugin processes' stderr lines reports an unhandled error
    # (the plugin's own last-resort handlers log "internal error" / "... unexpectedly"; urllib3 warns when the
    # connection pool is too small for the load)
    unhandled = [line for line in stderr if any(word in line for word in (
        '"internal error"', "unexpectedly", "Connection pool is full"))]
    assert unhandled == [], unhandled[:5]
    summary = {
        "texts scanned": dict(LEAKS.counts), "plugin processes": LEAKS.plugins_started,
        "bad-input cases": dict(test_bad_input.CASES), "policy cases": dict(test_policy.CASES),
        "faults survived": list(test_faults.FAULTS_SURVIVED), "lifecycle seconds": dict(test_lifecycle.LIFECYCLE),
        "load": dict(test_load.FIGURES), "leaks found": len(found),
    }
    print("\nreliability figures: " + json.dumps(summary, indent=1))
    target = os.environ.get("RELIABILITY_FIGURES")
    if target:
        with open(target, "w") as f:
            json.dump(summary, f, indent=1)
