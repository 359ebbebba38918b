"""The API Gateway management API (`@connections`), the one local emulation of it.

`ManagementApi(connections)` answers, on an aiohttp server (the WebSocket API's own port, see
`websocket_api`, or a port of its own with `app()`):

- ``POST [/{stage}]/@connections/{id}``: the body as one message (text when it is UTF-8), 200 once written;
  more than 128 KiB is a 413 ``PayloadTooLargeException``.
- ``GET``: 200 ``{"connectedAt", "identity": {"sourceIp", "userAgent"}, "lastActiveAt"}`` (ISO 8601).
- ``DELETE``: closes the connection, 204.
- An unknown or closed connection: 410 with ``x-amzn-ErrorType: GoneException``, which botocore raises as
  ``client.exceptions.GoneException`` and the product's push adapter as ``ConnectionGone``.

With `secret_keys` (access key -> secret key) every request must carry a SigV4 signature for the
``execute-api`` service that botocore's signer computes too (403 ``InvalidSignatureException`` otherwise), as
API Gateway's IAM check does; without, signatures are not checked. Faults are injected per connection id:
`gone` (410 although open), `failing` (that status, ``InternalServerErrorException``), and `hang_up` closes
every connection on its next request without an answer. The last `keep_requests` requests are kept
(`requests`, with the verdict on their signature) for tests to look at.

Connections are HTTP/1.1 keep-alive, as API Gateway's are: a pooled client connection serves many pushes.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import re
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import unquote

from aiohttp import web

from localcloud.gateways.sigv4_check import verify_sigv4

MAX_POST_BYTES = 128 * 1024  # API Gateway's limit for a WebSocket message / post_to_connection payload
MAX_REQUEST_BODY = 8 * 1024 * 1024  # beyond this a request is refused before its body is read
SERVICE = "execute-api"


@dataclasses.dataclass(frozen=True)
class ConnectionInfo:
    connected_at_ms: int
    last_active_ms: int
    source_ip: str
    user_agent: str


class Connections(Protocol):
    """The WebSocket connections the management API reaches (the WebSocket API's, or a test double)."""

    def info(self, connection_id: str) -> ConnectionInfo | None:
        """None when the connection is unknown or closed."""

    async def send(self, connection_id: str, data: bytes) -> bool:
        """One message to the connection; False when it is unknown or closed."""

    async def close(self, connection_id: str) -> bool:
        """Close it (unreachable from now on); False when it is unknown or closed."""


@dataclasses.dataclass(frozen=True)
class Recorded:
    """One request the management API received."""

    method: str
    connection_id: str
    path: str  # percent-encoded, as sent
    headers: dict[str, str]  # lower-case names
    body: bytes
    peer: tuple[str, int]
    signature_error: str | None  # None: verified (or not checked)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ManagementApi:
    def __init__(
        self,
        connections: Connections,
        *,
        stage: str | None = None,
        region: str = "us-east-1",
        secret_keys: Mapping[str, str] | None = None,
        keep_requests: int = 500,
    ) -> None:
        """`stage`: the path prefix it answers besides none (None: any one)."""
        self.connections = connections
        self.region = region
        self.secret_keys = dict(secret_keys) if secret_keys is not None else None
        self.gone: set[str] = set()
        self.failing: dict[str, int] = {}
        self.hang_up = False
        self._requests: collections.deque[Recorded] = collections.deque(maxlen=keep_requests)
        self._lock = threading.Lock()  # the request log is read from other threads
        prefix = re.escape(stage) if stage is not None else "[^/@]+"
        self._path = re.compile(rf"^(?:/{prefix})?/@connections/([^/?#]+)/?$")

    # --- for tests and tools ---

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    def bodies(self, connection_id: str) -> list[bytes]:
        return [r.body for r in self.requests if r.connection_id == connection_id]

    def signature_errors(self) -> list[str]:
        return [f"{r.path}: {r.signature_error}" for r in self.requests if r.signature_error]

    def reset(self, secret_keys: Mapping[str, str] | None = None) -> None:
        """Forget the requests and the faults; `secret_keys`, when given, replaces the trusted credentials."""
        with self._lock:
            if secret_keys is not None:
                self.secret_keys = dict(secret_keys)
            self.gone.clear()
            self.failing.clear()
            self.hang_up = False
            self._requests.clear()

    def app(self) -> web.Application:
        """An application of its own: the management API alone (404 for any other path)."""
        app = web.Application(client_max_size=MAX_REQUEST_BODY)
        app.router.add_route("*", "/{path:.*}", self._alone)
        return app

    async def _alone(self, request: web.Request) -> web.StreamResponse:
        response = await self.handle(request)
        return response if response is not None else _json(request, 404, {"message": "Not Found"})

    # --- requests ---

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse | None:
        """The answer to a management API request; None when the path is not the management API's."""
        path = request.raw_path.partition("?")[0]
        match = self._path.match(path)
        if match is None:
            return None
        connection_id = unquote(match.group(1))
        body = await request.read()
        if self.hang_up and request.transport is not None:
            request.transport.close()
            return web.Response(status=500)  # never written: the connection is gone
        method = request.method.upper()
        if method not in ("POST", "GET", "DELETE"):
            return _json(request, 405, {"message": f"Method {method} not allowed"})
        problem = self._record(request, method, path, connection_id, body)
        if problem is not None:
            return _json(request, 403, {"message": problem}, "InvalidSignatureException")
        if connection_id in self.gone:
            return _gone(request, connection_id)
        if connection_id in self.failing:
            status = self.failing[connection_id]
            return _json(request, status, {"message": "Internal server error"}, "InternalServerErrorException")
        if method == "POST":
            return await self._post(request, connection_id, body)
        if method == "GET":
            return self._get(request, connection_id)
        return await self._delete(request, connection_id)

    def _record(self, request: web.BaseRequest, method: str, path: str, connection_id: str, body: bytes) -> str | None:
        """Keep the request; what is wrong with its signature (None: verified or not checked)."""
        if self.secret_keys is None and self._requests.maxlen == 0:
            return None
        headers = {name.lower(): value for name, value in request.headers.items()}
        error = None
        if self.secret_keys is not None:
            url = f"{request.scheme}://{headers.get('host', '')}{path}"
            error = verify_sigv4(method, url, headers, body, self.secret_keys, self.region, SERVICE)
        peer = request.transport.get_extra_info("peername") if request.transport is not None else None
        recorded = Recorded(method, connection_id, path, headers, body, tuple(peer[:2]) if peer else ("", 0), error)
        with self._lock:
            self._requests.append(recorded)
        return error

    async def _post(self, request: web.BaseRequest, connection_id: str, body: bytes) -> web.Response:
        if len(body) > MAX_POST_BYTES:
            return _json(request, 413, {"message": f"Message too long: {len(body)} bytes"}, "PayloadTooLargeException")
        if not await self.connections.send(connection_id, body):
            return _gone(request, connection_id)
        return _json(request, 200, None)

    def _get(self, request: web.BaseRequest, connection_id: str) -> web.Response:
        info = self.connections.info(connection_id)
        if info is None:
            return _gone(request, connection_id)
        return _json(
            request,
            200,
            {
                "connectedAt": _iso(info.connected_at_ms),
                "identity": {"sourceIp": info.source_ip, "userAgent": info.user_agent},
                "lastActiveAt": _iso(info.last_active_ms),
            },
        )

    async def _delete(self, request: web.BaseRequest, connection_id: str) -> web.Response:
        if not await self.connections.close(connection_id):
            return _gone(request, connection_id)
        return _json(request, 204, None)


def _json(
    request: web.BaseRequest, status: int, payload: dict[str, Any] | None, error_type: str | None = None
) -> web.Response:
    headers = {"x-amzn-RequestId": str(uuid.uuid4())}
    if error_type:
        headers["x-amzn-ErrorType"] = error_type
    if request.keep_alive:
        headers["Connection"] = "keep-alive"  # as API Gateway says it (aiohttp leaves HTTP/1.1's default unsaid)
    body = json.dumps(payload).encode() if payload is not None else b""
    return web.Response(status=status, body=body, content_type="application/json", headers=headers)


def _gone(request: web.BaseRequest, connection_id: str) -> web.Response:
    return _json(request, 410, {"message": f"Connection {connection_id} is gone"}, "GoneException")
