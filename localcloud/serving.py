"""How the local cloud serves its HTTP stand-ins: a WSGI app on werkzeug's threaded server, from a daemon thread.

The project writes no HTTP server of its own: framing, chunked request bodies, chunked (streamed) responses and
``Expect: 100-continue`` are werkzeug's. Werkzeug's server answers every request with ``Connection: close``, so
clients reconnect for each request (a loopback connect costs well under a millisecond).
"""

from __future__ import annotations

import logging
import socket
import threading
from types import TracebackType
from typing import Any, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from localcloud.host_check import allowed_hosts

__all__ = ["LocalWsgiServer", "NoDelayRequestHandler"]

log = logging.getLogger(__name__)


class NoDelayRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler with Nagle's algorithm off and its access log at debug level.

    A response goes out in two writes (headers, then body); with Nagle on, the body waits for the client's
    delayed ACK of the headers, and every call costs ~40 ms.
    """

    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"  # chunked responses (the model emulator's event streams)

    def log(self, type: str, message: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), message % args if args else message)


class LocalWsgiServer:
    """A WSGI application served on ``host:port`` (0: any free port) from a daemon thread.

    Subclasses implement :meth:`wsgi_app`; ``start()`` / ``stop()`` / ``with`` run it. :attr:`allowed_hosts` are
    the ``Host`` header values the app should accept (loopback names with the bound port).
    """

    thread_name = "wsgi-server"
    poll_interval = 0.05

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self._requested_port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.allowed_hosts: frozenset[tuple[str, int]] = frozenset()

    def wsgi_app(self, environ: dict[str, Any], start_response: Any) -> Any:
        raise NotImplementedError

    @property
    def port(self) -> int:
        if self._server is None:
            return self._requested_port
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Self:
        if self._server is not None:
            return self
        # Bound here rather than by make_server, which prints and calls sys.exit() when the port is taken.
        with socket.create_server((self.host, self._requested_port)) as listening:
            self._server = make_server(
                self.host,
                self._requested_port,
                self.wsgi_app,
                threaded=True,
                request_handler=NoDelayRequestHandler,
                fd=listening.fileno(),  # the server takes a duplicate of the descriptor
            )
        self.allowed_hosts = allowed_hosts(self.host, self.port)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": self.poll_interval},
            name=self.thread_name,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
