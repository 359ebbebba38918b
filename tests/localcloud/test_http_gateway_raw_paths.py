"""The local HTTP gateway's rawPath for request targets with bytes beyond ASCII (real sockets): what API Gateway
holds, ASCII with those bytes percent-encoded, so a raw UTF-8 id and an encoded one are the same request."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from cofounder.config import Settings
from localcloud.gateways.http_api import HttpGateway
from localcloud.gateways.http_routes import Route

SETTINGS = Settings.from_env({})
EVENTS: list[dict[str, Any]] = []


def record(event: dict[str, Any], context: Any) -> dict[str, Any]:
    EVENTS.append(event)
    return {"statusCode": 200, "body": "{}"}


@pytest.fixture(scope="module")
def gateway() -> Iterator[HttpGateway]:
    route = Route(method="GET", path="/api/jobs/{job_id}/status", handler=record, function_name="fn", auth=False)
    with HttpGateway([route], settings_factory=lambda: dataclasses.replace(SETTINGS), port=0) as gw:
        yield gw


def send(gateway: HttpGateway, target: bytes) -> bytes:
    """The status line for a request target sent byte for byte (no client would encode it for us)."""
    with socket.create_connection((gateway.host, gateway.port), timeout=10) as sock:
        sock.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n" % (target, gateway.port))
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    return answer.split(b"\r\n", 1)[0]


@pytest.mark.parametrize(
    ("target", "raw_path", "raw_query", "job_id"),
    [
        (b"/api/jobs/T%C3%99/status", "/api/jobs/T%C3%99/status", "", "T\u00d9"),
        ("/api/jobs/T\u00d9/status".encode(), "/api/jobs/T%C3%99/status", "", "T\u00d9"),  # raw UTF-8
        (b"/api/jobs/T\xd9/status", "/api/jobs/T%D9/status", "", "T\ufffd"),  # not UTF-8 at all
        ("/api/jobs/\U0001f600/status?q=\u00e9".encode(), "/api/jobs/%F0%9F%98%80/status", "q=%C3%A9", "\U0001f600"),
        (b"/api/jobs/a%2Fb/status?x=1&y=%20", "/api/jobs/a%2Fb/status", "x=1&y=%20", "a/b"),  # escapes stay
    ],
)
def test_bytes_beyond_ascii_reach_the_handler_percent_encoded(gateway, target, raw_path, raw_query, job_id):
    EVENTS.clear()
    assert send(gateway, target) == b"HTTP/1.1 200 OK"
    [event] = EVENTS
    assert event["rawPath"] == raw_path
    assert event["rawQueryString"] == raw_query
    assert event["pathParameters"] == {"job_id": job_id}
