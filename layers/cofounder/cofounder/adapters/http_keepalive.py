"""A small HTTP/1.1 client for one origin: kept-alive connections, one write per request, a lean response parser.

Made for the management API's fan-out, where the client's CPU per request is what limits a push to a thousand
connections (all of it under one GIL): urllib3 + http.client spend ~300 µs of CPU a request (the headers and
the body in two writes, `email`-based header parsing, URL re-parsing, retry bookkeeping); this spends a fifth of that
(measured: bench/RESULTS.md, fanout_1000_ms).
It speaks exactly what such an API needs: requests with a bytes body, responses framed by Content-Length or
chunked (or ending with the connection), `Connection: close`, interim 1xx answers, TLS verified against a CA
bundle with SNI. No proxies, no redirects, no compression.

A request that fails on a reused connection before any byte of the answer arrived (the server closed the
idle connection meanwhile) is sent once more on a new connection, as urllib3 and botocore do; every other
failure raises `TransportError`.
"""

from __future__ import annotations

import collections
import contextlib
import socket
import ssl
import threading
import time
from typing import NamedTuple
from urllib.parse import urlsplit

MAX_HEAD_BYTES = 64 * 1024
RECV_BYTES = 64 * 1024
MAX_IDLE_S = 30.0
"""A connection idle longer is closed instead of reused: servers drop idle keep-alive connections (load balancers
commonly after 60 s), and one found dropped costs a failed attempt."""


class TransportError(Exception):
    """No (well-formed) answer: connect, TLS, timeout, reset, or a response this client cannot read."""


class Response(NamedTuple):
    status: int
    reason: str
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes


class _Connection:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()
        self.pos = 0  # start of what is not consumed yet
        self.reused = False
        self.received = False  # a byte of the current answer arrived
        self.idle_since = 0.0  # time.monotonic() when it was put back

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def _recv(self) -> bool:
        chunk = self.sock.recv(RECV_BYTES)
        if not chunk:
            return False
        self.received = True
        if self.pos:
            del self.buffer[: self.pos]
            self.pos = 0
        self.buffer += chunk
        return True

    def _until(self, marker: bytes, limit: int) -> bytes:
        while (end := self.buffer.find(marker, self.pos)) < 0:
            if len(self.buffer) - self.pos > limit:
                raise TransportError("response head too long")
            if not self._recv():
                raise TransportError("connection closed before the response")
        data = bytes(self.buffer[self.pos : end])
        self.pos = end + len(marker)
        return data

    def _exactly(self, size: int) -> bytes:
        while len(self.buffer) - self.pos < size:
            if not self._recv():
                raise TransportError("connection closed in the response body")
        data = bytes(self.buffer[self.pos : self.pos + size])
        self.pos += size
        return data

    def _rest(self) -> bytes:
        while self._recv():
            pass
        data = bytes(self.buffer[self.pos :])
        self.pos = len(self.buffer)
        return data

    def _chunked(self) -> bytes:
        parts = []
        while True:
            line = self._until(b"\r\n", MAX_HEAD_BYTES)
            size = int(line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                while self._until(b"\r\n", MAX_HEAD_BYTES):  # trailer fields, up to the empty line
                    pass
                return b"".join(parts)
            parts.append(self._exactly(size))
            if self._exactly(2) != b"\r\n":
                raise TransportError("malformed chunk")

    def read_response(self, method: str) -> tuple[Response, bool]:
        """The answer and whether the connection can serve another request."""
        while True:
            head = self._until(b"\r\n\r\n", MAX_HEAD_BYTES).decode("latin-1")
            status_line, _, fields = head.partition("\r\n")
            try:
                version, code, *reason = status_line.split(" ", 2)
                status = int(code)
            except ValueError:
                raise TransportError(f"malformed status line {status_line[:80]!r}") from None
            if not version.startswith("HTTP/1.") or not 100 <= status <= 599:
                raise TransportError(f"malformed status line {status_line[:80]!r}")
            headers: dict[str, str] = {}
            for field in fields.split("\r\n") if fields else ():
                name, colon, value = field.partition(":")
                if not colon:
                    raise TransportError(f"malformed header line {field[:80]!r}")
                name = name.strip().lower()
                value = value.strip()
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
            if 100 <= status < 200 and status != 101:
                continue  # an interim answer: the final one follows
            break
        tokens = {t.strip().lower() for t in headers.get("connection", "").split(",")}
        keep = "close" not in tokens if version == "HTTP/1.1" else "keep-alive" in tokens
        try:
            if method == "HEAD" or status in (101, 204, 304):
                body = b""
            elif "chunked" in headers.get("transfer-encoding", "").lower():
                body = self._chunked()
            elif "content-length" in headers:
                body = self._exactly(int(headers["content-length"].split(",")[0]))
            else:
                body, keep = self._rest(), False
        except ValueError:
            raise TransportError("malformed response framing") from None
        return Response(status, reason[0] if reason else "", headers, body), keep


class KeepAliveClient:
    def __init__(
        self,
        base_url: str,
        *,
        max_idle: int,
        connect_timeout: float,
        read_timeout: float,
        ca_file: str | None = None,
        max_idle_s: float = MAX_IDLE_S,
    ) -> None:
        """A client of the origin of `base_url` (http or https) keeping up to `max_idle` idle connections."""
        url = urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.tls = url.scheme == "https"
        default_port = 443 if self.tls else 80
        self.hostname = url.hostname
        self.port = url.port or default_port
        host = f"[{url.hostname}]" if ":" in url.hostname else url.hostname
        self.host = host if self.port == default_port else f"{host}:{self.port}"
        """The Host header: the host name, with the port unless it is the scheme's default."""
        self._max_idle = max_idle
        self._max_idle_s = max_idle_s
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._ca_file = ca_file
        self._context: ssl.SSLContext | None = None  # made on the first TLS connection (loading CAs: ~25 ms)
        self._context_lock = threading.Lock()
        self._idle: collections.deque[_Connection] = collections.deque()  # append/pop are atomic: no lock

    def request(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Response:
        """One request (`path` already URL-encoded; Host and Content-Length are added). Raises TransportError."""
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        message = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{lines}Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        for attempt in (1, 2):
            conn = self._checkout() if attempt == 1 else self._connect()  # a retry never takes another idle one
            try:
                conn.sock.sendall(message)
                response, keep = conn.read_response(method)
            except (OSError, TransportError) as exc:
                conn.close()
                stale = conn.reused and not conn.received and not isinstance(exc, TimeoutError)
                if stale and attempt == 1:
                    continue  # the server had closed this idle connection: once more on a new one
                if isinstance(exc, TransportError):
                    raise
                raise TransportError(f"{type(exc).__name__}: {exc}") from exc
            if keep:
                self._checkin(conn)
            else:
                conn.close()
            return response
        raise AssertionError("unreachable")

    def close(self) -> None:
        while self._idle:
            try:
                self._idle.pop().close()
            except IndexError:
                break

    def _checkout(self) -> _Connection:
        while True:
            try:
                conn = self._idle.pop()
            except IndexError:
                return self._connect()
            if time.monotonic() - conn.idle_since <= self._max_idle_s:
                conn.reused = True
                conn.received = False
                return conn
            conn.close()  # idle too long: the server may have dropped it

    def _checkin(self, conn: _Connection) -> None:
        if conn.pos < len(conn.buffer):  # bytes nobody asked for: the connection is out of step
            conn.close()
        elif len(self._idle) < self._max_idle:
            conn.buffer.clear()
            conn.pos = 0
            conn.idle_since = time.monotonic()
            self._idle.append(conn)
        else:
            conn.close()

    def _tls_context(self) -> ssl.SSLContext:
        with self._context_lock:
            if self._context is None:
                self._context = ssl.create_default_context(cafile=self._ca_file)
            return self._context

    def _connect(self) -> _Connection:
        try:
            sock = socket.create_connection((self.hostname, self.port), timeout=self._connect_timeout)
        except OSError as exc:
            raise TransportError(f"cannot connect to {self.hostname}:{self.port}: {exc}") from exc
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls:
                sock = self._tls_context().wrap_socket(sock, server_hostname=self.hostname)
            sock.settimeout(self._read_timeout)
        except OSError as exc:
            sock.close()
            raise TransportError(f"TLS with {self.hostname}:{self.port} failed: {exc}") from exc
        return _Connection(sock)
