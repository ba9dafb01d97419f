"""Settings and operator policy: Grafana's key names, lenient where Grafana is, strict with a named field."""

from __future__ import annotations

import json

import pytest

from cloudwatch_datasource.backend import DataSourceInstance
from cloudwatch_datasource.errors import SettingsError
from cloudwatch_datasource.policy import ClientTuning, OperatorPolicy
from cloudwatch_datasource.settings import AuthType, parse_settings, redact_access_key

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ACCESS = "AKIAIOSFODNN7EXAMPLE"
TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"


def settings_from(json_data: object, secure: dict[str, str] | None = None, database: str = ""):
    raw = json_data if isinstance(json_data, bytes) else json.dumps(json_data).encode()
    return parse_settings(DataSourceInstance(uid="u1", json_data=raw, decrypted_secure_json_data=secure or {},
                                             database=database, last_updated_ms=5))


def test_grafana_cloudwatch_keys_are_read() -> None:
    s = settings_from({"authType": "keys", "defaultRegion": "eu-west-1", "assumeRoleArn": "arn:aws:iam::1:role/r",
                       "externalId": "ext", "endpoint": "http://127.0.0.1:1", "customMetricsNamespaces": "A/B, C/D,"},
                      {"accessKey": ACCESS, "secretKey": SECRET, "sessionToken": TOKEN})
    assert s.auth_type is AuthType.KEYS and s.default_region == "eu-west-1"
    assert s.assume_role_arn == "arn:aws:iam::1:role/r" and s.external_id == "ext"
    assert s.custom_metrics_namespaces == ("A/B", "C/D")
    assert (s.access_key, s.secret_key, s.session_token) == (ACCESS, SECRET, TOKEN)


@pytest.mark.parametrize(("raw", "expected"), [
    ("default", AuthType.DEFAULT), ("keys", AuthType.KEYS), ("credentials", AuthType.CREDENTIALS),
    ("sharedCreds", AuthType.CREDENTIALS), ("ec2_iam_role", AuthType.EC2_IAM_ROLE), ("arn", AuthType.DEFAULT),
    ("", AuthType.DEFAULT), ("something-new", AuthType.DEFAULT),
])
def test_auth_type_decoding_matches_grafana(raw: str, expected: AuthType) -> None:
    s = settings_from({"authType": raw})
    assert s.auth_type is expected and s.auth_type_raw == raw


def test_assume_role_arn_in_any_spelling_is_seen() -> None:
    assert settings_from({"assumeRoleARN": "arn:x"}).assume_role_arn == "arn:x"
    assert settings_from({"assumeRoleArn": "", "ASSUMEROLEARN": "arn:y"}).assume_role_arn == "arn:y"


def test_profile_falls_back_to_database_and_region_rules() -> None:
    s = settings_from({"authType": "credentials", "defaultRegion": "us-east-2"}, database="legacy")
    assert s.profile == "legacy"
    assert s.effective_default_region == "us-east-2"
    assert settings_from({"region": "default", "defaultRegion": "x-1"}).effective_default_region == "x-1"
    assert settings_from({"region": "ap-south-1", "defaultRegion": "x-1"}).effective_default_region == "ap-south-1"


@pytest.mark.parametrize(("raw", "field"), [
    ({"authType": 5}, "jsonData.authType"), ({"defaultRegion": ["a"]}, "jsonData.defaultRegion"),
    ({"customMetricsNamespaces": 3}, "jsonData.customMetricsNamespaces"),
])
def test_wrong_types_name_the_field(raw: dict[str, object], field: str) -> None:
    with pytest.raises(SettingsError, match=field):
        settings_from(raw)


def test_malformed_json_is_a_clear_error_without_echoing_input() -> None:
    with pytest.raises(SettingsError) as err:
        settings_from(b'{"secretish": "' + SECRET.encode() + b'"')
    assert "not valid JSON" in err.value.message and SECRET not in err.value.message
    with pytest.raises(SettingsError, match="JSON object"):
        settings_from(b"[1,2]")
    assert settings_from(b"").auth_type is AuthType.DEFAULT  # empty jsonData = defaults, as in Grafana


def test_repr_and_str_never_show_secrets() -> None:
    s = settings_from({"authType": "keys"}, {"accessKey": ACCESS, "secretKey": SECRET, "sessionToken": TOKEN})
    for text in (repr(s), str(s), f"{s}", repr([s])):
        assert SECRET not in text and TOKEN not in text and ACCESS not in text
    assert "AKIA…MPLE" in repr(s)
    assert redact_access_key(ACCESS) == "AKIA…MPLE" and redact_access_key("short") == "****"


def test_fingerprint_changes_with_anything_that_changes_credentials() -> None:
    base = settings_from({"authType": "keys"}, {"accessKey": ACCESS, "secretKey": SECRET})
    other_secret = settings_from({"authType": "keys"}, {"accessKey": ACCESS, "secretKey": SECRET + "x"})
    other_role = settings_from({"authType": "keys", "assumeRoleArn": "arn:r"}, {"accessKey": ACCESS,
                                                                               "secretKey": SECRET})
    assert len({base.fingerprint, other_secret.fingerprint, other_role.fingerprint}) == 3
    assert SECRET not in base.fingerprint


def test_operator_policy_request_config_wins_over_environment() -> None:
    env = {"AWS_AUTH_AllowedAuthProviders": "default", "AWS_AUTH_AssumeRoleEnabled": "true",
           "AWS_AUTH_SESSION_DURATION": "1h", "AWS_CW_LIST_METRICS_PAGE_LIMIT": "7"}
    p = OperatorPolicy.resolve({"AWS_AUTH_AllowedAuthProviders": "keys, ec2_iam_role",
                                "AWS_AUTH_AssumeRoleEnabled": "false"}, env)
    assert p.allowed_auth_providers == ("keys", "ec2_iam_role")
    assert p.assume_role_enabled is False
    assert p.session_duration_seconds == 3600 and p.list_metrics_page_limit == 7
    defaults = OperatorPolicy.resolve({}, {})
    assert defaults.allowed_auth_providers == ("default", "keys", "credentials")
    assert defaults.assume_role_enabled and defaults.session_duration_seconds == 900
    assert defaults.list_metrics_page_limit == 500


def test_operator_switch_fails_closed_on_garbage() -> None:
    assert OperatorPolicy.resolve({"AWS_AUTH_AssumeRoleEnabled": "maybe"}, {}).assume_role_enabled is False
    assert OperatorPolicy.resolve({"AWS_AUTH_SESSION_DURATION": "1s"}, {}).session_duration_seconds == 900  # STS min


def test_client_tuning_from_plugin_section() -> None:
    t = ClientTuning.from_env({"GF_PLUGIN_AWS_RETRY_MODE": "Adaptive", "GF_PLUGIN_AWS_MAX_ATTEMPTS": "5"})
    assert t.retry_mode == "adaptive" and t.max_attempts == 5
    assert ClientTuning.from_env({"GF_PLUGIN_AWS_RETRY_MODE": "bogus"}).retry_mode == "standard"


def test_in_flight_limit_defaults_to_two_thirds_of_the_workers() -> None:
    assert ClientTuning.from_env({}).max_in_flight_per_datasource == 64
    t = ClientTuning.from_env({"GF_PLUGIN_GRPC_WORKERS": "12"})
    assert (t.grpc_workers, t.max_in_flight_per_datasource) == (12, 8)
    assert ClientTuning.from_env({"GF_PLUGIN_MAX_IN_FLIGHT_PER_DATASOURCE": "5"}).max_in_flight_per_datasource == 5


def test_in_flight_limit_counts_per_datasource_and_forgets_idle_ones() -> None:
    from cloudwatch_datasource.admission import InFlightLimit

    limit = InFlightLimit(2)
    assert limit.try_acquire("a") and limit.try_acquire("a") and not limit.try_acquire("a")
    assert limit.try_acquire("b")  # another datasource is unaffected
    limit.release("a")
    assert limit.try_acquire("a")
    for key in ("a", "a", "b"):
        limit.release(key)
    assert limit.in_flight("a") == limit.in_flight("b") == 0 and not limit._in_flight


def test_secrets_are_trimmed_and_control_characters_refused_naming_the_field() -> None:
    # Provisioning YAML's block scalars end a value with a newline; that is trimmed, for every secret.
    s = settings_from({"authType": "keys"}, {"accessKey": f" {ACCESS}\n", "secretKey": f"{SECRET}\r\n",
                                             "sessionToken": f"\t{TOKEN} ", "proxyPassword": "pw\n"})
    assert (s.access_key, s.secret_key, s.session_token, s.proxy_password) == (ACCESS, SECRET, TOKEN, "pw")
    for field in ("accessKey", "secretKey", "sessionToken", "proxyPassword"):
        with pytest.raises(SettingsError) as err:
            settings_from({"authType": "keys"}, {field: "abc\r\ndef"})
        assert err.value.message.startswith(f"secureJsonData.{field} contains a control character")
        assert "abc" not in err.value.message and "def" not in err.value.message.split("inside")[1]


def test_datasource_secrets_are_every_secure_value_and_url_passwords() -> None:
    from cloudwatch_datasource.settings import datasource_secrets

    instance = DataSourceInstance(uid="u", json_data=json.dumps({
        "endpoint": "http://user:p%40ss%2Fword@127.0.0.1:1/x", "proxyUrl": "http://u:short@proxy:3128",
    }).encode(), decrypted_secure_json_data={"secretKey": SECRET, "other": "zz\n", "empty": ""})
    assert set(datasource_secrets(instance)) == {SECRET, "zz\n", "p%40ss%2Fword", "p@ss/word", "short"}
    # jsonData that does not parse still yields the secureJsonData values (and never raises)
    broken = DataSourceInstance(uid="u", json_data=b"{nope", decrypted_secure_json_data={"accessKey": "k"})
    assert datasource_secrets(broken) == ("k",)
    assert datasource_secrets(None) == ()


def test_secret_scrubber_cuts_every_spelling_of_a_value() -> None:
    from cloudwatch_datasource.redact import REDACTED, SecretScrubber

    scrub = SecretScrubber(["tok\r\nen-tail", 'q"Z', "p@ss/w"])
    texts = {
        "Invalid header value b'tok\\r\\nen-tail'": "Invalid header value b'<redacted>'",
        '{"t": "tok\\r\\nen-tail"}': '{"t": "<redacted>"}',
        "first line tok, then en-tail on the next": "first line tok, then <redacted> on the next",
        'short q"Z and q\\"Z': "short <redacted> and <redacted>",
        "http://u:p%40ss%2Fw@h and p@ss/w": "http://u:<redacted>@h and <redacted>",
    }
    for text, expected in texts.items():
        assert scrub(text) == expected
    assert scrub(REDACTED) == REDACTED and SecretScrubber([])("abc") == "abc"


def test_log_lines_are_scrubbed_of_parsed_secrets_by_value() -> None:
    import io
    import logging

    import structlog

    from cloudwatch_datasource import logs
    from cloudwatch_datasource.redact import RECENT_SECRETS

    stream = io.StringIO()
    logs.configure("info", stream)
    try:
        # Refused (a line break inside), and still remembered for scrubbing: a refused secret is scrubbed too.
        with pytest.raises(SettingsError):
            settings_from({"authType": "keys", "endpoint": "http://u:Lg%23pw@h:1"},
                          {"secretKey": "Log\r\nSecretTail", "proxyPassword": "in"})
        structlog.get_logger("t").info("refused Log\r\nSecretTail and b'Log\\r\\nSecretTail'",
                                       extra={"nested": ["Lg#pw", {"deep": "Lg%23pw"}]})
        logging.getLogger("botocore.x").warning("header value %r", "Log\r\nSecretTail")
    finally:
        logs.configure("info")
        RECENT_SECRETS.clear()  # "in" would be cut out of every later log line of this test process
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["@level"] for line in lines] == ["info", "warn"]  # "in" is a secret, but not in our own words
    text = stream.getvalue()
    for form in ("Log\\r\\nSecretTail", "SecretTail", "Lg#pw", "Lg%23pw"):
        assert form not in text, form
    assert "<redacted>" in lines[0]["@message"] and "<redacted>" in lines[1]["@message"]


def test_result_cache_settings_defaults_and_values() -> None:
    default = parse_settings(DataSourceInstance(uid="x", json_data=b"{}")).cache
    assert (default.ttl_s, default.max_bytes, default.late_data_s, default.incremental, default.full_refresh_s) == (
        30.0, 64 * 1024 * 1024, 300, True, 600.0)
    raw = {"cacheTTLSeconds": "0", "cacheMaxMB": 8, "cacheLateDataSeconds": 120, "cacheIncremental": False,
           "cacheFullRefreshSeconds": 900}
    cache = parse_settings(DataSourceInstance(uid="x", json_data=json.dumps(raw).encode())).cache
    assert not cache.enabled and cache.max_bytes == 8 * 1024 * 1024 and cache.late_data_s == 120
    assert not cache.incremental and cache.full_refresh_s == 900


@pytest.mark.parametrize(("key", "value"), [("cacheTTLSeconds", -1), ("cacheTTLSeconds", "soon"),
                                            ("cacheMaxMB", 0), ("cacheLateDataSeconds", 30),
                                            ("cacheFullRefreshSeconds", True), ("cacheIncremental", "yes")])
def test_a_bad_result_cache_setting_names_its_key(key: str, value: object) -> None:
    with pytest.raises(SettingsError, match=f"jsonData.{key}"):
        parse_settings(DataSourceInstance(uid="x", json_data=json.dumps({key: value}).encode()))
