"""`cloudwatch-datasource doctor --settings ds.json`: resolve a datasource's AWS credentials outside Grafana and
explain every step, with what to change when a step fails.

It runs the plugin's own code (settings → operator policy → auth → STS → CloudWatch), so what it says is what the
plugin would do under the same user and environment. Run it as the user grafana-server runs as (e.g.
`sudo -u grafana ...`) with the same environment, since HOME, uid and AWS_* variables decide the outcome.
Secrets are never printed: key ids are shortened, secret values are only said to be set.
"""

from __future__ import annotations

import argparse
import os
import pwd
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from ..aws import botocore_proxies
from ..errors import PluginError
from ..policy import OperatorPolicy
from ..redact import redact_access_key, redact_url
from ..settings import AuthType, DataSourceSettings, ProxyType, parse_settings
from .settings_file import load_datasource

OK, FAIL, NOTE = "✔", "✘", "•"


class Report:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.failed = False

    def line(self, mark: str, text: str, fix: str = "") -> None:
        if mark == FAIL:
            self.failed = True
        self.out.write(f"{mark} {text}\n")
        if fix:
            self.out.write(f"    → {fix}\n")


def main(argv: list[str], environ: Mapping[str, str] | None = None, out: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cloudwatch-datasource doctor", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settings", required=True, help="datasource JSON (jsonData/secureJsonData)")
    parser.add_argument("--region", default="", help="region to test (default: the datasource's default region)")
    parser.add_argument("--offline", action="store_true", help="check files and settings only; call no AWS API")
    args = parser.parse_args(argv)
    env = os.environ if environ is None else environ
    report = Report(out or sys.stdout)

    from .. import logs

    logs.configure(level="error")
    try:
        settings = parse_settings(load_datasource(args.settings))
    except (PluginError, OSError, ValueError) as exc:
        report.line(FAIL, f"settings: {exc}", "fix the datasource JSON (jsonData must be a JSON object)")
        return 1
    _describe_settings(report, settings)
    policy = OperatorPolicy.resolve({}, env)
    _describe_process(report, env)
    _describe_proxy(report, settings, policy, env)
    _describe_sources(report, settings, env)
    if args.offline:
        return 1 if report.failed else 0
    _resolve(report, settings, policy, args.region or None)
    return 1 if report.failed else 0


def _describe_settings(report: Report, s: DataSourceSettings) -> None:
    auth = s.auth_type.value + (f" (from authType {s.auth_type_raw!r})" if s.auth_type_raw not in
                                ("", s.auth_type.value) else "")
    report.line(NOTE, f"auth type: {auth}; default region: {s.effective_default_region or '(none)'}; "
                      f"endpoint: {s.endpoint or '(AWS default)'}")
    if not s.effective_default_region:
        report.line(FAIL, "no default region", 'set jsonData.defaultRegion (the "Default Region" field)')
    if s.assume_role_arn:
        report.line(NOTE, f"assume role: {s.assume_role_arn}" + (", with external ID" if s.external_id else ""))
    if s.auth_type is AuthType.KEYS:
        report.line(NOTE, f"access key id: {redact_access_key(s.access_key) or '(empty)'}; secret key: "
                          f"{'set' if s.secret_key else '(empty)'}; session token: "
                          f"{'set' if s.session_token else 'none'}")


def _describe_process(report: Report, env: Mapping[str, str]) -> None:
    uid = os.getuid()
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = "?"
    home = env.get("HOME", "")
    report.line(NOTE, f"running as OS user {user} (uid {uid}, gid {os.getgid()}), HOME={home or '(unset)'}")
    names = sorted(k for k in env if k.startswith("AWS_"))
    report.line(NOTE, "AWS_* variables set: " + (", ".join(names) if names else "none")
                + " (values not shown)")


def _describe_proxy(report: Report, s: DataSourceSettings, policy: OperatorPolicy, env: Mapping[str, str]) -> None:
    """Which proxy AWS calls will use (aws/proxy.py decides; this only says it, URLs without passwords)."""
    try:
        proxies = botocore_proxies(s, policy.per_datasource_http_proxy_enabled)
    except PluginError as exc:
        report.line(FAIL, f"HTTP proxy: {exc}", "fix jsonData.proxyType / proxyUrl")
        return
    ignored = s.proxy_type is not ProxyType.ENV and not policy.per_datasource_http_proxy_enabled
    if proxies is None:
        names = [k for k in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy")
                 if env.get(k)]
        shown = ", ".join(f"{k}={redact_url(env[k])}" for k in names) or "none set: direct"
        report.line(NOTE, f"HTTP proxy: from the environment ({shown})")
    elif not proxies:
        report.line(NOTE, "HTTP proxy: none (direct, whatever the environment says)")
    else:
        report.line(NOTE, f"HTTP proxy: {redact_url(proxies['https'])}")
    if ignored:
        report.line(NOTE, f"jsonData.proxyType is {s.proxy_type.value!r} but per-datasource proxies are off, so it "
                          "is ignored", "an administrator can set [plugin.pyaws-cloudwatch-datasource] "
                          "per_datasource_http_proxy_enabled = true")


def _file_state(path: str) -> tuple[bool, str]:
    """(usable, description) of a file this process must read."""
    p = Path(path)
    if not p.exists():
        return False, f"{path} does not exist"
    info = p.stat()
    mode = stat.S_IMODE(info.st_mode)
    readable = os.access(path, os.R_OK)
    text = f"{path} (owner uid {info.st_uid}, mode {oct(mode)}, {'readable' if readable else 'NOT readable'} " \
           f"by uid {os.getuid()})"
    return readable, text


def _describe_sources(report: Report, s: DataSourceSettings, env: Mapping[str, str]) -> None:
    home = env.get("HOME") or os.path.expanduser("~")
    creds_file = env.get("AWS_SHARED_CREDENTIALS_FILE") or os.path.join(home, ".aws", "credentials")
    profile = s.profile or "default"
    if s.auth_type is AuthType.CREDENTIALS:
        usable, text = _file_state(creds_file)
        report.line(OK if usable else FAIL, f"shared credentials file: {text}; profile {profile!r}",
                    "" if usable else "put the file in the HOME of the user running grafana-server (packages and "
                    "Docker: /usr/share/grafana/.aws/credentials) with mode 0644 or stricter, or set "
                    "AWS_SHARED_CREDENTIALS_FILE")
        if usable and stat.S_IMODE(Path(creds_file).stat().st_mode) & 0o022:
            report.line(FAIL, "the credentials file is group/world-writable", f"chmod 0644 {creds_file}")
    if s.auth_type is AuthType.DEFAULT:
        token = env.get("AWS_WEB_IDENTITY_TOKEN_FILE")
        if token:
            usable, text = _file_state(token)
            report.line(OK if usable else FAIL, f"web identity token (IRSA): {text}; role "
                        f"{'set' if env.get('AWS_ROLE_ARN') else 'AWS_ROLE_ARN MISSING'}",
                        "" if usable else "Grafana's container runs as uid 472: give the pod securityContext "
                        "fsGroup: 472, runAsUser: 472, runAsGroup: 472 so it can read the projected token; "
                        "otherwise the SDK falls back to the node's instance role")
        if env.get("AWS_ACCESS_KEY_ID"):
            report.line(NOTE, "environment keys are set: the default chain uses them first")
        if env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI") or env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
            report.line(NOTE, "container credentials endpoint is configured (ECS/EKS Pod Identity)")
        usable, text = _file_state(creds_file)
        report.line(NOTE, f"shared credentials file: {text}")
    if s.auth_type is AuthType.EC2_IAM_ROLE:
        if env.get("AWS_EC2_METADATA_DISABLED", "").lower() == "true":
            report.line(FAIL, "instance metadata is disabled (AWS_EC2_METADATA_DISABLED=true)",
                        "unset it, or choose another authentication method")
        else:
            endpoint = env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://169.254.169.254")
            report.line(NOTE, f"instance metadata endpoint: {endpoint} (IMDSv2, v1 fallback); no other source "
                              "is used")


def _resolve(report: Report, s: DataSourceSettings, policy: OperatorPolicy, region: str | None) -> None:
    from ..aws import AwsSessions, recent_failures

    try:
        session = AwsSessions().get(s, policy, region)
    except PluginError as exc:
        report.line(FAIL, f"refused before any AWS call: {exc.message}")
        return
    report.line(OK, f"allowed by the operator's policy (allowed: {', '.join(policy.allowed_auth_providers)}; "
                    f"assume role {'enabled' if policy.assume_role_enabled else 'disabled'})")
    # The health check's own calls (cloudwatch/health.py), with one page of ListMetrics and no Logs probe.
    from ..cloudwatch.health import check_access

    access = check_access(session, page_limit=1, check_logs=False)
    if access.credentials_error:
        report.line(FAIL, f"credentials: {access.credentials_error}")
        return
    report.line(OK, f"credentials from {access.credentials_source}")
    if access.identity:
        report.line(OK, f"identity: {access.identity}")
    else:
        report.line(FAIL, f"identity: {access.identity_error}")
    if access.metrics is not None:
        report.line(OK if access.metrics.ok else FAIL, f"region {access.region}: {access.metrics.message}")
    # The AWS layer's own view (aws/calls.py): every operation that failed above, by its API name and AWS code.
    failed = recent_failures(session.uid)
    if failed:
        report.line(NOTE, "AWS operations that failed: " + "; ".join(
            f"{f.operation} in {f.region or 'no region'} ({f.code})" for f in failed))
