"""API Gateway WebSocket API events ($connect, messages, $disconnect), keys in the order of events/ws_*.json."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import parse_qsl

from localcloud.lambda_events import amzn_trace_id, new_request_id, request_time


@dataclasses.dataclass(frozen=True)
class WebSocketApi:
    """What every event of one WebSocket API carries."""

    api_id: str
    stage: str
    domain_name: str  # host:port
    port: int


@dataclasses.dataclass(frozen=True)
class WebSocketClient:
    """One connection, as its events describe it."""

    connection_id: str
    connected_at_ms: int
    source_ip: str
    user_agent: str
    host: str


def _request_context(
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
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        query[key] = value
        multi_query.setdefault(key, []).append(value)
    return {
        "headers": headers,
        "multiValueHeaders": multi,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "requestContext": _request_context(api, client, "$connect", "CONNECT", client.connected_at_ms),
        "isBase64Encoded": False,
    }


def websocket_message_event(
    api: WebSocketApi, client: WebSocketClient, route_key: str, body: str, epoch_ms: int
) -> dict[str, Any]:
    """One text message, routed to `route_key`."""
    return {
        "requestContext": _request_context(api, client, route_key, "MESSAGE", epoch_ms),
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
        "requestContext": _request_context(
            api,
            client,
            "$disconnect",
            "DISCONNECT",
            epoch_ms,
            {"disconnectStatusCode": status_code, "disconnectReason": reason},
        ),
        "isBase64Encoded": False,
    }
