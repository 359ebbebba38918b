"""A local API Gateway WebSocket API on aiohttp, with its management API on the same port.

`WebSocketGateway(handler)` serves WebSocket clients on ``ws://127.0.0.1:3001`` and turns what they do into
Lambda proxy events of the API Gateway shape (`localcloud.lambda_events`, see ``events/ws_*.json``) for
``handler(event, context)``:

- ``$connect`` on the opening handshake, before it is accepted: a 2xx ``statusCode`` accepts, any other
  status rejects the handshake with that HTTP status (401 stays 401), an exception rejects it with 500 and
  a result without an integer ``statusCode`` with 502 (what API Gateway answers for a malformed proxy
  response). A ``Sec-WebSocket-Protocol`` header in the result selects that subprotocol, as in AWS.
- One ``MESSAGE`` event per text frame. The route is the value of the route selection expression
  (``$request.body.action``) on the JSON body when that value is one of ``routes``, else ``$default``.
  Messages of one connection are handled one at a time, in order. The handler's result is ignored: API
  Gateway sends a ``body`` back only when the route has a route response, which this API does not
  configure. A handler exception sends the client ``{"message": "Internal server error", ...}`` and a
  message without a matching route (no ``$default``) ``{"message": "Forbidden", ...}``, as API Gateway
  does. A binary frame closes the connection with 1003 (API Gateway supports text frames only), a message
  over 128 KiB with 1009.
- ``$disconnect`` exactly once per connection whose ``$connect`` succeeded, after its last message was
  handled, when the client closes, the connection drops, the management API deletes it or the gateway
  stops; never for a rejected ``$connect``.

Handlers run in worker threads, never on the event loop, so a handler may call this same server's
management API (`localcloud.gateways.management_api`: boto3 ``apigatewaymanagementapi`` or the product's push
adapter with ``endpoint_url="http://127.0.0.1:3001"`` or ``.../live``) while it runs: production push code
works unchanged. The management API's requests are answered on the event loop with no thread hop.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import http
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from localcloud.gateways.aio_server import AioServer
from localcloud.gateways.management_api import MAX_POST_BYTES, MAX_REQUEST_BODY, ConnectionInfo, ManagementApi
from localcloud.lambda_context import LocalLambdaContext
from localcloud.lambda_events import (
    WebSocketApi,
    WebSocketClient,
    new_request_id,
    websocket_connect_event,
    websocket_disconnect_event,
    websocket_message_event,
)

log = logging.getLogger(__name__)

Handler = Callable[[dict, Any], dict]

DEFAULT_ROUTES = frozenset({"$connect", "$disconnect", "$default"})
WORKERS = 64
STOP_TIMEOUT_S = 15.0
BACKLOG = 2048  # fan-out benchmarks open many connections at once
GOING_AWAY = 1001
ABNORMAL_CLOSURE = 1006
_CLOSE_REASONS = {
    1000: "Connection closed normally",
    1001: "Going away",
    1003: "Binary frames are not supported",
    1005: "No status code",
    1006: "Connection closed abnormally",
    1009: "Message too big",
    1011: "Internal error",
}


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _route_path(expression: str) -> tuple[str, ...]:
    """``$request.body.action`` -> ("action",): the JSON path a route selection expression reads."""
    match = re.fullmatch(r"\$\{?request\.body\.([A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+)*)\}?", expression)
    if match is None:
        raise ValueError(f"unsupported route selection expression {expression!r} (use $request.body.<path>)")
    return tuple(match.group(1).split("."))


def _is_upgrade(request: web.BaseRequest) -> bool:
    return "websocket" in request.headers.get("Upgrade", "").lower()


def _text_response(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/plain")


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


@dataclasses.dataclass(eq=False)
class _Connection:
    client: WebSocketClient
    ws: web.WebSocketResponse
    last_active_ms: int
    close_code: int | None = None  # the first to close says why: the client's close frame or the server
    close_reason: str = ""
    disconnected: bool = False  # $disconnect was invoked (exactly once)

    def closing(self, code: int, reason: str = "") -> None:
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason


@dataclasses.dataclass(frozen=True)
class _Accepted:
    subprotocol: str | None


class LiveConnections:
    """The open WebSocket connections, as the management API reaches them (`management_api.Connections`)."""

    def __init__(self) -> None:
        self._open: dict[str, _Connection] = {}
        self._lock = threading.Lock()  # ids are read from other threads
        self._closing: set[asyncio.Task[Any]] = set()

    def add(self, conn: _Connection) -> None:
        with self._lock:
            self._open[conn.client.connection_id] = conn

    def discard(self, conn: _Connection) -> None:
        with self._lock:
            if self._open.get(conn.client.connection_id) is conn:
                del self._open[conn.client.connection_id]

    def ids(self) -> list[str]:
        with self._lock:
            return list(self._open)

    def _get(self, connection_id: str) -> _Connection | None:
        conn = self._open.get(connection_id)
        return conn if conn is not None and not conn.ws.closed else None

    def info(self, connection_id: str) -> ConnectionInfo | None:
        conn = self._get(connection_id)
        if conn is None:
            return None
        client = conn.client
        return ConnectionInfo(client.connected_at_ms, conn.last_active_ms, client.source_ip, client.user_agent)

    async def send(self, connection_id: str, data: bytes) -> bool:
        conn = self._get(connection_id)
        if conn is None:
            return False
        try:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                await conn.ws.send_bytes(data)
            else:
                await conn.ws.send_str(text)
        except ConnectionError:
            return False
        conn.last_active_ms = _now_ms()
        return True

    async def close(self, connection_id: str, code: int = 1000, reason: str = "") -> bool:
        """Unreachable at once; the close handshake goes on in the background."""
        conn = self._get(connection_id)
        if conn is None:
            return False
        self.discard(conn)
        conn.closing(code, reason)
        task = asyncio.get_running_loop().create_task(conn.ws.close(code=code, message=reason.encode()))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
        return True

    async def close_all(self, code: int, reason: str) -> None:
        with self._lock:
            everyone = list(self._open.values())
            self._open.clear()
        for conn in everyone:
            conn.closing(code, reason)
        await asyncio.gather(
            *(conn.ws.close(code=code, message=reason.encode()) for conn in everyone), return_exceptions=True
        )


class WebSocketGateway:
    """A local API Gateway WebSocket API (``$connect``/``$default``/``$disconnect``) plus its management API."""

    def __init__(
        self,
        handler: Handler,
        *,
        host: str = "127.0.0.1",
        port: int = 3001,
        stage: str = "live",
        api_id: str = "localws",
        function_name: str = "websocket",
        route_selection: str = "$request.body.action",
        routes: set[str] | frozenset[str] = DEFAULT_ROUTES,
        workers: int = WORKERS,
        region: str = "us-east-1",
        secret_keys: Mapping[str, str] | None = None,
        keep_requests: int = 0,
    ) -> None:
        """`secret_keys` (access key -> secret key): the management API accepts only requests SigV4-signed
        with one of them (None: signatures are not checked). `keep_requests`: how many of the management API's
        last requests `management.requests` keeps (none by default: a push costs no more than it must)."""
        self.handler = handler
        self.host = host
        self.stage = stage
        self.api_id = api_id
        self.function_name = function_name
        self.routes = frozenset(routes)
        self._route_path = _route_path(route_selection)
        self._workers = workers
        self.connections = LiveConnections()
        self.management = ManagementApi(
            self.connections, stage=stage, region=region, secret_keys=secret_keys, keep_requests=keep_requests
        )
        app = web.Application(client_max_size=MAX_REQUEST_BODY)
        app.router.add_route("*", "/{path:.*}", self._dispatch)
        app.on_shutdown.append(self._going_away)
        self._server = AioServer(
            app, host=host, port=port, name="ws-gateway", backlog=BACKLOG, shutdown_timeout=STOP_TIMEOUT_S
        )
        self._pool: ThreadPoolExecutor | None = None
        self._api = WebSocketApi(api_id=api_id, stage=stage, domain_name=f"{host}:{port}", port=port)

    # --- lifecycle ---

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def management_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def connection_ids(self) -> list[str]:
        """Ids of the open connections (those the management API can reach)."""
        return self.connections.ids()

    def start(self) -> Self:
        """Start serving in a background thread; returns once the port is listening."""
        self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix=f"ws-{self.function_name}")
        try:
            self._server.start()
        except BaseException:
            self._pool.shutdown(wait=False)
            raise
        self._api = dataclasses.replace(self._api, domain_name=f"{self.host}:{self.port}", port=self.port)
        return self

    def stop(self) -> None:
        """Close every connection (1001 Going away), run their $disconnect (waiting up to `STOP_TIMEOUT_S` for
        the handlers still running), stop the loop and join the thread."""
        self._server.stop()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def _going_away(self, _: web.Application) -> None:
        await self.connections.close_all(GOING_AWAY, _CLOSE_REASONS[GOING_AWAY])

    def _submit(self, event: dict[str, Any]) -> Future[Any]:
        """The handler in a worker thread: the event loop stays free for the management API."""
        assert self._pool is not None
        return self._pool.submit(self.handler, event, LocalLambdaContext(function_name=self.function_name))

    async def _invoke(self, event: dict[str, Any]) -> Any:
        return await asyncio.wrap_future(self._submit(event))

    # --- requests ---

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if _is_upgrade(request):
            return await self._session(request)
        response = await self.management.handle(request)
        if response is not None:
            return response
        return web.Response(status=426, text="Upgrade Required", headers={"Upgrade": "websocket"})

    async def _session(self, request: web.Request) -> web.StreamResponse:
        """One WebSocket connection, from its $connect to its $disconnect."""
        now = _now_ms()
        client = WebSocketClient(
            connection_id=new_request_id(),
            connected_at_ms=now,
            source_ip=request.remote or "127.0.0.1",
            user_agent=request.headers.get("User-Agent", ""),
            host=request.headers.get("Host") or self._api.domain_name,
        )
        verdict = await self._connect(request, client)
        if isinstance(verdict, web.Response):
            return verdict
        ws = web.WebSocketResponse(
            protocols=(verdict.subprotocol,) if verdict.subprotocol else (),
            compress=False,  # API Gateway does not negotiate permessage-deflate
            max_msg_size=MAX_POST_BYTES,  # a bigger message: API Gateway closes with 1009, so does aiohttp
        )
        conn = _Connection(client, ws, now)
        if request.transport is None or request.transport.is_closing():  # the client left while $connect ran
            await self._disconnect(conn, ABNORMAL_CLOSURE, "")
            return ws
        try:
            await ws.prepare(request)
        except ConnectionError:
            await self._disconnect(conn, ABNORMAL_CLOSURE, "")
            return ws
        self.connections.add(conn)
        try:
            await self._receive(conn)
        finally:
            self.connections.discard(conn)
            await ws.close()  # a no-op once closed
            code = conn.close_code if conn.close_code is not None else ABNORMAL_CLOSURE
            await self._disconnect(conn, code, conn.close_reason)
        return ws

    async def _connect(self, request: web.Request, client: WebSocketClient) -> web.Response | _Accepted:
        if "$connect" not in self.routes:
            return _Accepted(None)
        header_list = [
            (name.decode("utf-8", "replace"), value.decode("utf-8", "replace")) for name, value in request.raw_headers
        ]
        event = websocket_connect_event(self._api, client, header_list, urlsplit(request.raw_path).query)
        invocation = self._submit(event)
        try:
            result = await asyncio.wrap_future(invocation)
        except asyncio.CancelledError:  # stop() gave up waiting: a late success still owes a $disconnect
            invocation.add_done_callback(functools.partial(self._late_connect, client))
            raise
        except Exception:
            log.exception("$connect handler failed for %s", client.connection_id)
            return _text_response(500, "Internal server error")
        status = result.get("statusCode") if isinstance(result, dict) else None
        if isinstance(status, str) and status.isdigit():
            status = int(status)
        if not isinstance(status, int) or not 200 <= status <= 599:
            log.warning("$connect handler returned no valid statusCode (%r): 502", result)
            return _text_response(502, "Internal server error")
        if status >= 300:
            body = result.get("body")
            return _text_response(status, body if isinstance(body, str) else _phrase(status))
        headers = {str(k).lower(): v for k, v in (result.get("headers") or {}).items()}
        subprotocol = headers.get("sec-websocket-protocol")
        return _Accepted(str(subprotocol) if subprotocol else None)

    def _late_connect(self, client: WebSocketClient, invocation: Future[Any]) -> None:
        """On the worker thread that ran a $connect the gateway stopped waiting for."""
        if invocation.cancelled() or invocation.exception() is not None:
            return
        result = invocation.result()
        status = result.get("statusCode") if isinstance(result, dict) else None
        if isinstance(status, int) and 200 <= status < 300 and "$disconnect" in self.routes:
            event = websocket_disconnect_event(self._api, client, ABNORMAL_CLOSURE, "", _now_ms())
            try:
                self.handler(event, LocalLambdaContext(function_name=self.function_name))
            except Exception:
                log.exception("$disconnect handler failed for %s", client.connection_id)

    async def _receive(self, conn: _Connection) -> None:
        ws = conn.ws
        while True:
            message = await ws.receive()
            if message.type is WSMsgType.TEXT:
                conn.last_active_ms = _now_ms()
                await self._on_message(conn, message.data)
            elif message.type is WSMsgType.BINARY:
                conn.closing(1003, _CLOSE_REASONS[1003])
                await ws.close(code=1003, message=_CLOSE_REASONS[1003].encode())
                return
            elif message.type is WSMsgType.CLOSE:  # the client's close frame (aiohttp answers it)
                conn.closing(message.data or 1005, message.extra or "")
                return
            elif message.type is WSMsgType.ERROR:  # e.g. a message too big: aiohttp closed with its code
                conn.closing(ws.close_code or ABNORMAL_CLOSURE)
                return
            else:  # CLOSING: the server closes it (its code is set); CLOSED: the connection dropped
                return

    def _route(self, body: str) -> str:
        try:
            value: Any = json.loads(body)
        except ValueError:
            return "$default"
        for key in self._route_path:
            if not isinstance(value, dict):
                return "$default"
            value = value.get(key)
        if isinstance(value, str) and value in self.routes and not value.startswith("$"):
            return value
        return "$default"

    async def _on_message(self, conn: _Connection, body: str) -> None:
        client = conn.client
        route = self._route(body)
        if route not in self.routes:
            await self._reply(
                conn, {"message": "Forbidden", "connectionId": client.connection_id, "requestId": new_request_id()}
            )
            return
        event = websocket_message_event(self._api, client, route, body, _now_ms())
        try:
            await self._invoke(event)  # the result is ignored: no route responses on this API
        except Exception:
            log.exception("%s handler failed for %s", route, client.connection_id)
            request_id = event["requestContext"]["requestId"]
            reply = {"message": "Internal server error", "connectionId": client.connection_id, "requestId": request_id}
            await self._reply(conn, reply)

    async def _reply(self, conn: _Connection, message: dict[str, Any]) -> None:
        with contextlib.suppress(ConnectionError):
            await conn.ws.send_str(json.dumps(message))

    async def _disconnect(self, conn: _Connection, code: int, reason: str) -> None:
        if conn.disconnected:
            return
        conn.disconnected = True
        if "$disconnect" not in self.routes:
            return
        event = websocket_disconnect_event(
            self._api, conn.client, code, reason or _CLOSE_REASONS.get(code, ""), _now_ms()
        )
        try:
            await self._invoke(event)
        except Exception:
            log.exception("$disconnect handler failed for %s", conn.client.connection_id)
