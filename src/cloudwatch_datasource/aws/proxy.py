"""Which HTTP proxy a datasource's AWS calls use (Grafana's per-datasource proxy fields; docs/auth.md, "HTTP proxy").

Grafana's rule: the process environment's HTTP_PROXY / HTTPS_PROXY / NO_PROXY apply (Grafana >= 12.4 forwards
exactly those to plugins), unless the operator enabled per-datasource proxies ([aws] setting, passed as
AWS_AUTH_PerDatasourceHTTPProxyEnabled) and the datasource chose `none` (direct) or `url` (its own proxy, with
basic auth when both a user name and a password are set).

botocore does the proxying itself: `Config(proxies=None)` reads the environment, `{}` means direct, and a URL
with user info becomes a Proxy-Authorization header (botocore masks the URL in its own errors). This module only
turns settings into that dict.
"""

from __future__ import annotations

import urllib.parse

from ..errors import SettingsError
from ..settings import DataSourceSettings, ProxyType

_SCHEMES = ("http", "https")


def botocore_proxies(settings: DataSourceSettings, per_datasource_enabled: bool) -> dict[str, str] | None:
    """The `proxies` of the datasource's botocore Config: None = the environment's, {} = none."""
    if not per_datasource_enabled or settings.proxy_type is ProxyType.ENV:
        return None
    if settings.proxy_type is ProxyType.NONE:
        return {}
    url = proxy_url_with_auth(settings)
    return {"http": url, "https": url}


def proxy_url_with_auth(settings: DataSourceSettings) -> str:
    raw = settings.proxy_url
    if not raw:
        raise SettingsError('proxy type "url" needs a Proxy URL in the datasource settings')
    try:
        parts = urllib.parse.urlsplit(raw if "://" in raw else f"http://{raw}")
        port = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in _SCHEMES or not parts.hostname:
        # The URL itself is not quoted back: it may carry credentials.
        raise SettingsError("the datasource's Proxy URL is not a valid http(s) proxy address such as "
                            "http://proxy.example.com:3128")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = host if port is None else f"{host}:{port}"
    # Grafana's rule: the user name and password fields, when both are set, replace any user info in the URL;
    # otherwise the URL's own user info (if any) is kept.
    userinfo = parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else ""
    if settings.proxy_username and settings.proxy_password:
        user = urllib.parse.quote(settings.proxy_username, safe="")
        password = urllib.parse.quote(settings.proxy_password, safe="")
        userinfo = f"{user}:{password}"
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))
