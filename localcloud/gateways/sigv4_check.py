"""Checking an AWS Signature Version 4 on a received request, the way API Gateway's IAM authorization does.

The expected signature is computed with botocore's own signer, an implementation independent of the product's
(`cofounder.adapters.sigv4`), so a request passes only if both agree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)/(?P<service>[a-z-]+)"
    r"/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})$"
)


def verify_sigv4(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    secret_keys: Mapping[str, str],
    region: str,
    service: str = "execute-api",
) -> str | None:
    """None when `headers["authorization"]` (header names in lower case) is a well-formed SigV4 signature of
    this request that botocore's signer computes too, for the access key's secret in `secret_keys`; else what
    is wrong. `url` is the request's URL as sent (scheme, Host header, percent-encoded path)."""
    match = AUTHORIZATION.match(headers.get("authorization", ""))
    if match is None:
        return f"malformed Authorization header: {headers.get('authorization')!r}"
    if match["region"] != region or match["service"] != service:
        return f"scope {match['region']}/{match['service']}, expected {region}/{service}"
    secret = secret_keys.get(match["key"])
    if secret is None:
        return f"unknown access key {match['key']}"
    amz_date = headers.get("x-amz-date", "")
    if amz_date[:8] != match["date"]:
        return f"x-amz-date {amz_date!r} is not of the credential's date {match['date']}"
    signed = match["signed"].split(";")
    if "host" not in signed or "x-amz-date" not in signed:
        return f"host and x-amz-date must be signed: {signed}"
    if "x-amz-security-token" in headers and "x-amz-security-token" not in signed:
        return "the security token is sent but not signed"
    missing = [name for name in signed if name not in headers]
    if missing:
        return f"signed headers not sent: {missing}"
    request = AWSRequest(method, url, data=body, headers={name: headers[name] for name in signed})
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(ReadOnlyCredentials(match["key"], secret, headers.get("x-amz-security-token")), service, region)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    return None if expected == match["signature"] else "signature mismatch"
