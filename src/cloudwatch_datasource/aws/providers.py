"""Credential providers per Grafana auth type, composed as botocore CredentialResolvers.

`default` is botocore's own default chain; every "no fallback" type (keys, credentials, ec2_iam_role) is a
resolver holding exactly one provider, so a missing source fails instead of silently using another identity.
Assume role wraps whichever base resolver in one more provider that returns auto-refreshing credentials.
This module also says, in words, where credentials came from and why none were found.
"""

from __future__ import annotations

import configparser
import os
import pwd
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from botocore.credentials import (
    AssumeRoleCredentialFetcher,
    CredentialProvider,
    CredentialResolver,
    Credentials,
    DeferredRefreshableCredentials,
    InstanceMetadataFetcher,
    InstanceMetadataProvider,
    SharedCredentialProvider,
    create_credential_resolver,
)
from botocore.session import Session
from botocore.utils import resolve_imds_endpoint_mode

from ..redact import redact_access_key
from ..settings import AuthType, DataSourceSettings

log = structlog.get_logger(__name__)

ClientCreator = Callable[..., Any]

# botocore METHOD names → what a Grafana user reads in the health check.
_METHOD_TEXT = {
    "env": "environment variables",
    "iam-role": "EC2 instance metadata (IMDS) role",
    "container-role": "container credentials (ECS/EKS)",
    "assume-role-with-web-identity": "web identity token (IRSA)",
    "sso": "IAM Identity Center (SSO)",
    "custom-process": "credential_process",
    "login": "AWS console login session",
    "ec2-credentials-file": "EC2 credentials file",
    "boto-config": "boto config file",
}

DEFAULT_CHAIN_TEXT = ("the AWS SDK default chain (environment variables, shared credentials/config files, "
                      "web identity token, container credentials, EC2 instance metadata)")


class StaticKeysProvider(CredentialProvider):  # type: ignore[misc]
    """accessKey/secretKey(/sessionToken) from secureJsonData; botocore calls code-given keys 'explicit'."""

    METHOD = "explicit"
    CANONICAL_NAME = "customStaticKeys"

    def __init__(self, access_key: str, secret_key: str, session_token: str = "") -> None:
        super().__init__()
        self._access_key = access_key
        self._secret_key = secret_key
        self._token = session_token or None

    def load(self) -> Credentials | None:
        if not self._access_key or not self._secret_key:
            return None
        return Credentials(self._access_key, self._secret_key, self._token, method=self.METHOD)

    def __repr__(self) -> str:
        return f"StaticKeysProvider(access_key={redact_access_key(self._access_key)!r})"


class CheckedSharedCredentialProvider(SharedCredentialProvider):  # type: ignore[misc]
    """botocore's shared-credentials-file provider, plus a warning when others can rewrite the file."""

    def __init__(self, creds_filename: str, profile_name: str) -> None:
        super().__init__(creds_filename, profile_name)

    def load(self) -> Credentials | None:
        try:
            mode = os.stat(self._creds_filename).st_mode
        except OSError:
            mode = 0
        if mode & (stat.S_IWGRP | stat.S_IWOTH):
            # Whoever can write this file can make the plugin act as any identity they hold keys for.
            log.warning("aws credentials file is group/world-writable", path=self._creds_filename,
                        mode=oct(stat.S_IMODE(mode)))
        return super().load()


class AssumedRoleCredentials(DeferredRefreshableCredentials):  # type: ignore[misc]
    """Assumed-role credentials that refresh before expiry, with windows fitted to the session length.

    botocore's defaults (advisory 15 min, mandatory 10 min) exceed Grafana's default 15-minute session, which
    would make every request call AssumeRole; the windows here leave most of the session usable.
    """

    def __init__(self, refresh_using: Callable[[], dict[str, Any]], method: str, *,
                 advisory_seconds: int, mandatory_seconds: int) -> None:
        super().__init__(refresh_using=refresh_using, method=method)
        self._advisory_refresh_timeout = advisory_seconds
        self._mandatory_refresh_timeout = mandatory_seconds


def refresh_windows(duration_seconds: int) -> tuple[int, int]:
    """(advisory, mandatory) seconds before expiry: botocore's 15/10 min, capped at 1/3 and 1/6 of it."""
    return min(15 * 60, duration_seconds // 3), min(10 * 60, duration_seconds // 6)


class AssumeRoleOnBaseProvider(CredentialProvider):  # type: ignore[misc]
    """sts:AssumeRole with credentials from a base resolver (any auth type), refreshed automatically.

    Unlike botocore's AssumeRoleProvider (which reads role_arn from a profile), the role comes from the
    datasource settings. The fetcher caches the STS answer, so one AssumeRole serves until near expiry.
    """

    METHOD = "assume-role"
    CANONICAL_NAME = "customAssumeRole"

    def __init__(self, base: CredentialResolver, client_creator: ClientCreator, role_arn: str,
                 external_id: str, duration_seconds: int) -> None:
        super().__init__()
        self._base = base
        self._client_creator = client_creator
        self.role_arn = role_arn
        self._external_id = external_id
        self._duration = duration_seconds
        self.base_method: str | None = None

    def load(self) -> Credentials | None:
        base = self._base.load_credentials()
        if base is None:
            return None
        self.base_method = base.method
        extra: dict[str, Any] = {
            # STS wants ≥2 chars; the nanosecond suffix keeps concurrent sessions apart in CloudTrail.
            "RoleSessionName": f"grafana-cloudwatch-{time.time_ns()}",
            "DurationSeconds": self._duration,
        }
        if self._external_id:
            extra["ExternalId"] = self._external_id
        advisory, mandatory = refresh_windows(self._duration)
        fetcher = AssumeRoleCredentialFetcher(
            client_creator=self._client_creator, source_credentials=base, role_arn=self.role_arn,
            extra_args=extra, cache={}, expiry_window_seconds=advisory,
        )
        return AssumedRoleCredentials(fetcher.fetch_credentials, self.METHOD,
                                      advisory_seconds=advisory, mandatory_seconds=mandatory)


def imds_provider(session: Session) -> InstanceMetadataProvider:
    """botocore's IMDS provider configured exactly as its default chain does (IMDSv2 with v1 fallback, the
    AWS_EC2_METADATA_SERVICE_ENDPOINT / _DISABLED / _V1_DISABLED variables honoured)."""
    config = {
        "ec2_metadata_service_endpoint": session.get_config_variable("ec2_metadata_service_endpoint"),
        "ec2_metadata_service_endpoint_mode": resolve_imds_endpoint_mode(session),
        "ec2_credential_refresh_window": 60 * 10,
        "ec2_metadata_v1_disabled": session.get_config_variable("ec2_metadata_v1_disabled"),
    }
    fetcher = InstanceMetadataFetcher(
        timeout=session.get_config_variable("metadata_service_timeout"),
        num_attempts=session.get_config_variable("metadata_service_num_attempts"),
        user_agent=session.user_agent(), config=config,
    )
    return InstanceMetadataProvider(iam_role_fetcher=fetcher)


def credentials_file_path(session: Session) -> str:
    return os.path.expanduser(str(session.get_config_variable("credentials_file")))


def config_file_path(session: Session) -> str:
    return os.path.expanduser(str(session.get_config_variable("config_file")))


@dataclass
class CredentialChain:
    """A resolver plus what is needed to explain its result in words."""

    resolver: CredentialResolver
    settings: DataSourceSettings
    searched: str  # "no AWS credentials found by <searched>"
    credentials_file: str = ""
    config_file: str = ""
    profile: str = ""
    imds_endpoint: str = ""
    assume: AssumeRoleOnBaseProvider | None = field(default=None)

    def describe(self, credentials: Credentials) -> str:
        method = self.assume.base_method if self.assume else credentials.method
        base = self.describe_method(method or "")
        return f"assumed role {self.assume.role_arn} via {base}" if self.assume else base

    def describe_method(self, method: str) -> str:
        if method == "explicit":
            return f"access and secret key ({redact_access_key(self.settings.access_key)})"
        if method == "shared-credentials-file":
            return f"shared credentials file {self.credentials_file}, profile {self.profile}"
        if method == "config-file":
            return f"shared config file {self.config_file}, profile {self.profile}"
        if method == "assume-role":
            return f"role_arn of profile {self.profile} in {self.config_file}"
        text = _METHOD_TEXT.get(method)
        return text if text else f"AWS SDK credentials ({method or 'unknown'})"

    def not_found_message(self) -> str:
        """Why no credentials were found, with the documented fixes for the method that was tried."""
        suffix = f" (needed as base credentials to assume {self.assume.role_arn})" if self.assume else ""
        at = self.settings.auth_type
        if at is AuthType.CREDENTIALS:
            return diagnose_credentials_file(self.credentials_file, self.profile) + suffix
        if at is AuthType.EC2_IAM_ROLE:
            if os.environ.get("AWS_EC2_METADATA_DISABLED", "").lower() == "true":
                why = "instance metadata is disabled by AWS_EC2_METADATA_DISABLED=true"
            else:
                endpoint = self.imds_endpoint or "http://169.254.169.254"
                why = (f"no role credentials from {endpoint} (not on EC2, no instance profile attached, "
                       "or the metadata hop limit too low for a container)")
            return (f'no AWS credentials found by "Workspace IAM role" (EC2 instance metadata, no fallback): '
                    f"{why}{suffix}")
        if at is AuthType.KEYS:
            return "no AWS credentials: the access key id or secret access key is empty" + suffix
        return f"no AWS credentials found by {self.searched}{suffix}"


def diagnose_credentials_file(path: str, profile: str) -> str:
    """Say which file, profile and OS user were tried and what was wrong, plus Grafana's documented fixes."""
    try:
        user = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        user = "?"
    who = f"as OS user {user} (uid {os.getuid()}), HOME={os.environ.get('HOME', '')}"
    if not os.path.exists(path):
        why = "the file does not exist"
    elif not os.access(path, os.R_OK):
        why = "the file is not readable by this user"
    else:
        parser = configparser.RawConfigParser()
        try:
            parser.read(path)
            sections = parser.sections()
        except configparser.Error:
            sections = None
        if sections is None:
            why = "the file is not a valid INI file"
        elif profile not in sections:
            found = ", ".join(sections[:10]) or "none"
            why = f"profile [{profile}] is not in the file (profiles found: {found})"
        else:
            why = f"profile [{profile}] has no aws_access_key_id"
    return (f'no AWS credentials found in shared credentials file {path}, profile "{profile}", tried {who}: '
            f"{why}. Fix: put the file in the HOME of the user running grafana-server (for Grafana's "
            "packages and Docker image /usr/share/grafana/.aws/credentials), readable by that user with mode "
            'at most 0644, or set AWS_SHARED_CREDENTIALS_FILE; or use "AWS SDK Default" authentication')


def build_chain(settings: DataSourceSettings, auth_type: AuthType, session: Session, *, sts_region: str,
                sts_client_creator: ClientCreator, duration_seconds: int) -> CredentialChain:
    """The resolver for one datasource: the base for its auth type, wrapped in assume role when set."""
    profile = settings.profile or "default"
    if auth_type is AuthType.KEYS:
        chain = CredentialChain(
            CredentialResolver([StaticKeysProvider(settings.access_key, settings.secret_key,
                                                   settings.session_token)]),
            settings, "access and secret key")
    elif auth_type is AuthType.CREDENTIALS:
        path = credentials_file_path(session)
        chain = CredentialChain(
            CredentialResolver([CheckedSharedCredentialProvider(path, profile)]), settings,
            f"shared credentials file {path}, profile {profile}", credentials_file=path, profile=profile)
    elif auth_type is AuthType.EC2_IAM_ROLE:
        chain = CredentialChain(
            CredentialResolver([imds_provider(session)]), settings, "EC2 instance metadata (IMDS) role",
            imds_endpoint=str(session.get_config_variable("ec2_metadata_service_endpoint") or ""))
    else:
        chain = CredentialChain(
            create_credential_resolver(session, region_name=sts_region), settings, DEFAULT_CHAIN_TEXT,
            credentials_file=credentials_file_path(session), config_file=config_file_path(session),
            profile=str(session.get_config_variable("profile") or "default"))
    if settings.assume_role_arn:
        assume = AssumeRoleOnBaseProvider(chain.resolver, sts_client_creator, settings.assume_role_arn,
                                          settings.external_id, duration_seconds)
        chain.resolver = CredentialResolver([assume])
        chain.assume = assume
    return chain
