"""The local cloud's AWS port: moto's server application behind the fault middleware.

moto's ``ThreadedMotoServer`` takes no middleware, so its application (``DomainDispatcherApplication`` over
``create_backend_app``, with ``MotoRequestHandler``) is served here the way it serves it, wrapped in
:class:`FaultMiddleware`: ``/_local/faults`` is the fault API (loopback ``Host`` only, see
:mod:`localcloud.host_check`), and a request matching an active fault gets the fault's AWS error instead of
reaching moto.
"""

from __future__ import annotations

import io
import socket
import threading
import urllib.parse
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from localcloud.emulators.faults import PATH, FaultRegistry, answer
from localcloud.emulators.faults_errors import error_response
from localcloud.emulators.faults_operations import AwsRequest, identify, signing_service
from localcloud.host_check import allowed_hosts, host_problem

__all__ = ["AwsServer", "FaultMiddleware"]

_FORM = "application/x-www-form-urlencoded"


class FaultMiddleware:
    def __init__(self, app: Any, registry: FaultRegistry, hosts: frozenset[tuple[str, int]] = frozenset()) -> None:
        self.app = app
        self.registry = registry
        self.allowed_hosts = hosts  # the Host values the fault API answers (set once the port is known)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").rstrip("/") == PATH:
            return self._fault_api(environ, start_response)
        if self.registry.services:  # nothing to parse while no fault is active
            fault_reply = self._injected(environ)
            if fault_reply is not None:
                status, headers, body = fault_reply
                start_response(f"{status} {_reason(status)}", headers)
                return [body]
        return self.app(environ, start_response)

    def _fault_api(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        problem = host_problem(environ.get("HTTP_HOST"), self.allowed_hosts)
        if problem is not None:
            status, headers, body = problem.value, {"content-type": "text/plain"}, problem.phrase.encode()
        else:
            status, headers, body = answer(self.registry, environ["REQUEST_METHOD"], _read_body(environ))
        start_response(f"{status} {_reason(status)}", [*headers.items(), ("Content-Length", str(len(body)))])
        return [body]

    def _injected(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes] | None:
        headers = {
            key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")
        }
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if signing_service(headers, query) not in self.registry.services:
            return None
        form = None
        if environ.get("CONTENT_TYPE", "").startswith(_FORM) and "x-amz-target" not in headers:
            body = _read_body(environ)
            environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        method = environ["REQUEST_METHOD"]
        call = identify(AwsRequest(method, environ.get("PATH_INFO", ""), query, headers, form))
        if call is None:
            return None
        fault = self.registry.take(call.service, call.operation)
        if fault is None:
            return None
        message = f"{fault.code} (injected by the local cloud: POST {PATH})"
        return error_response(
            call.service, call.protocol, fault.status, fault.code, message, head=method.upper() == "HEAD"
        )


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class AwsServer:
    """moto in server mode with fault injection, on ``host:port`` (0: any free port) from a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, faults: FaultRegistry | None = None) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        self.host = host
        self._requested_port = port
        self.faults = faults if faults is not None else FaultRegistry()
        self.app = FaultMiddleware(DomainDispatcherApplication(create_backend_app), self.faults)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1]) if self._server is not None else self._requested_port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> AwsServer:
        from moto.moto_server.werkzeug_app import MotoRequestHandler

        # Bound here rather than by make_server, which prints and calls sys.exit() when the port is taken.
        with socket.create_server((self.host, self._requested_port)) as listening:
            self._server = make_server(
                self.host,
                self._requested_port,
                self.app,
                threaded=True,
                request_handler=MotoRequestHandler,
                fd=listening.fileno(),
            )
        self.app.allowed_hosts = allowed_hosts(self.host, self.port)
        self._thread = threading.Thread(target=self._server.serve_forever, name="aws-server", daemon=True)
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

    def __enter__(self) -> AwsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
