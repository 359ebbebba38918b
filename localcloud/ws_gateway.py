"""A local API Gateway WebSocket API, with its management API (`@connections`) on the same port.

`WebSocketGateway(handler)` serves WebSocket clients on ``ws://127.0.0.1:3001`` and turns what they do
into Lambda proxy events of the API Gateway shape (see ``events/ws_*.json``) for ``handler(event, context)``:

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
  does. A binary frame closes the connection with 1003 (API Gateway supports text frames only).
- ``$disconnect`` exactly once per connection whose ``$connect`` succeeded, after its last message was
  handled, when the client closes, the connection drops, the management API deletes it or the gateway
  stops; never for a rejected ``$connect``.

Handlers run in worker threads (``loop.run_in_executor``), never on the event loop, so a handler may call
this same server's management API (boto3 ``apigatewaymanagementapi`` with
``endpoint_url="http://127.0.0.1:3001"`` or ``.../live``) while it runs: production push code works
unchanged. The management API answers plain HTTP requests on the WebSocket port, inside websockets'
``process_request`` hook, on the event loop with no thread hop:

- ``POST [/{stage}]/@connections/{id}``: the body as one frame (text when it is UTF-8), 200 once written;
  more than 128 KiB is a 413 ``PayloadTooLargeException``.
- ``GET``: 200 ``{"connectedAt", "identity": {"sourceIp", "userAgent"}, "lastActiveAt"}`` (ISO 8601).
- ``DELETE``: closes the connection (code 1000), 204.
- An unknown or closed connection: 410 with ``x-amzn-ErrorType: GoneException``, which botocore raises as
  ``client.exceptions.GoneException``. SigV4 headers are ignored.

Management connections are HTTP/1.1 keep-alive (as API Gateway's are): a pooled boto3 connection
serves many pushes with no new TCP connection. websockets answers one bodiless request per connection, so
this server's connections parse requests themselves (same limits, plus a Content-Length body) and answer
plain HTTP requests in a loop before a WebSocket upgrade would go the usual way. asyncio sets TCP_NODELAY
on every accepted socket, so a push is not held back by Nagle's algorithm.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import email.utils
import functools
import http
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Generator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, unquote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, InvalidMessage, RequestLineTooLong
from websockets.frames import CloseCode
from websockets.http11 import SERVER, Request, Response, parse_headers, parse_line
from websockets.protocol import CLOSED, OPEN, Protocol
from websockets.server import ServerProtocol
from websockets.typing import Subprotocol

from localcloud.lambda_context import LocalLambdaContext

log = logging.getLogger(__name__)

Handler = Callable[[dict, Any], dict]

DEFAULT_ROUTES = frozenset({"$connect", "$disconnect", "$default"})
MAX_POST_BYTES = 128 * 1024  # API Gateway's limit for a WebSocket message / post_to_connection payload
MAX_REQUEST_BODY = 8 * 1024 * 1024  # beyond this the request is refused before it is read
WORKERS = 64
FIRST_REQUEST_TIMEOUT_S = 10.0  # a new TCP connection must send its request within this (websockets' default)
IDLE_TIMEOUT_S = 60.0  # a kept-alive management API connection is closed after this long without a request
STOP_TIMEOUT_S = 15.0
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CLOSE_REASONS = {
    1000: "Connection closed normally",
    1001: "Going away",
    1003: "Binary frames are not supported",
    1005: "No status code",
    1006: "Connection closed abnormally",
    1009: "Message too big",
    1011: "Internal error",
}


def _aws_id() -> str:
    """An id shaped like API Gateway's (16 characters, ending in ``=``), in the URL-safe alphabet."""
    return base64.urlsafe_b64encode(secrets.token_bytes(11)).decode("ascii")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _request_time(ms: int) -> str:
    t = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return f"{t.day:02d}/{_MONTHS[t.month - 1]}/{t.year}:{t.hour:02d}:{t.minute:02d}:{t.second:02d} +0000"


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _route_path(expression: str) -> tuple[str, ...]:
    """``$request.body.action`` -> ("action",): the JSON path a route selection expression reads."""
    match = re.fullmatch(r"\$\{?request\.body\.([A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+)*)\}?", expression)
    if match is None:
        raise ValueError(f"unsupported route selection expression {expression!r} (use $request.body.<path>)")
    return tuple(match.group(1).split("."))


# --- HTTP request parsing that accepts a body (websockets' own parser rejects any Content-Length > 0) ---


@dataclasses.dataclass
class _HttpRequest(Request):
    body: bytes = b""


class _BodyTooLarge(Exception):
    pass


def _read_request(reader: Any) -> Generator[None, None, _HttpRequest]:
    line = yield from parse_line(reader.read_line, RequestLineTooLong)
    try:
        raw_method, raw_path, raw_protocol = bytes(line).split(b" ", 2)
    except ValueError:
        raise ValueError(f"invalid HTTP request line: {line!r}") from None
    if raw_protocol not in (b"HTTP/1.1", b"HTTP/1.0"):
        raise ValueError(f"unsupported protocol: {raw_protocol!r}")
    headers = yield from parse_headers(reader.read_line)
    if "Transfer-Encoding" in headers:
        raise NotImplementedError("transfer codings aren't supported")
    lengths = set(headers.get_all("Content-Length")) or {"0"}
    length = lengths.pop() if len(lengths) == 1 else ""
    if not re.fullmatch(r"[0-9]{1,18}", length):
        raise ValueError("invalid Content-Length")
    size = int(length)
    if size > MAX_REQUEST_BODY:
        raise _BodyTooLarge(f"request body of {size} bytes")
    body = bytes((yield from reader.read_exact(size))) if size else b""
    return _HttpRequest(raw_path.decode("ascii"), headers, raw_method.decode("ascii"), raw_protocol.decode(), body=body)


def _is_upgrade(request: Request) -> bool:
    return "websocket" in ",".join(request.headers.get_all("Upgrade")).lower()


def _parse(protocol: ServerProtocol) -> Generator[None]:
    """Replaces ``ServerProtocol.parse``: one HTTP request (with its body), then WebSocket frames after an
    upgrade. After a plain HTTP request it parses nothing more: the connection answers it and starts a new
    parser for the next request on the kept-alive connection (bytes received meanwhile stay buffered)."""
    try:
        request = yield from _read_request(protocol.reader)
    except _BodyTooLarge as exc:
        protocol.handshake_exc = exc
        protocol.send_response(protocol.reject(http.HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"{exc}\n"))
        yield  # send_response() swapped the parser for discard(): this generator is never resumed
        raise AssertionError("unreachable") from None
    except Exception as exc:  # what ServerProtocol.parse does with a malformed request
        protocol.handshake_exc = InvalidMessage("did not receive a valid HTTP request")
        protocol.handshake_exc.__cause__ = exc
        protocol.send_eof()
        protocol.parser = protocol.discard()
        next(protocol.parser)
        yield
        raise AssertionError("unreachable") from None
    protocol.events.append(request)
    if _is_upgrade(request):
        yield from Protocol.parse(protocol)
        return
    while not protocol.reader.eof:  # until the connection restarts the parser for its next request
        yield
    protocol.state = CLOSED  # the client closed its kept-alive connection (what discard() would do)
    yield


# --- per-connection state ---


@dataclasses.dataclass(eq=False)
class _Connection:
    id: str
    ws: ServerConnection
    host: str
    source_ip: str
    user_agent: str
    connected_at: int  # ms
    last_active: int  # ms
    connect_ok: bool = False  # $connect accepted it
    opened: bool = False  # the WebSocket handshake completed and its message loop started
    lost: bool = False  # the TCP connection is gone
    disconnected: bool = False  # $disconnect was invoked (exactly once)
    subprotocol: str | None = None


class _GatewayConnection(ServerConnection):
    """A websockets server connection that reads request bodies, keeps plain HTTP (management API)
    connections alive across requests, and reports a $connect whose WebSocket never opened."""

    def __init__(self, protocol: ServerProtocol, server: Server, *, gateway: WebSocketGateway, **kwargs: Any) -> None:
        protocol.parser = _parse(protocol)
        next(protocol.parser)
        super().__init__(protocol, server, **kwargs)
        self.gateway = gateway
        self.gateway_connection: _Connection | None = None

    async def handshake(
        self,
        process_request: Any = None,
        process_response: Any = None,
        server_header: str | None = SERVER,
    ) -> None:
        """Answer plain HTTP requests (the management API) one after the other on this connection, as
        HTTP/1.1 keep-alive, through ``process_request``; hand a WebSocket upgrade to websockets."""
        timeout = FIRST_REQUEST_TIMEOUT_S
        while await self._next_request(timeout):
            request = self.request
            assert request is not None
            if process_request is None or _is_upgrade(request):
                await super().handshake(process_request, process_response, server_header)
                return
            try:
                response = process_request(self, request)
                if isinstance(response, Awaitable):
                    response = await response
            except Exception:
                log.exception("management API request %s %s failed", request.method, request.path)
                response = _json_response(500, {"message": "Internal server error"})
            if response is None:  # not the management API: websockets answers (426 Upgrade Required)
                await super().handshake(None, process_response, server_header)
                return
            if self.transport.is_closing():
                return
            tokens = ",".join(request.headers.get_all("Connection")).lower()
            keep_alive = request.protocol == "HTTP/1.1" and "close" not in tokens and not self.gateway.stopping
            del response.headers["Connection"]
            response.headers["Connection"] = "keep-alive" if keep_alive else "close"
            self.transport.write(response.serialize())
            if not keep_alive:
                await self._close_http()
                return
            # Ready for the next request, which may already be buffered.
            self.request = None
            self.request_rcvd = self.loop.create_future()
            self.protocol.parser = _parse(self.protocol)
            next(self.protocol.parser)
            self.send_data()
            for event in self.protocol.events_received():
                self.process_event(event)
            timeout = IDLE_TIMEOUT_S

    async def _next_request(self, timeout: float) -> bool:
        """Wait for the next request; False when the connection is gone or stayed idle (then closed).
        A lost connection completes ``request_rcvd`` too (see ``connection_lost``), so an idle connection is
        just closed: awaiting that one future wakes this task an event loop iteration sooner than
        ``asyncio.wait`` on two futures would, once per management API request."""
        if not self.request_rcvd.done() and not self.connection_lost_waiter.done():
            self.gateway.waiting.add(self)
            idle = self.loop.call_later(timeout, self.transport.close)
            try:
                await self.request_rcvd
            finally:
                idle.cancel()
                self.gateway.waiting.discard(self)
        return self.request is not None

    async def _close_http(self) -> None:
        """Half-close after the last response and let the client close, as websockets does."""
        self.protocol.send_eof()
        self.protocol.parser = self.protocol.discard()
        next(self.protocol.parser)
        self.send_data()
        try:
            async with asyncio.timeout(self.close_timeout):
                await asyncio.shield(self.connection_lost_waiter)
        except TimeoutError:
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if not self.request_rcvd.done():  # wakes _next_request (and websockets' handshake) with no request
            self.request_rcvd.set_result(None)
        conn = self.gateway_connection
        if conn is not None:
            conn.lost = True
            if conn.connect_ok and not conn.opened:  # accepted by $connect, but the handshake never completed
                self.gateway._spawn(self.gateway._disconnect(conn, CloseCode.ABNORMAL_CLOSURE, ""))


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
    ) -> None:
        self.handler = handler
        self.host = host
        self.port = port
        self.stage = stage
        self.api_id = api_id
        self.function_name = function_name
        self.route_selection = route_selection
        self.routes = frozenset(routes)
        self._route_path = _route_path(route_selection)
        self._management = re.compile(rf"^(?:/{re.escape(stage)})?/@connections/([^/?#]+)/?$")
        self._workers = workers
        self._connections: dict[str, _Connection] = {}
        self._lock = threading.Lock()  # guards _connections for readers on other threads
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._server: Server | None = None
        self._stop_requested: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self.stopping = False  # set on the loop when stop() begins: kept-alive HTTP connections then close
        self.waiting: set[_GatewayConnection] = set()  # connections waiting for their next HTTP request
        self._stop_timeout = STOP_TIMEOUT_S

    # --- lifecycle ---

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def management_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def connection_ids(self) -> list[str]:
        """Ids of the open connections (those the management API can reach)."""
        with self._lock:
            return list(self._connections)

    def start(self) -> Self:
        """Start serving in a background thread; returns once the port is listening."""
        if self._thread is not None:
            raise RuntimeError("gateway already started")
        self._ready.clear()
        self._startup_error = None
        self.stopping = False
        self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix=f"ws-{self.function_name}")
        self._thread = threading.Thread(target=self._run, name=f"ws-gateway-{self.port}", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            self._thread.join()
            self._thread = None
            self._pool.shutdown(wait=False)
            raise self._startup_error
        return self

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Close every connection (1001 Going away), run their $disconnect, stop the loop and join the thread."""
        thread, loop, requested = self._thread, self._loop, self._stop_requested
        if thread is None:
            return
        self._stop_timeout = timeout
        if loop is not None and requested is not None and not loop.is_closed():
            loop.call_soon_threadsafe(requested.set)
        thread.join(timeout + 5)
        self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:
            if not self._ready.is_set():
                self._startup_error = exc
            else:
                log.exception("WebSocket gateway loop failed")
        finally:
            self._ready.set()
            loop.close()

    async def _main(self) -> None:
        self._stop_requested = asyncio.Event()
        self._server = await serve(
            self._serve_connection,
            self.host,
            self.port,
            process_request=self._process_request,
            select_subprotocol=self._select_subprotocol,
            create_connection=functools.partial(_GatewayConnection, gateway=self),  # type: ignore[arg-type]
            compression=None,  # API Gateway does not negotiate permessage-deflate
            open_timeout=None,  # the connections time out waiting for a request themselves (see handshake)
            max_size=MAX_POST_BYTES,  # a bigger message: API Gateway closes with 1009, so does websockets
            backlog=2048,  # fan-out benchmarks open many connections at once
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stop_requested.wait()
        self.stopping = True
        for idle in list(self.waiting):
            idle.transport.close()
        self._server.close(close_connections=True, code=CloseCode.GOING_AWAY, reason="Going away")
        try:
            async with asyncio.timeout(self._stop_timeout):
                await self._server.wait_closed()
                while self._tasks:
                    await asyncio.gather(*list(self._tasks), return_exceptions=True)
        except TimeoutError:
            log.warning("WebSocket gateway: handlers still running after %.0f s; stopping anyway", self._stop_timeout)
            current = asyncio.current_task()
            cancelled = [task for task in asyncio.all_tasks() if task is not current]
            for task in cancelled:
                task.cancel()
            await asyncio.gather(*cancelled, return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _invoke(self, event: dict) -> asyncio.Future[Any]:
        """Run the handler in a worker thread; the event loop stays free for the management API."""
        assert self._loop is not None and self._pool is not None
        return self._loop.run_in_executor(
            self._pool, self.handler, event, LocalLambdaContext(function_name=self.function_name)
        )

    # --- events ---

    def _context(
        self, conn: _Connection, route: str, event_type: str, now: int, extra: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The requestContext, keys in API Gateway's order (see events/ws_*.json)."""
        request_id = _aws_id()
        context: dict[str, Any] = {"routeKey": route}
        if event_type == "MESSAGE":
            context["messageId"] = _aws_id()
        context |= {
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": _request_time(now),
            "messageDirection": "IN",
            **(extra or {}),
            "stage": self.stage,
            "connectedAt": conn.connected_at,
            "requestTimeEpoch": now,
            "identity": (
                {"sourceIp": conn.source_ip}
                if event_type == "MESSAGE"
                else {"userAgent": conn.user_agent, "sourceIp": conn.source_ip}
            ),
            "requestId": request_id,
            "domainName": f"{self.host}:{self.port}",
            "connectionId": conn.id,
            "apiId": self.api_id,
        }
        return context

    def _connect_event(self, conn: _Connection, request: Request) -> dict[str, Any]:
        headers: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for name, value in request.headers.raw_items():
            headers[name] = value
            multi.setdefault(name, []).append(value)
        lower = {name.lower() for name in headers}
        for name, value in (
            ("X-Amzn-Trace-Id", f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"),
            ("X-Forwarded-For", conn.source_ip),
            ("X-Forwarded-Port", str(self.port)),
            ("X-Forwarded-Proto", "http"),
        ):
            if name.lower() not in lower:
                headers[name] = value
                multi[name] = [value]
        query: dict[str, str] = {}
        multi_query: dict[str, list[str]] = {}
        for key, value in parse_qsl(urlsplit(request.path).query, keep_blank_values=True):
            query[key] = value
            multi_query.setdefault(key, []).append(value)
        return {
            "headers": headers,
            "multiValueHeaders": multi,
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": multi_query or None,
            "requestContext": self._context(conn, "$connect", "CONNECT", conn.connected_at),
            "isBase64Encoded": False,
        }

    def _message_event(self, conn: _Connection, route: str, body: str) -> dict[str, Any]:
        return {
            "requestContext": self._context(conn, route, "MESSAGE", _now_ms()),
            "body": body,
            "isBase64Encoded": False,
        }

    def _disconnect_event(self, conn: _Connection, code: int, reason: str) -> dict[str, Any]:
        headers = {"Host": conn.host, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
        return {
            "headers": headers,
            "multiValueHeaders": {name: [value] for name, value in headers.items()},
            "requestContext": self._context(
                conn,
                "$disconnect",
                "DISCONNECT",
                _now_ms(),
                {"disconnectStatusCode": code, "disconnectReason": reason},
            ),
            "isBase64Encoded": False,
        }

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

    # --- WebSocket side ---

    async def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        if _is_upgrade(request):
            return await self._connect(ws, request)
        match = self._management.match(urlsplit(request.path).path)
        if match is None:
            return None  # websockets answers 426 Upgrade Required
        return await self._manage(request, unquote(match.group(1)))

    def _select_subprotocol(self, ws: ServerConnection, offered: Any) -> Subprotocol | None:
        conn: _Connection | None = getattr(ws, "gateway_connection", None)
        if conn is not None and conn.subprotocol in offered:
            return Subprotocol(conn.subprotocol)
        return None

    async def _connect(self, ws: ServerConnection, request: Request) -> Response | None:
        now = _now_ms()
        conn = _Connection(
            id=_aws_id(),
            ws=ws,
            host=",".join(request.headers.get_all("Host")) or f"{self.host}:{self.port}",
            source_ip=str((ws.remote_address or ("127.0.0.1",))[0]),
            user_agent=",".join(request.headers.get_all("User-Agent")),
            connected_at=now,
            last_active=now,
        )
        assert isinstance(ws, _GatewayConnection)
        ws.gateway_connection = conn
        if "$connect" not in self.routes:
            conn.connect_ok = True
            return None
        future = self._invoke(self._connect_event(conn, request))
        try:
            result = await asyncio.shield(future)
        except asyncio.CancelledError:  # stop() gave up waiting: a late success still owes a $disconnect
            future.add_done_callback(functools.partial(self._late_connect, conn))
            raise
        except Exception:
            log.exception("$connect handler failed for %s", conn.id)
            return _text_response(500, "Internal server error")
        status = result.get("statusCode") if isinstance(result, dict) else None
        if isinstance(status, str) and status.isdigit():
            status = int(status)
        if not isinstance(status, int) or not 200 <= status <= 599:
            log.warning("$connect handler returned no valid statusCode (%r): 502", result)
            return _text_response(502, "Internal server error")
        if status >= 300:
            body = result.get("body")
            return _text_response(status, body if isinstance(body, str) else _http_phrase(status))
        protocols = {str(k).lower(): v for k, v in (result.get("headers") or {}).items()}.get("sec-websocket-protocol")
        conn.subprotocol = str(protocols) if protocols else None
        conn.connect_ok = True
        if conn.lost:  # the client left while $connect ran
            self._spawn(self._disconnect(conn, CloseCode.ABNORMAL_CLOSURE, ""))
        return None

    def _late_connect(self, conn: _Connection, future: asyncio.Future[Any]) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        result = future.result()
        status = result.get("statusCode") if isinstance(result, dict) else None
        if isinstance(status, int) and 200 <= status < 300:
            conn.connect_ok = True
            self._spawn(self._disconnect(conn, CloseCode.ABNORMAL_CLOSURE, ""))

    async def _serve_connection(self, ws: ServerConnection) -> None:
        conn: _Connection | None = getattr(ws, "gateway_connection", None)
        if conn is None:  # cannot happen: every upgrade goes through _connect
            await ws.close(CloseCode.INTERNAL_ERROR, "no $connect")
            return
        conn.opened = True
        with self._lock:
            self._connections[conn.id] = conn
        try:
            async for message in ws:
                conn.last_active = _now_ms()
                if not isinstance(message, str):
                    await ws.close(CloseCode.UNSUPPORTED_DATA, _CLOSE_REASONS[1003])
                    break
                await self._on_message(conn, message)
        except ConnectionClosed:
            pass
        finally:
            self._forget(conn)
            await ws.wait_closed()
            code = ws.close_code if ws.close_code is not None else CloseCode.ABNORMAL_CLOSURE
            await self._disconnect(conn, int(code), ws.close_reason or "")

    async def _on_message(self, conn: _Connection, body: str) -> None:
        route = self._route(body)
        if route not in self.routes:
            await self._reply(conn, {"message": "Forbidden", "connectionId": conn.id, "requestId": _aws_id()})
            return
        event = self._message_event(conn, route, body)
        try:
            await self._invoke(event)  # the result is ignored: no route responses on this API
        except Exception:
            log.exception("%s handler failed for %s", route, conn.id)
            request_id = event["requestContext"]["requestId"]
            await self._reply(
                conn, {"message": "Internal server error", "connectionId": conn.id, "requestId": request_id}
            )

    async def _reply(self, conn: _Connection, message: dict[str, Any]) -> None:
        with contextlib.suppress(ConnectionClosed):
            await conn.ws.send(json.dumps(message))

    async def _disconnect(self, conn: _Connection, code: int, reason: str) -> None:
        if conn.disconnected:
            return
        conn.disconnected = True
        if "$disconnect" not in self.routes:
            return
        event = self._disconnect_event(conn, code, reason or _CLOSE_REASONS.get(code, ""))
        try:
            await self._invoke(event)
        except Exception:
            log.exception("$disconnect handler failed for %s", conn.id)

    def _forget(self, conn: _Connection) -> None:
        with self._lock:
            if self._connections.get(conn.id) is conn:
                del self._connections[conn.id]

    # --- management API ---

    async def _manage(self, request: Request, connection_id: str) -> Response:
        method = request.method.upper()
        if method not in ("POST", "GET", "DELETE"):
            return _json_response(405, {"message": f"Method {method} not allowed"})
        conn = self._connections.get(connection_id)
        if conn is None or conn.ws.protocol.state is not OPEN:
            return _gone(connection_id)
        if method == "POST":
            body = getattr(request, "body", b"")
            if len(body) > MAX_POST_BYTES:
                return _json_response(
                    413, {"message": f"Message too long: {len(body)} bytes"}, "PayloadTooLargeException"
                )
            try:
                body.decode("utf-8")
                is_text = True
            except UnicodeDecodeError:
                is_text = False
            try:
                await conn.ws.send(body, text=is_text)
            except ConnectionClosed:
                return _gone(connection_id)
            conn.last_active = _now_ms()
            return _empty_response(200)
        if method == "GET":
            return _json_response(
                200,
                {
                    "connectedAt": _iso(conn.connected_at),
                    "identity": {"sourceIp": conn.source_ip, "userAgent": conn.user_agent},
                    "lastActiveAt": _iso(conn.last_active),
                },
            )
        self._forget(conn)  # DELETE: gone for the management API at once
        self._spawn(conn.ws.close(CloseCode.NORMAL_CLOSURE, ""))
        return _empty_response(204)


# --- HTTP responses ---


_date_cache: tuple[int, str] = (0, "")


def _http_date() -> str:
    global _date_cache
    second = int(time.time())
    if _date_cache[0] != second:
        _date_cache = (second, email.utils.formatdate(second, usegmt=True))
    return _date_cache[1]


def _http_phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _response(status: int, body: bytes, content_type: str, error_type: str | None = None) -> Response:
    headers = Headers()
    headers["Date"] = _http_date()
    headers["Connection"] = "close"
    headers["Content-Type"] = content_type
    headers["Content-Length"] = str(len(body))
    headers["x-amzn-RequestId"] = str(uuid.uuid4())
    if error_type:
        headers["x-amzn-ErrorType"] = error_type
    return Response(status, _http_phrase(status), headers, body)


def _json_response(status: int, payload: dict[str, Any], error_type: str | None = None) -> Response:
    return _response(status, json.dumps(payload).encode(), "application/json", error_type)


def _empty_response(status: int) -> Response:
    return _response(status, b"", "application/json")


def _text_response(status: int, text: str) -> Response:
    return _response(status, text.encode(), "text/plain; charset=utf-8")


def _gone(connection_id: str) -> Response:
    return _json_response(410, {"message": f"Connection {connection_id} is gone"}, "GoneException")
