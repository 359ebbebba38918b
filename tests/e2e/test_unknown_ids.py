"""Ids no job or escalation can have, sent as a client would (percent-encoded) or as raw bytes: a 404 like any
unknown id, never a 500 (schemathesis once found `GET /api/jobs/TÙ/status` answering 500)."""

from __future__ import annotations

import json
import socket

import pytest

ROUTES = [
    ("GET", "/api/jobs/{id}/status", "Job"),
    ("GET", "/api/jobs/{id}/events", "Job"),
    ("GET", "/api/jobs/{id}/escalations", "Job"),
    ("POST", "/api/escalations/{id}/resolve", "Escalation"),
]
IDS = [
    b"T%C3%99",  # "TÙ", percent-encoded
    "T\u00d9".encode(),  # the same, raw UTF-8
    b"T\xd9",  # a byte that is no UTF-8
    b"%F0%9F%98%80",  # an emoji
    b"%00",
    b"job%20one",
    b"j%2Fk",  # an encoded slash stays in its segment
]


def send(cloud, method: str, target: bytes, token: str) -> tuple[int, dict]:
    """The request byte for byte, as no HTTP client library would send it."""
    body = b'{"decision": "yes"}' if method == "POST" else b""
    head = (
        f"{method} ".encode()
        + target
        + b" HTTP/1.1\r\n"
        + f"Host: 127.0.0.1:{cloud.http}\r\nAuthorization: Bearer {token}\r\n".encode()
        + f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
    )
    with socket.create_connection(("127.0.0.1", cloud.http), timeout=30) as sock:
        sock.sendall(head + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), json.loads(rest.partition(b"\r\n\r\n")[2])


@pytest.mark.parametrize(("method", "route", "kind"), ROUTES)
def test_an_id_no_job_can_have_is_404_on_every_route(cloud, method, route, kind):
    token = cloud.token("founder-of-odd-ids")
    for raw_id in IDS:
        status, body = send(cloud, method, route.replace("{id}", "\x00").encode().replace(b"\x00", raw_id), token)
        assert status == 404, (raw_id, body)
        assert body["message"].startswith(f"{kind} ") and body["message"].endswith(" not found."), (raw_id, body)
