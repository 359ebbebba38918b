"""Lambda events built the way AWS builds them: API Gateway (HTTP API payload 2.0, WebSocket API) and SQS event
source mappings.

The one place that knows API Gateway's account id, request ids, trace ids and request-time format: the HTTP
and WebSocket gateways build their events here.
"""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "ACCOUNT_ID",
    "HttpRequest",
    "WebSocketApi",
    "WebSocketClient",
    "amzn_trace_id",
    "claim_strings",
    "failed_message_ids",
    "http_api_event",
    "new_request_id",
    "query_parameters",
    "request_time",
    "sqs_event",
    "sqs_record",
    "websocket_connect_event",
    "websocket_disconnect_event",
    "websocket_message_event",
]

ACCOUNT_ID = "123456789012"  # moto's default account: the local cloud's ARNs and events agree on it
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TEXT_TYPES = (
    "application/json",
    "application/javascript",
    "application/xml",
    "application/x-www-form-urlencoded",
    "application/graphql",
    "application/x-ndjson",
    "application/x-yaml",
    "application/yaml",
)

# ---------------------------------------------------------------------------------------------------------
# What API Gateway stamps on every event
# ---------------------------------------------------------------------------------------------------------


def new_request_id() -> str:
    """An id shaped like API Gateway's (16 characters ending in ``=``, e.g. ``cBx2Hj4IAMEb_Qw=``)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(11)).decode("ascii")


def request_time(epoch_ms: int) -> str:
    """``requestContext.time`` / ``requestTime``: ``25/Nov/2026:12:00:00 +0000`` (English months, any locale)."""
    t = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return f"{t.day:02d}/{_MONTHS[t.month - 1]}/{t.year}:{t.hour:02d}:{t.minute:02d}:{t.second:02d} +0000"


def amzn_trace_id(epoch_ms: int) -> str:
    """An ``X-Amzn-Trace-Id`` header value for a request received at ``epoch_ms``."""
    return f"Root=1-{epoch_ms // 1000:08x}-{secrets.token_hex(12)}"


def claim_strings(claims: Mapping[str, Any]) -> dict[str, str]:
    """JWT claims the way API Gateway's JWT authorizer passes them on: every value a string."""

    def text(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list | tuple):
            return "[" + " ".join(text(v) for v in value) + "]"
        if isinstance(value, dict):
            return json.dumps(value, separators=(",", ":"))
        return str(value)

    return {str(k): text(v) for k, v in claims.items()}


def query_parameters(raw_query: str) -> dict[str, str]:
    """Query parameters, decoded; repeated keys joined with ``,`` (API Gateway's ``queryStringParameters``)."""
    params: dict[str, str] = {}
    for key, value in urllib.parse.parse_qsl(raw_query, keep_blank_values=True):
        params[key] = f"{params[key]},{value}" if key in params else value
    return params


# ---------------------------------------------------------------------------------------------------------
# HTTP API (payload format 2.0)
# ---------------------------------------------------------------------------------------------------------


@dataclass
class HttpRequest:
    """An HTTP request as a gateway received it: what its event is built from."""

    method: str
    raw_path: str
    raw_query: str
    header_list: list[tuple[str, str]]
    body: bytes
    source_ip: str
    server_host: str = "127.0.0.1"
    server_port: int = 3000
    headers: dict[str, str] = field(init=False)
    """Lower-cased names; repeated headers joined with ``,`` (``cookie`` included)."""

    def __post_init__(self) -> None:
        self.headers = _joined_headers(self.header_list)

    @property
    def path(self) -> str:
        return self.raw_path

    @property
    def query(self) -> dict[str, str]:
        return query_parameters(self.raw_query)

    def json(self) -> Any:
        return json.loads(self.body or b"null")


def http_api_event(
    request: HttpRequest,
    *,
    route_key: str,
    path_parameters: Mapping[str, str],
    api_id: str,
    request_id: str,
    epoch_ms: int,
    claims: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The payload format 2.0 event API Gateway sends for ``request`` on the route ``route_key``.

    ``claims``: the JWT authorizer's verified claims (a route with an authorizer), None for an open route.
    Keys come in API Gateway's order (see ``events/http_*.json``); optional ones are left out when empty.
    """
    header_list = [(n.lower(), v) for n, v in request.header_list]
    cookies: list[str] = []
    for name, value in header_list:
        if name == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
    headers = _joined_headers([(n, v) for n, v in header_list if n != "cookie"])
    # What API Gateway adds on the way in.
    forwarded = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded}, {request.source_ip}" if forwarded else request.source_ip
    headers.setdefault("x-forwarded-port", str(request.server_port))
    headers.setdefault("x-forwarded-proto", "http")
    headers.setdefault("x-amzn-trace-id", amzn_trace_id(epoch_ms))

    domain_name = headers.get("host") or f"{request.server_host}:{request.server_port}"
    request_context: dict[str, Any] = {"accountId": ACCOUNT_ID, "apiId": api_id}
    if claims is not None:
        request_context["authorizer"] = {"jwt": {"claims": claim_strings(claims), "scopes": None}}
    request_context |= {
        "domainName": domain_name,
        "domainPrefix": domain_name.split(":", 1)[0].split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": request.raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": request_time(epoch_ms),
        "timeEpoch": epoch_ms,
    }
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    query = query_parameters(request.raw_query)
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = request_context
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    event |= _body(request.body, headers.get("content-type", ""))
    return event


def _body(body: bytes, content_type: str) -> dict[str, Any]:
    """Text media types arrive as text when they decode as UTF-8; anything else base64-encoded."""
    if not body:
        return {"isBase64Encoded": False}
    if _is_text(content_type):
        with contextlib.suppress(UnicodeDecodeError):
            return {"body": body.decode("utf-8"), "isBase64Encoded": False}
    return {"body": base64.b64encode(body).decode("ascii"), "isBase64Encoded": True}


def _joined_headers(header_list: Iterable[tuple[str, str]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in header_list:
        name = name.lower()
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


def _is_text(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in _TEXT_TYPES or media.endswith(("+json", "+xml"))


# ---------------------------------------------------------------------------------------------------------
# WebSocket API ($connect, messages, $disconnect; keys in the order of events/ws_*.json)
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebSocketApi:
    """What every event of one WebSocket API carries."""

    api_id: str
    stage: str
    domain_name: str  # host:port
    port: int


@dataclass(frozen=True)
class WebSocketClient:
    """One connection, as its events describe it."""

    connection_id: str
    connected_at_ms: int
    source_ip: str
    user_agent: str
    host: str


def _websocket_request_context(
    api: WebSocketApi,
    client: WebSocketClient,
    route_key: str,
    event_type: str,
    epoch_ms: int,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    request_id = new_request_id()
    context: dict[str, Any] = {"routeKey": route_key}
    if event_type == "MESSAGE":
        context["messageId"] = new_request_id()
    context |= {
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": request_time(epoch_ms),
        "messageDirection": "IN",
        **(extra or {}),
        "stage": api.stage,
        "connectedAt": client.connected_at_ms,
        "requestTimeEpoch": epoch_ms,
        "identity": (
            {"sourceIp": client.source_ip}
            if event_type == "MESSAGE"
            else {"userAgent": client.user_agent, "sourceIp": client.source_ip}
        ),
        "requestId": request_id,
        "domainName": api.domain_name,
        "connectionId": client.connection_id,
        "apiId": api.api_id,
    }
    return context


def websocket_connect_event(
    api: WebSocketApi, client: WebSocketClient, header_list: list[tuple[str, str]], raw_query: str
) -> dict[str, Any]:
    """`$connect`: the opening handshake's headers (names as sent, plus what API Gateway adds) and query."""
    headers: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in header_list:
        headers[name] = value
        multi.setdefault(name, []).append(value)
    present = {name.lower() for name in headers}
    for name, value in (
        ("X-Amzn-Trace-Id", amzn_trace_id(client.connected_at_ms)),
        ("X-Forwarded-For", client.source_ip),
        ("X-Forwarded-Port", str(api.port)),
        ("X-Forwarded-Proto", "http"),
    ):
        if name.lower() not in present:
            headers[name] = value
            multi[name] = [value]
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for key, value in urllib.parse.parse_qsl(raw_query, keep_blank_values=True):
        query[key] = value
        multi_query.setdefault(key, []).append(value)
    return {
        "headers": headers,
        "multiValueHeaders": multi,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "requestContext": _websocket_request_context(api, client, "$connect", "CONNECT", client.connected_at_ms),
        "isBase64Encoded": False,
    }


def websocket_message_event(
    api: WebSocketApi, client: WebSocketClient, route_key: str, body: str, epoch_ms: int
) -> dict[str, Any]:
    """One text message, routed to `route_key`."""
    return {
        "requestContext": _websocket_request_context(api, client, route_key, "MESSAGE", epoch_ms),
        "body": body,
        "isBase64Encoded": False,
    }


def websocket_disconnect_event(
    api: WebSocketApi, client: WebSocketClient, status_code: int, reason: str, epoch_ms: int
) -> dict[str, Any]:
    """`$disconnect`, with the close frame's status code and reason."""
    headers = {"Host": client.host, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
    return {
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "requestContext": _websocket_request_context(
            api,
            client,
            "$disconnect",
            "DISCONNECT",
            epoch_ms,
            {"disconnectStatusCode": status_code, "disconnectReason": reason},
        ),
        "isBase64Encoded": False,
    }


# ---------------------------------------------------------------------------------------------------------
# SQS event source mapping
# ---------------------------------------------------------------------------------------------------------


def sqs_record(message: Mapping[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One SQS `ReceiveMessage` message (received with all system attributes) as a Lambda SQS record."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value.get("DataType", "String"),
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def sqs_event(messages: Iterable[Mapping[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    return {"Records": [sqs_record(m, queue_arn, region) for m in messages]}


def failed_message_ids(response: Any) -> set[str]:
    """The ids a handler reported in `batchItemFailures` (partial batch response)."""
    if not isinstance(response, Mapping):
        return set()
    return {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
