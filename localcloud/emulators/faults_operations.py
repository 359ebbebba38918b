"""Which AWS service and API operation a request to the AWS port calls, read as AWS reads it.

The service is the signing name in the SigV4 credential scope (``Authorization`` header, or ``X-Amz-Credential``
for a presigned URL). The operation is the ``X-Amz-Target`` header (JSON protocols: DynamoDB, SQS), the
``Action`` parameter (the query protocol: older SQS clients), or the method and path matched against the
``requestUri`` of every operation in botocore's model of the service (REST protocols: S3, Scheduler, Lambda).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import botocore.session
from botocore.model import ServiceModel

__all__ = ["SERVICES", "AwsCall", "AwsRequest", "identify", "operation_names", "signing_service"]

SERVICES = ("sqs", "dynamodb", "s3", "scheduler", "lambda")
Protocol = Literal["json", "query", "rest-json", "rest-xml"]

_CREDENTIAL = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/,\s]+/([^/,\s]+)/aws4_request")
_URI_LABEL = re.compile(r"\{([^}]+?)(\+?)\}")
_S3_VIRTUAL_HOST = re.compile(r"^(?P<bucket>.+?)\.(?:localhost|s3[.-].*)$")


@dataclass(frozen=True)
class AwsRequest:
    """What identifying a call needs: header names lower-case, the path percent-decoded (WSGI's PATH_INFO)."""

    method: str
    path: str
    query: Mapping[str, Sequence[str]]
    headers: Mapping[str, str]
    form: Mapping[str, Sequence[str]] | None = None  # a form-encoded body (the query protocol)


@dataclass(frozen=True)
class AwsCall:
    service: str
    operation: str
    protocol: Protocol  # how the call was made, so how its error is answered


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def _model(service: str) -> ServiceModel:
    return _session().get_service_model(service)


def operation_names(service: str) -> frozenset[str]:
    return frozenset(_model(service).operation_names)


def signing_service(headers: Mapping[str, str], query: Mapping[str, Sequence[str]]) -> str | None:
    credential = headers.get("authorization") or "".join(f"Credential={c}" for c in query.get("X-Amz-Credential", ()))
    found = _CREDENTIAL.search(credential)
    return found.group(1).lower() if found else None


def identify(request: AwsRequest) -> AwsCall | None:
    """The call a request makes, or None when it is not a signed call to one of `SERVICES`."""
    service = signing_service(request.headers, request.query)
    if service not in SERVICES:
        return None
    if target := request.headers.get("x-amz-target"):
        return AwsCall(service, target.rsplit(".", 1)[-1], "json")
    if action := _first(request.query, "Action") or _first(request.form or {}, "Action"):
        return AwsCall(service, action, "query")
    protocol = _model(service).protocol
    if protocol not in ("rest-json", "rest-xml"):
        return None
    path = request.path
    if service == "s3" and (bucket := _virtual_host_bucket(request.headers.get("host", ""))):
        path = f"/{bucket}{path}"
    operation = _rest_operation(service, request.method.upper(), path, request.query, request.headers)
    return AwsCall(service, operation, protocol) if operation else None


def _first(values: Mapping[str, Sequence[str]], name: str) -> str | None:
    found = values.get(name)
    return found[0] if found else None


def _virtual_host_bucket(host: str) -> str | None:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    found = _S3_VIRTUAL_HOST.match(name.lower())
    return found.group("bucket") if found and not found.group("bucket").startswith("s3") else None


@dataclass(frozen=True)
class _Route:
    operation: str
    path: re.Pattern[str]
    query: tuple[tuple[str, str | None], ...]  # names the call must carry (with the value, when the URI fixes it)
    headers: tuple[str, ...]  # required header members (CopyObject's x-amz-copy-source tells it from PutObject)

    def matches(self, path: str, query: Mapping[str, Sequence[str]], headers: Mapping[str, str]) -> bool:
        return (
            self.path.fullmatch(path) is not None
            and all(name in query and (value is None or value in query[name]) for name, value in self.query)
            and all(name in headers for name in self.headers)
        )


@functools.cache
def _routes(service: str) -> dict[str, tuple[_Route, ...]]:
    """Every REST operation of the service by method, the most specific first."""
    model = _model(service)
    by_method: dict[str, list[_Route]] = {}
    for name in model.operation_names:
        operation = model.operation_model(name)
        uri_path, _, uri_query = operation.http["requestUri"].partition("?")
        query = {key: value or None for key, _, value in (part.partition("=") for part in uri_query.split("&") if part)}
        headers: list[str] = []
        shape = operation.input_shape
        for member in shape.required_members if shape is not None else ():
            where = shape.members[member].serialization
            if where.get("location") == "querystring":
                query.setdefault(where["name"], None)
            elif where.get("location") == "header":
                headers.append(where["name"].lower())
        route = _Route(name, _path_pattern(uri_path), tuple(query.items()), tuple(headers))
        by_method.setdefault(operation.http["method"].upper(), []).append(route)
    return {
        method: tuple(sorted(routes, key=lambda r: len(r.query) + len(r.headers), reverse=True))
        for method, routes in by_method.items()
    }


def _path_pattern(uri_path: str) -> re.Pattern[str]:
    parts, last = [], 0
    for label in _URI_LABEL.finditer(uri_path):
        parts.append(re.escape(uri_path[last : label.start()]))
        parts.append(".+" if label.group(2) else "[^/]+")
        last = label.end()
    parts.append(re.escape(uri_path[last:].rstrip("/")))
    return re.compile("".join(parts) + "/?")


def _rest_operation(
    service: str, method: str, path: str, query: Mapping[str, Sequence[str]], headers: Mapping[str, str]
) -> str | None:
    for route in _routes(service).get(method, ()):
        if route.matches(path, query, headers):
            return route.operation
    return None
