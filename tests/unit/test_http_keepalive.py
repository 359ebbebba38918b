"""The small HTTP/1.1 client against real sockets: response framing, keep-alive, stale connections, TLS."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator

import pytest

from cofounder.adapters.http_keepalive import KeepAliveClient, TransportError
from tests.support.tls import self_signed_server_context

Answer = Callable[[socket.socket, bytes], bool]
"""Writes the answer to one request (its raw bytes given); returns whether to keep the connection open."""


def _read_request(conn: socket.socket, pending: bytearray) -> bytes | None:
    while b"\r\n\r\n" not in pending:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        pending += chunk
    head, _, _ = bytes(pending).partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    size = len(head) + 4 + length
    while len(pending) < size:
        pending += conn.recv(65536)
    request = bytes(pending[:size])
    del pending[:size]
    return request


class ScriptedServer:
    """Answers each request with the next scripted answer; records (connection number, request bytes)."""

    def __init__(self, answers: list[Answer], tls: ssl.SSLContext | None = None) -> None:
        self.answers = list(answers)
        self.requests: list[tuple[int, bytes]] = []
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._tls = tls
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._connection, args=(conn, self.connections), daemon=True).start()

    def _connection(self, conn: socket.socket, number: int) -> None:
        try:
            if self._tls is not None:
                conn = self._tls.wrap_socket(conn, server_side=True)
            pending = bytearray()
            while (request := _read_request(conn, pending)) is not None:
                self.requests.append((number, request))
                if not self.answers or not self.answers.pop(0)(conn, request):
                    break
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self._listener.close()


def reply(raw: bytes, keep: bool = True) -> Answer:
    def answer(conn: socket.socket, _: bytes) -> bool:
        conn.sendall(raw)
        return keep

    return answer


def in_pieces(raw: bytes) -> Answer:
    def answer(conn: socket.socket, _: bytes) -> bool:
        for i in range(len(raw)):
            conn.sendall(raw[i : i + 1])
        return True

    return answer


def silent(conn: socket.socket, _: bytes) -> bool:
    conn.recv(1)  # waits for the client to give up and close
    return False


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


@pytest.fixture
def serve() -> Iterator[Callable[..., tuple[ScriptedServer, KeepAliveClient]]]:
    servers: list[ScriptedServer] = []

    def start(answers: list[Answer], read_timeout: float = 10.0) -> tuple[ScriptedServer, KeepAliveClient]:
        server = ScriptedServer(answers)
        servers.append(server)
        client = KeepAliveClient(
            f"http://127.0.0.1:{server.port}/stage", max_idle=2, connect_timeout=5, read_timeout=read_timeout
        )
        return server, client

    yield start
    for server in servers:
        server.close()


def test_one_write_per_request_with_host_and_content_length(serve):
    server, client = serve([reply(OK)])
    response = client.request("POST", "/stage/@connections/a%3D", {"X-Amz-Date": "20261130T000000Z"}, b"body")
    assert response.status == 200 and response.body == b""
    ((_, raw),) = server.requests
    assert (
        raw
        == (
            f"POST /stage/@connections/a%3D HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            "X-Amz-Date: 20261130T000000Z\r\nContent-Length: 4\r\n\r\nbody"
        ).encode()
    )


def test_content_length_chunked_and_split_answers_keep_the_connection(serve):
    server, client = serve(
        [
            reply(
                b"HTTP/1.1 410 Gone\r\nContent-Type: application/json\r\nContent-Length: 13\r\n"
                b'x-amzn-ErrorType: GoneException\r\n\r\n{"message":1}'
            ),
            reply(
                b"HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n"
            ),
            in_pieces(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
            reply(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"),
        ]
    )
    gone = client.request("POST", "/a", {}, b"")
    assert (gone.status, gone.reason, gone.body) == (410, "Gone", b'{"message":1}')
    assert gone.headers["x-amzn-errortype"] == "GoneException"
    failed = client.request("POST", "/b", {}, b"")
    assert (failed.status, failed.body) == (500, b"hello world")
    assert client.request("POST", "/c", {}, b"").body == b"ok"
    assert client.request("POST", "/d", {}, b"").status == 204
    assert {number for number, _ in server.requests} == {1}  # all on one kept-alive connection


def test_connection_close_and_unframed_answers_are_not_reused(serve):
    server, client = serve(
        [
            reply(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", keep=False),
            reply(b"HTTP/1.1 200 OK\r\n\r\nuntil the end", keep=False),
            reply(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"),
            reply(OK),
        ]
    )
    assert client.request("POST", "/", {}, b"").status == 200
    assert client.request("POST", "/", {}, b"").body == b"until the end"
    assert client.request("POST", "/", {}, b"").status == 200  # HTTP/1.0 without keep-alive: closed after
    assert client.request("POST", "/", {}, b"").status == 200
    assert [number for number, _ in server.requests] == [1, 2, 3, 4]


def test_a_kept_connection_the_server_closed_meanwhile_is_replaced_once(serve):
    # the server answers and closes without saying so: the client only finds out on the next request
    server, client = serve([reply(OK, keep=False), reply(OK)])
    assert client.request("POST", "/1", {}, b"").status == 200
    assert client.request("POST", "/2", {}, b"").status == 200
    assert [(n, raw.split(b" ")[1]) for n, raw in server.requests] == [(1, b"/1"), (2, b"/2")]


def test_a_retry_takes_a_new_connection_never_another_idle_one(serve):
    both_arrived = threading.Barrier(2, timeout=10)

    def together_then_hang_up(conn: socket.socket, _: bytes) -> bool:
        both_arrived.wait()  # two connections open at once: both go back to the idle pool
        conn.sendall(OK)
        return False  # and both are closed by the server without a word

    server, client = serve([together_then_hang_up, together_then_hang_up, reply(OK)])
    threads = [threading.Thread(target=client.request, args=("POST", f"/{i}", {}, b"")) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert client.request("POST", "/3", {}, b"").status == 200  # one stale attempt, then a new connection
    assert server.connections == 3 and [n for n, _ in server.requests][-1] == 3


def test_a_connection_idle_too_long_is_not_reused():
    server = ScriptedServer([reply(OK), reply(OK)])
    try:
        client = KeepAliveClient(
            f"http://127.0.0.1:{server.port}", max_idle=2, connect_timeout=5, read_timeout=5, max_idle_s=-1
        )
        assert client.request("POST", "/1", {}, b"").status == 200
        assert client.request("POST", "/2", {}, b"").status == 200
        assert [n for n, _ in server.requests] == [1, 2]
    finally:
        server.close()


def test_no_answer_within_the_read_timeout_is_a_transport_error_and_not_retried(serve):
    server, client = serve([silent], read_timeout=0.2)
    with pytest.raises(TransportError):
        client.request("POST", "/", {}, b"")
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "raw",
    [
        b"SPDY/3 200 OK\r\n\r\n",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
def test_malformed_answers_are_transport_errors(serve, raw):
    _, client = serve([reply(raw, keep=False)])
    with pytest.raises(TransportError):
        client.request("POST", "/", {}, b"")


def test_nothing_listening_is_a_transport_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = KeepAliveClient(f"http://127.0.0.1:{port}", max_idle=1, connect_timeout=5, read_timeout=5)
    with pytest.raises(TransportError, match="cannot connect"):
        client.request("POST", "/", {}, b"")


def test_default_ports_are_left_out_of_the_host_header():
    def host(url: str) -> tuple[str, int, bool]:
        client = KeepAliveClient(url, max_idle=1, connect_timeout=1, read_timeout=1)
        return client.host, client.port, client.tls

    assert host("https://abc.execute-api.us-east-1.amazonaws.com/live") == (
        "abc.execute-api.us-east-1.amazonaws.com",
        443,
        True,
    )
    assert host("https://example.com:443/x") == ("example.com", 443, True)
    assert host("http://127.0.0.1:3001") == ("127.0.0.1:3001", 3001, False)
    assert host("http://[::1]:8080/") == ("[::1]:8080", 8080, False)
    with pytest.raises(ValueError):
        host("ws://127.0.0.1:3001")


# --- TLS ---


def test_https_is_tls_verified_against_the_ca_bundle(tmp_path):
    cert_file, context = self_signed_server_context(tmp_path)
    server = ScriptedServer([reply(OK), reply(OK), reply(OK)], tls=context)
    try:
        trusting = KeepAliveClient(
            f"https://127.0.0.1:{server.port}/live",
            max_idle=1,
            connect_timeout=5,
            read_timeout=5,
            ca_file=str(cert_file),
        )
        assert trusting.request("POST", "/live/@connections/a", {}, b"secret").status == 200
        assert trusting.request("POST", "/live/@connections/b", {}, b"").status == 200
        assert [n for n, _ in server.requests] == [1, 1]  # kept alive over TLS too
        assert server.requests[0][1].endswith(b"\r\n\r\nsecret")
        distrusting = KeepAliveClient(
            f"https://127.0.0.1:{server.port}/live", max_idle=1, connect_timeout=5, read_timeout=5
        )  # the default CA bundle does not know this certificate
        with pytest.raises(TransportError, match="TLS"):
            distrusting.request("POST", "/live/@connections/c", {}, b"")
        assert len(server.requests) == 2  # nothing was sent without a verified server
    finally:
        server.close()
