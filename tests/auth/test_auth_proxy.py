"""The per-datasource HTTP proxy (jsonData proxyType/proxyUrl/proxyUsername, secureJsonData proxyPassword) and the
environment's HTTP_PROXY, end to end: the plugin started and called by grafana-server's own client (the Go host,
tests/support/grafana_host.py) with Grafana 12.4's plugin environment, CheckHealth against moto on 127.0.0.1, through a
real proxy server (Debian's tinyproxy, basic auth on) whose log shows which AWS calls it carried. Plus the
settings → botocore `proxies` rules on their own.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ProxyConnectionError
from support.grafana_host import GrafanaHost, StartGrafana, datasource

from cloudwatch_datasource.aws.aws_errors import describe_aws_error
from cloudwatch_datasource.aws.proxy import botocore_proxies
from cloudwatch_datasource.aws.sessions import AwsSessions, reject_unreadable_body
from cloudwatch_datasource.backend import DataSourceInstance
from cloudwatch_datasource.errors import DownstreamError, ErrorSource, SettingsError
from cloudwatch_datasource.policy import PER_DATASOURCE_HTTP_PROXY_ENABLED, OperatorPolicy
from cloudwatch_datasource.redact import redact_url, scrub_secrets
from cloudwatch_datasource.settings import DataSourceSettings, ProxyType, parse_settings
from cloudwatch_datasource.tools.emulator import Emulator, free_port
from cloudwatch_datasource.tools.emulator import Emulator as MotoServer

OK, ERROR = "OK", "ERROR"  # backend.HealthStatus as the SDK names it
PROXY_USER = "grafana"
PROXY_SECRET = "Pr0xySecret_pass-w0rd.01"  # what tinyproxy's config grammar accepts
ODD_SECRET = "Pr0xy/Secret@pass:w0rd"  # '/', '@' and ':' must survive URL quoting
KEY = "AKIAPROXYTESTKEY0001"
KEY_SECRET = "ProxyTestSecretProxyTestSecretProxyT0001"


class Tinyproxy:
    """A real HTTP proxy on 127.0.0.1 that wants basic auth and logs every request it forwards."""

    def __init__(self, workdir: Path, connect_port: int | None = None) -> None:
        binary = shutil.which("tinyproxy") or "/usr/bin/tinyproxy"
        if not Path(binary).exists():
            pytest.fail("tinyproxy missing: run scripts/setup.sh --system (apt-get install tinyproxy) — this test "
                        "must not be skipped")
        self.port = free_port()
        self.log = workdir / "tinyproxy.log"
        config = workdir / "tinyproxy.conf"
        config.write_text(f'Port {self.port}\nListen 127.0.0.1\nTimeout 30\nLogFile "{self.log}"\nLogLevel Info\n'
                          f"MaxClients 50\nAllow 127.0.0.1\nDisableViaHeader Yes\n"
                          f"BasicAuth {PROXY_USER} {PROXY_SECRET}\n"
                          # CONNECT tunnels only to this port (tinyproxy's default allows 443 and 563 only).
                          + (f"ConnectPort {connect_port}\n" if connect_port else ""))
        self.process = subprocess.Popen([binary, "-d", "-c", str(config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not (self.log.exists() and "listening on" in self.log.read_text().lower()):
            assert self.process.poll() is None, "tinyproxy exited at start"
            assert time.monotonic() < deadline, "tinyproxy did not start listening"
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def forwarded(self, target: str) -> int:
        """How many requests the proxy passed on to `target` (host:port): tinyproxy logs the request line first
        (also for one it then refuses with 407) and "Established connection" only for one it forwards."""
        host = target.split(":")[0]
        return len(re.findall(rf'Established connection to host "{re.escape(host)}"', self.log.read_text()))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[Tinyproxy]:
    server = Tinyproxy(tmp_path)
    yield server
    server.stop()


@dataclass
class Plugins:
    grafana: StartGrafana
    started: list[GrafanaHost] = field(default_factory=list)


@pytest.fixture
def plugins(grafana: StartGrafana) -> Iterator[Plugins]:
    started = Plugins(grafana)
    yield started
    for process in started.started:
        stopped = process.kill()
        assert stopped["graceful"], stopped["hostLog"]
        for line in process.stderr_lines:
            assert PROXY_SECRET not in line and KEY_SECRET not in line, "a secret reached the plugin's log"


def start(plugins: Plugins, env: Mapping[str, str], host_env: Mapping[str, str] | None = None) -> GrafanaHost:
    """The plugin with `env` on top of Grafana's plugin environment; `host_env` is grafana-server's own, of which
    Grafana >= 12.4 forwards only the proxy variables (and a few AWS ones) to the plugin."""
    process = plugins.grafana(env={"AWS_EC2_METADATA_DISABLED": "true", "GF_PLUGIN_AWS_MAX_ATTEMPTS": "1", **env},
                              host_env=host_env)
    plugins.started.append(process)
    return process


@dataclass
class Health:
    """CheckHealth as the SDK converts it (backend.CheckHealthResult)."""

    status: str
    message: str


def check(process: GrafanaHost, json_data: dict[str, Any], secure: dict[str, str]) -> Health:
    answer = process.check_health(datasource(json_data, secure))
    for secret in (PROXY_SECRET, KEY_SECRET):
        assert secret not in answer["message"] and secret not in json.dumps(answer["jsonDetails"])
    return Health(answer["status"], answer["message"])


def health(process: GrafanaHost, moto: MotoServer, **proxy_fields: Any) -> Health:
    password = proxy_fields.pop("proxyPassword", None)
    secure = {"accessKey": KEY, "secretKey": KEY_SECRET, **({"proxyPassword": password} if password else {})}
    json_data = {"authType": "keys", "defaultRegion": "us-east-1", "endpoint": moto.url, **proxy_fields}
    return check(process, json_data, secure)


def moto_target(moto: MotoServer) -> str:
    return moto.url.removeprefix("http://").rstrip("/")


ENABLED = {PER_DATASOURCE_HTTP_PROXY_ENABLED: "true"}


def test_url_proxy_with_basic_auth_carries_every_aws_call(plugins: Plugins, moto: MotoServer,
                                                          proxy: Tinyproxy) -> None:
    p = start(plugins, ENABLED)
    resp = health(p, moto, proxyType="url", proxyUrl=proxy.url, proxyUsername=PROXY_USER,
                  proxyPassword=PROXY_SECRET)
    assert resp.status == OK, resp.message
    # The health check's calls (GetCallerIdentity, ListMetrics, DescribeLogGroups) all went through the proxy.
    assert proxy.forwarded(moto_target(moto)) >= 3


def test_wrong_proxy_password_is_a_clear_error(plugins: Plugins, moto: MotoServer,
                                               proxy: Tinyproxy) -> None:
    p = start(plugins, ENABLED)
    resp = health(p, moto, proxyType="url", proxyUrl=proxy.url, proxyUsername=PROXY_USER,
                  proxyPassword="not-the-password")
    assert resp.status == ERROR
    # tinyproxy answers 407 and resets the connection before reading the POST body, so the plugin sees a
    # connection failure (a proxy that lets the 407 through gets the message tested below).
    assert "cannot reach" in resp.message and "proxy settings" in resp.message
    assert proxy.forwarded(moto_target(moto)) == 0


def test_a_407_answer_names_the_proxy_credentials() -> None:
    with pytest.raises(DownstreamError) as caught:
        reject_unreadable_body({"status_code": 407, "headers": {}, "body": b"<html>407</html>"},
                               SimpleNamespace(name="GetMetricData"))
    assert caught.value.message.startswith("GetMetricData: the HTTP proxy refused the request (407 Proxy "
                                           "Authentication Required): check the proxy user name and password")


def test_proxy_fields_are_ignored_unless_the_operator_enables_them(plugins: Plugins,
                                                                   moto: MotoServer, proxy: Tinyproxy) -> None:
    p = start(plugins, {})  # AWS_AUTH_PerDatasourceHTTPProxyEnabled not set: Grafana's default is off
    resp = health(p, moto, proxyType="url", proxyUrl=f"http://127.0.0.1:{free_port()}", proxyUsername=PROXY_USER,
                  proxyPassword=PROXY_SECRET)
    assert resp.status == OK, resp.message  # direct: the (dead) proxy URL was not used
    assert proxy.forwarded(moto_target(moto)) == 0


def test_env_proxy_applies_by_default_and_none_goes_direct(plugins: Plugins, moto: MotoServer,
                                                           proxy: Tinyproxy) -> None:
    # Grafana >= 12.4 forwards its own HTTP(S)_PROXY / NO_PROXY to plugins; botocore honours them.
    with_auth = proxy.url.replace("http://", f"http://{PROXY_USER}:{urllib.parse.quote(PROXY_SECRET, safe='')}@")
    p = start(plugins, ENABLED, host_env={"HTTP_PROXY": with_auth})
    assert health(p, moto).status == OK  # proxyType unset = env
    through_env = proxy.forwarded(moto_target(moto))
    assert through_env >= 3
    assert health(p, moto, proxyType="none").status == OK  # direct, although the environment names a proxy
    assert proxy.forwarded(moto_target(moto)) == through_env


def test_bad_proxy_url_is_a_settings_error_without_echo(plugins: Plugins, moto: MotoServer) -> None:
    p = start(plugins, ENABLED)
    for bad in ("ftp://proxy:21", "http://", f"http://{PROXY_USER}:{PROXY_SECRET}@127.0.0.1:99999",
                "http://127.0.0.1:99999"):
        resp = health(p, moto, proxyType="url", proxyUrl=bad)
        assert resp.status == ERROR and "Proxy URL is not a valid http(s) proxy address" in resp.message, bad
    resp = health(p, moto, proxyType="url")
    assert resp.status == ERROR and 'proxy type "url" needs a Proxy URL' in resp.message
    # Any other proxyType means the environment's proxy, as in Grafana (none here: direct).
    assert health(p, moto, proxyType="socks").status == OK


def test_a_proxy_that_is_not_there_is_a_downstream_error_naming_it(plugins: Plugins,
                                                                   moto: MotoServer) -> None:
    p = start(plugins, ENABLED)
    dead = f"http://127.0.0.1:{free_port()}"
    resp = health(p, moto, proxyType="url", proxyUrl=dead, proxyUsername=PROXY_USER, proxyPassword=PROXY_SECRET)
    assert resp.status == ERROR
    assert f"cannot connect through the HTTP proxy http://***:***@{dead.removeprefix('http://')}" in resp.message


def test_proxy_connection_errors_are_described() -> None:
    refused = ProxyConnectionError(proxy_url="http://***:***@proxy:3128",
                                   error="Tunnel connection failed: 407 Proxy Authentication Required")
    described = describe_aws_error(refused, operation="cloudwatch:GetMetricData")
    assert described.status == 502 and described.source is ErrorSource.DOWNSTREAM
    assert "refused the request (authentication required): check the proxy user name and password" in \
        described.message
    down = describe_aws_error(ProxyConnectionError(proxy_url="http://proxy:3128", error="Connection refused"),
                              operation="cloudwatch:GetMetricData")
    assert "cannot connect through the HTTP proxy http://proxy:3128" in down.message


# --- the rules on their own ------------------------------------------------------------------------------------

def settings(**fields: Any) -> DataSourceSettings:
    return DataSourceSettings(**{"uid": "ds", **fields})


def test_botocore_proxies_rules() -> None:
    url = settings(proxy_type=ProxyType.URL, proxy_url="proxy.example.com:3128/", proxy_username="u",
                   proxy_password=ODD_SECRET)
    assert botocore_proxies(url, False) is None  # operator switch off: the environment decides
    assert botocore_proxies(settings(proxy_type=ProxyType.ENV), True) is None
    assert botocore_proxies(settings(proxy_type=ProxyType.NONE), True) == {}
    assert parse_settings(DataSourceInstance(uid="ds", json_data=b'{"proxyType": "Socks5"}')).proxy_type \
        is ProxyType.ENV  # unknown values: the environment's proxy, as Grafana
    quoted = "http://u:Pr0xy%2FSecret%40pass%3Aw0rd@proxy.example.com:3128/"
    assert botocore_proxies(url, True) == {"http": quoted, "https": quoted}
    # Basic auth only with both a user name and a password, as Grafana does.
    no_password = settings(proxy_type=ProxyType.URL, proxy_url="https://[::1]:8443", proxy_username="u")
    assert botocore_proxies(no_password, True) == {"http": "https://[::1]:8443", "https": "https://[::1]:8443"}
    # User info in the URL is kept unless both fields are set, which then replace it (Grafana's rule).
    in_url = settings(proxy_type=ProxyType.URL, proxy_url="http://a:b%40c@h:1", proxy_username="u")
    assert botocore_proxies(in_url, True) == {"http": "http://a:b%40c@h:1", "https": "http://a:b%40c@h:1"}
    both = settings(proxy_type=ProxyType.URL, proxy_url="http://a:b@h:1", proxy_username="u", proxy_password="p")
    assert botocore_proxies(both, True) == {"http": "http://u:p@h:1", "https": "http://u:p@h:1"}
    with pytest.raises(SettingsError) as caught:
        botocore_proxies(settings(proxy_type=ProxyType.URL, proxy_url=f"http://u:{ODD_SECRET}@h:99999"), True)
    assert "Pr0xy" not in caught.value.message


def test_operator_switch_and_settings_repr() -> None:
    assert OperatorPolicy.resolve({}, {}).per_datasource_http_proxy_enabled is False
    assert OperatorPolicy.resolve({}, {PER_DATASOURCE_HTTP_PROXY_ENABLED: "true"}).per_datasource_http_proxy_enabled
    assert OperatorPolicy.resolve({PER_DATASOURCE_HTTP_PROXY_ENABLED: "false"},
                                  {PER_DATASOURCE_HTTP_PROXY_ENABLED: "true"}).per_datasource_http_proxy_enabled \
        is False  # the request's config wins
    assert not OperatorPolicy.resolve({}, {PER_DATASOURCE_HTTP_PROXY_ENABLED: "maybe"}) \
        .per_datasource_http_proxy_enabled
    assert OperatorPolicy.resolve({}, {"GF_PLUGIN_PER_DATASOURCE_HTTP_PROXY_ENABLED": "true"}) \
        .per_datasource_http_proxy_enabled  # the plugin's own [plugin.<id>] key
    s = settings(proxy_type=ProxyType.URL, proxy_url="http://h:1", proxy_password=PROXY_SECRET)
    assert PROXY_SECRET not in repr(s) and "proxy_password='<set>'" in repr(s)
    assert s.fingerprint != settings(proxy_type=ProxyType.URL, proxy_url="http://h:1",
                                     proxy_password="other").fingerprint  # a new password rebuilds clients


def test_url_passwords_are_scrubbed_from_any_text() -> None:
    text = f'Failed to connect to proxy URL: "http://{PROXY_USER}:Pr0xy%2FSecret%40pass@127.0.0.1:3128"'
    assert scrub_secrets(text) == f'Failed to connect to proxy URL: "http://{PROXY_USER}:***@127.0.0.1:3128"'
    assert scrub_secrets("http://ops:s3cr@tpw@proxy:3128/x") == "http://ops:***@proxy:3128/x"  # raw "@" inside
    assert redact_url("ops:pa@ss:word@proxy:3128") == "ops:***@proxy:3128"  # no scheme, as env vars allow
    assert redact_url("http://proxy:3128") == "http://proxy:3128"


def test_botocores_own_credential_clients_get_the_datasource_proxy() -> None:
    """IRSA's AssumeRoleWithWebIdentity, a profile's role_arn and SSO create their clients from the session's
    default client config, not from ours: it must carry the same proxies (and timeouts and retries)."""
    sessions = AwsSessions()
    policy = OperatorPolicy(per_datasource_http_proxy_enabled=True)
    direct = sessions.get(settings(proxy_type=ProxyType.NONE, default_region="us-east-1"), policy)
    assert direct.botocore_session.get_default_client_config().proxies == {}
    through = sessions.get(settings(uid="ds2", proxy_type=ProxyType.URL, proxy_url="http://proxy:3128",
                                    default_region="us-east-1"), policy)
    assert through.botocore_session.get_default_client_config().proxies == {
        "http": "http://proxy:3128", "https": "http://proxy:3128"}
    sts = through.botocore_session.create_client("sts", region_name="us-east-1")  # as botocore's providers do
    assert sts.meta.config.proxies == {"http": "http://proxy:3128", "https": "http://proxy:3128"}


# --- HTTPS through the proxy (CONNECT), the way every real AWS call goes -----------------------------------------

@pytest.fixture(scope="module")
def tls_moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    with Emulator(tls=(str(cert_file), str(key_file))) as emulator:
        yield emulator


def test_https_endpoint_through_the_proxy_tunnel(plugins: Plugins, tls_moto: Emulator,
                                                 tmp_path: Path) -> None:
    proxy = Tinyproxy(tmp_path, connect_port=tls_moto.port)
    try:
        p = start(plugins, {**ENABLED, "AWS_CA_BUNDLE": tls_moto.ca_file})
        json_data = {"authType": "keys", "defaultRegion": "us-east-1", "endpoint": tls_moto.url, "proxyType": "url",
                     "proxyUrl": proxy.url, "proxyUsername": PROXY_USER}
        good = check(p, json_data, {"accessKey": KEY, "secretKey": KEY_SECRET, "proxyPassword": PROXY_SECRET})
        assert good.status == OK, good.message
        assert re.search(rf"Request \(file descriptor \d+\): CONNECT 127\.0\.0\.1:{tls_moto.port} ",
                         proxy.log.read_text())
        bad = check(p, json_data, {"accessKey": KEY, "secretKey": KEY_SECRET, "proxyPassword": "not-the-password"})
        assert bad.status == ERROR
        assert "refused the request (authentication required): check the proxy user name and password" in \
            bad.message, bad.message
        for resp in (good, bad):
            assert PROXY_SECRET not in resp.message and KEY_SECRET not in resp.message
    finally:
        proxy.stop()
