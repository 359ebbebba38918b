"""The model emulator on a local port: the Anthropic Messages API (JSON and streaming) over HTTP.

``POST /v1/messages`` (``"stream": true``: server-sent events), ``POST /v1/messages/count_tokens``,
``GET /health``, and ``GET /_local/model/requests``: the Messages requests received, oldest first, the last
:data:`KEPT_REQUESTS` (``{"requests": [{"received_at", "body"}]}``, so tests can count the calls). Replies come
from a :class:`ScenarioResponder`; only requests addressed to a loopback name and this port are answered
(:mod:`localcloud.host_check`).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from werkzeug import Request, Response
from werkzeug.exceptions import BadRequest

from localcloud.emulators.model.protocol import (
    RequestError,
    error_body,
    has_credentials,
    parse_body,
    status_line,
    validate_request,
)
from localcloud.emulators.model.responder import ScenarioResponder
from localcloud.emulators.model.streaming import sse_event, stream_events
from localcloud.emulators.model.tokens import count_input_tokens
from localcloud.host_check import host_problem
from localcloud.serving import LocalWsgiServer

__all__ = ["ModelEmulator"]

_HEALTH_PATHS = ("/health", "/healthz")
REQUESTS_PATH = "/_local/model/requests"
KEPT_REQUESTS = 500


class ModelEmulator(LocalWsgiServer):
    """A fake Anthropic Messages API on a local port, replying from a scripted scenario."""

    thread_name = "model-emulator"
    poll_interval = 0.02

    def __init__(
        self,
        scenario: Mapping[str, Any] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(host, port)
        self.responder = ScenarioResponder(scenario, clock)
        self._clock = clock
        self._received: deque[dict[str, Any]] = deque(maxlen=KEPT_REQUESTS)
        self._received_lock = threading.Lock()

    # -- the scenario and what was asked ---------------------------------------------------------------------

    def set_scenario(self, scenario: Mapping[str, Any] | None) -> None:
        self.responder.set_scenario(scenario)

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.responder.requests

    @property
    def request_times(self) -> list[float]:
        """Arrival times (``time.monotonic()``) of the requests in ``requests``."""
        return self.responder.request_times

    def clear_requests(self) -> None:
        self.responder.clear_requests()
        with self._received_lock:
            self._received.clear()

    def received(self) -> list[dict[str, Any]]:
        """What ``GET /_local/model/requests`` answers: ``{"received_at", "body"}``, oldest first."""
        with self._received_lock:
            return list(self._received)

    def _record(self, body: dict[str, Any]) -> None:
        self.responder.record_request(body)
        received_at = datetime.fromtimestamp(self._clock(), UTC).isoformat()  # the local cloud's clock
        with self._received_lock:
            self._received.append({"received_at": received_at, "body": body})

    # -- HTTP ------------------------------------------------------------------------------------------------

    def wsgi_app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        request_id = self.responder.next_id("req_emu_")
        try:
            response = self._respond(request, request_id)
        except RequestError as exc:
            response = _json(exc.status, error_body(exc.status, exc.message, request_id), exc.headers)
        response.headers["request-id"] = request_id
        return response(environ, start_response)

    def _respond(self, request: Request, request_id: str) -> Response:
        problem = host_problem(request.headers.get("host"), self.allowed_hosts)
        if problem is not None:
            raise RequestError(problem, f"Host {request.headers.get('host')!r} is not this server")
        if request.method == "GET" and request.path in _HEALTH_PATHS:
            return _json(200, {"status": "ok"})
        if request.method == "GET" and request.path == REQUESTS_PATH:
            return _json(200, {"requests": self.received()})
        if request.method != "POST":
            raise RequestError(404 if request.method == "GET" else 405, f"Not found: {request.full_path}")
        try:
            raw = request.get_data(cache=False)
        except (OSError, BadRequest) as exc:
            raise RequestError(400, "The request body could not be read") from exc
        if request.path == "/v1/messages":
            return self._messages(request, raw)
        if request.path == "/v1/messages/count_tokens":
            _authenticate(request)
            body = parse_body(raw)
            validate_request(body, needs_max_tokens=False)
            return _json(200, {"input_tokens": count_input_tokens(body)})
        raise RequestError(404, f"Not found: {request.path}")

    def _messages(self, request: Request, raw: bytes) -> Response:
        try:
            body = parse_body(raw)
        except RequestError:
            _authenticate(request)
            raise
        self._record(body)
        _authenticate(request)
        validate_request(body)
        message = self.responder.respond(body)
        if body.get("stream"):
            return Response(
                _event_stream(message),
                200,
                [("content-type", "text/event-stream; charset=utf-8"), ("cache-control", "no-cache")],
            )
        return _json(200, message)


def _authenticate(request: Request) -> None:
    if not has_credentials({name.lower(): value for name, value in request.headers}):
        raise RequestError(401, "x-api-key header is required")


def _json(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    data = json.dumps(payload, ensure_ascii=False).encode()
    return Response(data, status_line(status), [("content-type", "application/json"), *(headers or {}).items()])


def _event_stream(message: Mapping[str, Any]) -> Iterator[bytes]:
    # No content-length: werkzeug's server sends each event as one chunk and flushes it.
    for event in stream_events(message):
        yield sse_event(event)
