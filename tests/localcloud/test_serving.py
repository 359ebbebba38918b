"""localcloud.serving: werkzeug's threaded server behind the local stand-ins (real sockets)."""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.serving import LocalWsgiServer


class Probe(LocalWsgiServer):
    """Answers with what the server did to the connection; ``/stream`` sends chunks as the test releases them."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.release = threading.Event()

    def wsgi_app(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        if environ["PATH_INFO"] == "/stream":
            start_response("200 OK", [("content-type", "text/event-stream")])
            return self._stream()
        connection: socket.socket = environ["werkzeug.socket"]
        nodelay = connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        body = b"nodelay" if nodelay else b"nagle"
        start_response("200 OK", [("content-type", "text/plain"), ("content-length", str(len(body)))])
        return iter([body])

    def _stream(self) -> Iterator[bytes]:
        yield b"first\n"
        self.release.wait(5)
        yield b"second\n"


@pytest.fixture
def probe() -> Iterator[Probe]:
    with Probe() as server:
        yield server


def _get(server: LocalWsgiServer, path: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", path)
    return conn.getresponse()


def test_connections_have_nagle_off(probe: Probe) -> None:
    # A response is written in two sends (headers, body): with Nagle on, the body waits for the client's
    # delayed ACK and every call costs ~40 ms.
    assert _get(probe, "/").read() == b"nodelay"


def test_a_streamed_response_reaches_the_client_chunk_by_chunk(probe: Probe) -> None:
    response = _get(probe, "/stream")
    assert response.getheader("transfer-encoding") == "chunked"
    assert response.readline() == b"first\n"  # before the second chunk exists
    probe.release.set()
    assert response.read() == b"second\n"


def test_a_taken_port_raises_instead_of_exiting(probe: Probe) -> None:
    with pytest.raises(OSError):
        Probe(port=probe.port).start()


def test_port_url_and_stop() -> None:
    server = Probe()
    assert server.port == 0
    server.start()
    port = server.port
    assert port > 0 and server.url == f"http://127.0.0.1:{port}"
    assert server.start() is server  # already started
    server.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    server.stop()  # idempotent
