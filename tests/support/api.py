"""Invoking the HTTP and WebSocket handlers with the sample events of events/, adjusted per call."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any
from urllib.parse import urlencode

from localcloud.handlers import load_handler
from localcloud.lambda_context import LocalLambdaContext
from tests.support.cloud import ROOT

UNSET = object()


def sample(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "events" / name).read_text())


def http_event(
    name: str,
    *,
    sub: str | None = "founder-1",
    path: dict[str, str] | None = None,
    body: Any = UNSET,
    raw_body: str | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A sample HTTP API event for another founder, path, body or query (what API Gateway would send)."""
    event = copy.deepcopy(sample(name))
    if path:
        event["pathParameters"] = {**(event.get("pathParameters") or {}), **path}
        raw_path = event["requestContext"]["http"]["path"]
        for key, old in (sample(name).get("pathParameters") or {}).items():
            raw_path = raw_path.replace(old, path.get(key, old))
        event["rawPath"] = event["requestContext"]["http"]["path"] = raw_path
    if body is not UNSET:
        event["body"] = json.dumps(body)
        event["isBase64Encoded"] = False
    if raw_body is not None:
        event["body"] = raw_body
    if query is not None:
        event["queryStringParameters"] = query or None
        event["rawQueryString"] = urlencode(query)
    if headers:
        event["headers"] = {**event.get("headers", {}), **headers}
    authorizer = event["requestContext"].get("authorizer")
    if sub is None:
        event["requestContext"].pop("authorizer", None)
    elif authorizer:
        authorizer["jwt"]["claims"]["sub"] = sub
    return event


def call_http(event: dict[str, Any]) -> tuple[int, Any]:
    response = load_handler("functions/http_api")(event, LocalLambdaContext("http_api"))
    body = response.get("body") or "null"
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return response["statusCode"], json.loads(body)


def http(name: str, **kwargs: Any) -> tuple[int, Any]:
    return call_http(http_event(name, **kwargs))


def ws_event(name: str, connection_id: str, *, token: Any = UNSET, body: Any = UNSET) -> dict[str, Any]:
    event = copy.deepcopy(sample(name))
    event["requestContext"]["connectionId"] = connection_id
    if token is not UNSET:
        event["queryStringParameters"] = None if token is None else {"token": token}
    if body is not UNSET:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    return event


def call_ws(event: dict[str, Any]) -> dict[str, Any]:
    return load_handler("functions/websocket")(event, LocalLambdaContext("websocket"))
