"""Where AWS clients are sent: the datasource's custom endpoint, FIPS, and the STS region and endpoint rules.

Grafana's rules (grafana/grafana-aws-sdk pkg/awsauth, docs/auth.md), applied to botocore client arguments:
an empty or "default" endpoint → normal resolution; one containing "-fips." → dropped, FIPS resolution on;
an STS-looking one → ignored entirely; anything else → endpoint_url of every client, STS included (Grafana
builds its STS client from the same base config).
"""

from __future__ import annotations

from dataclasses import dataclass

# Opt-in regions reject STS tokens minted elsewhere unless the account enabled them; Grafana sends STS calls
# for these to us-east-1 instead (SDK pkg/common/opt_in.go).
OPT_IN_REGIONS = frozenset({
    "af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-west-1", "eu-central-2", "eu-south-1",
    "eu-south-2", "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
})

_STS_PREFIXES = ("sts.", "sts-fips.", "https://sts.", "https://sts-fips.")


@dataclass(frozen=True)
class EndpointRules:
    endpoint_url: str | None  # passed to every client; None → botocore resolves the endpoint itself
    use_fips: bool
    ignored_sts_endpoint: bool = False  # for a log line: the user typed an STS URL we deliberately skip


def endpoint_rules(endpoint: str) -> EndpointRules:
    value = endpoint.strip()
    if not value or value == "default":
        return EndpointRules(None, False)
    if "-fips." in value:
        return EndpointRules(None, True)
    if value.lower().startswith(_STS_PREFIXES):
        return EndpointRules(None, False, ignored_sts_endpoint=True)
    if "://" not in value:
        # Grafana's UI accepts a bare host name; botocore needs a scheme, and AWS endpoints are https.
        value = "https://" + value
    return EndpointRules(value, False)


def sts_region(region: str) -> str:
    return "us-east-1" if region in OPT_IN_REGIONS else region
