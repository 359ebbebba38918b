"""HTTP responses the way API Gateway's HTTP API makes them: from a handler's result (payload format 2.0)
or its own ``{"message": ...}`` answers."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from typing import Any

from werkzeug import Response

__all__ = ["GatewayResponse", "gateway_message", "response_from_result"]

# Headers the server computes itself: a handler's values for them are dropped.
_HOP_BY_HOP = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive", "date", "server"})


class GatewayResponse(Response):
    """A response with no ``Content-Type`` unless one is given (as API Gateway passes a handler's headers)."""

    default_mimetype = None


def gateway_message(status: int, message: str, headers: Iterable[tuple[str, str]] = ()) -> GatewayResponse:
    """One of the gateway's own answers: ``{"message": "Not Found"}`` and the like."""
    body = json.dumps({"message": message}, separators=(",", ":"))
    return GatewayResponse(body, status, [("content-type", "application/json"), *headers])


def response_from_result(result: Any) -> GatewayResponse:
    """Map a handler's result to an HTTP response, as API Gateway does for payload format 2.0.

    A result without ``statusCode`` is a 200 JSON body (a string: the body itself); ``headers``,
    ``multiValueHeaders`` (they win for a name in both), ``cookies`` and a base64 ``body`` are honoured.
    """
    if not (isinstance(result, Mapping) and "statusCode" in result):
        body = result if isinstance(result, str) else json.dumps(result)
        return GatewayResponse(body, 200, [("content-type", "application/json")])
    status = int(result["statusCode"])
    if not 100 <= status <= 599:
        raise ValueError(f"invalid statusCode {status}")
    headers: list[tuple[str, str]] = []
    single = {str(k).lower(): v for k, v in (result.get("headers") or {}).items()}
    multi = {str(k).lower(): v for k, v in (result.get("multiValueHeaders") or {}).items()}
    for name, value in single.items():
        if name not in multi:
            headers.append((name, _header_value(value)))
    for name, values in multi.items():
        for value in values if isinstance(values, list | tuple) else [values]:
            headers.append((name, _header_value(value)))
    for cookie in result.get("cookies") or []:
        headers.append(("set-cookie", str(cookie)))
    headers = [(n, v) for n, v in headers if n not in _HOP_BY_HOP]
    return GatewayResponse(_body(result), status, headers)


def _body(result: Mapping[str, Any]) -> bytes:
    raw_body = result.get("body")
    if raw_body is None:
        return b""
    if result.get("isBase64Encoded"):
        return base64.b64decode(raw_body)
    if isinstance(raw_body, str):
        return raw_body.encode()
    return json.dumps(raw_body).encode()


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
