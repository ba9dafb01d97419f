"""No secret key, session token or full access key id in any log line, error, repr or health text."""

from __future__ import annotations

import logging

import pytest
from structlog.testing import capture_logs

from cloudwatch_datasource.aws import describe_aws_error
from cloudwatch_datasource.errors import PluginError
from cloudwatch_datasource.policy import OperatorPolicy
from cloudwatch_datasource.settings import AuthType

from .helpers import closed_port_url, make_settings, write_credentials

ACCESS_KEY = "AKIASECRETTESTKEY999"
SECRET = "SuperSecretValueSuperSecretValue/1234567"
TOKEN = "FwoGZXIvYXdzEXAMPLETOKEN" + "Z" * 120
FILE_KEY = "AKIAFILEFILEFILE9999"
FILE_SECRET = "FileSecretFileSecretFileSecretFileSecre1"


def test_no_secret_anywhere(moto, auth_moto, isolated_aws_env, sessions, monkeypatch, caplog):
    caplog.set_level(logging.INFO)
    write_credentials(isolated_aws_env["AWS_SHARED_CREDENTIALS_FILE"],
                      f"[prod]\naws_access_key_id = {FILE_KEY}\naws_secret_access_key = {FILE_SECRET}\n",
                      mode=0o666)
    texts: list[str] = []
    scenarios = [
        (make_settings(moto.url, AuthType.KEYS, access_key=ACCESS_KEY, secret_key=SECRET, session_token=TOKEN,
                       assume_role_arn="arn:aws:iam::123456789012:role/r", external_id="ext-1"), None),
        (make_settings(moto.url, AuthType.CREDENTIALS, uid="f", profile="prod"), None),
        (make_settings(auth_moto.server.url, AuthType.KEYS, uid="bad", access_key=auth_moto.alice_key,
                       secret_key=SECRET), None),
        (make_settings(auth_moto.server.url, AuthType.KEYS, uid="bad-token", access_key=auth_moto.alice_key,
                       secret_key=auth_moto.alice_secret, session_token=TOKEN), None),
        (make_settings(auth_moto.server.url, AuthType.KEYS, uid="assume-bad", access_key=auth_moto.alice_key,
                       secret_key=auth_moto.alice_secret, assume_role_arn=auth_moto.role_arn,
                       external_id="wrong-ext"), None),
        (make_settings(closed_port_url(), AuthType.KEYS, uid="dead", access_key=ACCESS_KEY, secret_key=SECRET),
         None),
        (make_settings(moto.url, AuthType.CREDENTIALS, uid="missing", profile="nope"), None),
    ]
    with capture_logs() as logs:
        for settings, _ in scenarios:
            texts.append(repr(settings))
            try:
                s = sessions.get(settings, OperatorPolicy())
                texts.append(repr(s))
                texts.append(s.credentials_source())
                texts.append(s.caller_identity())
                s.client("cloudwatch").list_metrics()
            except PluginError as exc:
                texts.append(str(exc))
            except Exception as exc:  # noqa: BLE001
                mapped = describe_aws_error(exc, operation="cloudwatch:ListMetrics")
                texts.append(str(mapped))
        with pytest.raises(PluginError) as err:
            sessions.get(make_settings(moto.url, AuthType.KEYS, uid="half", access_key=ACCESS_KEY),
                         OperatorPolicy())
        texts.append(str(err.value))
    texts += [repr(e) for e in logs]
    texts += [r.getMessage() for r in caplog.records]
    blob = "\n".join(texts)
    assert "assumed role arn:aws:iam::123456789012:role/r via access and secret key (AKIA…Y999)" in blob
    assert "the secret key does not match the access key id" in blob
    assert "the access key id (or session token) is not valid" in blob
    assert "assume role denied" in blob and "cannot reach" in blob
    for secret in (ACCESS_KEY, SECRET, TOKEN, TOKEN[:30], FILE_KEY, FILE_SECRET, auth_moto.alice_secret,
                   auth_moto.alice_key):
        assert secret not in blob
