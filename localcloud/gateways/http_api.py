"""A local stand-in for API Gateway's HTTP API: payload format 2.0, JWT authorizer, CORS.

:class:`HttpGateway` serves routes (from ``template.yaml``: :func:`routes_from_template`) on a local port
and invokes the real Lambda handlers in-process, with events of exactly the shape API Gateway sends
(``events/http_*.json``, built by :mod:`localcloud.lambda_events`) and the same gateway answers:

- routing (:mod:`localcloud.gateways.http_routes`); no route for the path: 404 ``{"message":"Not Found"}``; a
  route for the path but not the method: 405 with ``Allow`` (API Gateway says 404 there; HTTP clients and API
  fuzzers expect 405).
- JWT authorizer (routes with ``auth=True``): ``Authorization: Bearer <jwt>`` verified with the settings of the
  moment; missing or invalid: 401 ``{"message":"Unauthorized"}`` and the handler does not run; valid: the
  claims, every value a string, at ``requestContext.authorizer.jwt.claims``.
- responses (:mod:`localcloud.gateways.http_responses`); a handler exception is a 500
  ``{"message":"Internal Server Error"}`` (the traceback is logged). Every response has ``apigw-requestid``.
- CORS (:func:`cors_from_template`): preflights answered by the gateway, ``Access-Control-Allow-Origin``
  added to the responses for allowed origins.

Local extras: only requests addressed to a loopback name and this port (:mod:`localcloud.host_check`);
``extra_routes`` (exact ``(method, path)``, checked first: ``POST /_local/clock/advance``) and ``static_dir``
(GET/HEAD of a path outside ``/api/`` serves its files, ``index.html`` for directories).
"""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from werkzeug import Request, Response
from werkzeug.exceptions import BadRequest

from cofounder.config import Settings
from localcloud.gateways.cors import CorsConfig, cors_from_template
from localcloud.gateways.http_responses import GatewayResponse, gateway_message, response_from_result
from localcloud.gateways.http_routes import Route, RouteTable, routes_from_template
from localcloud.gateways.jwt_authorizer import authorize
from localcloud.gateways.static_files import StaticFiles
from localcloud.handlers import ROOT
from localcloud.host_check import host_problem
from localcloud.lambda_context import LocalLambdaContext
from localcloud.lambda_events import HttpRequest, http_api_event, new_request_id
from localcloud.serving import LocalWsgiServer

__all__ = ["ExtraHandler", "HttpGateway", "request_target"]

logger = logging.getLogger(__name__)

ExtraHandler = Callable[[HttpRequest], tuple[int, Mapping[str, str], bytes]]


_TARGET_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))
"""Printable ASCII stays as sent (percent-escapes included); any other byte of a request target is escaped."""


def request_target(environ: Mapping[str, Any]) -> str:
    """The request target as API Gateway's rawPath and rawQueryString hold it: ASCII, bytes beyond it
    percent-encoded (a client sending raw UTF-8 reaches the same route, with the same id, as one encoding it).

    werkzeug's server hands it on twice decoded: http.server reads the request line as latin-1, and werkzeug
    stores that text UTF-8 encoded, read as latin-1 (the WSGI "encoding dance"); both are undone here to get
    the bytes on the wire.
    """
    wire = environ["REQUEST_URI"].encode("latin-1").decode("utf-8").encode("latin-1")
    return urllib.parse.quote(wire, safe=_TARGET_SAFE)


class HttpGateway(LocalWsgiServer):
    """API Gateway's HTTP API on a local port, invoking handlers in-process (one server thread a request)."""

    thread_name = "http-gateway"

    def __init__(
        self,
        routes: list[Route],
        *,
        settings_factory: Callable[[], Settings],
        host: str = "127.0.0.1",
        port: int = 3000,
        cors: CorsConfig | None = None,
        extra_routes: Mapping[tuple[str, str], ExtraHandler] | None = None,
        static_dir: str | Path | None = None,
        api_id: str = "localapi",
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(host, port)
        self.routes = RouteTable(routes)
        self.settings_factory = settings_factory
        self.cors = cors
        self.extra_routes = {(m.upper(), p): h for (m, p), h in (extra_routes or {}).items()}
        self.static = StaticFiles(static_dir) if static_dir is not None else None
        self.api_id = api_id
        self.clock = clock

    @classmethod
    def from_template(
        cls,
        template: Mapping[str, Any],
        root: str | Path = ROOT,
        *,
        settings_factory: Callable[[], Settings],
        api: str | None = None,
        function_names: Mapping[str, str] | None = None,
        parameter_overrides: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> HttpGateway:
        """A gateway with the template's routes and CORS configuration."""
        kwargs.setdefault("cors", cors_from_template(template, api, parameter_overrides))
        routes = routes_from_template(template, root, api=api, function_names=function_names)
        return cls(routes, settings_factory=settings_factory, **kwargs)

    # -- requests ------------------------------------------------------------------------------------------

    def wsgi_app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request_id = new_request_id()
        try:
            response = self._respond(Request(environ), request_id)
        except Exception:
            logger.exception("%s %s: gateway error", environ.get("REQUEST_METHOD"), environ.get("REQUEST_URI"))
            response = gateway_message(500, "Internal Server Error")
        response.headers["apigw-requestid"] = request_id
        return response(environ, start_response)

    def _respond(self, incoming: Request, request_id: str) -> Response:
        problem = host_problem(incoming.headers.get("host"), self.allowed_hosts)
        if problem is not None:
            return gateway_message(problem, problem.phrase)
        try:
            request = self._read(incoming)
        except (OSError, ValueError, BadRequest):  # a malformed chunked body, a body shorter than announced
            return gateway_message(400, "Bad Request")
        extra = self.extra_routes.get((request.method, request.raw_path))
        if self.cors is not None and extra is None and self._is_preflight(request):
            cors_headers = self.cors.preflight_headers(
                request.headers.get("origin"),
                request.headers.get("access-control-request-method", ""),
                request.headers.get("access-control-request-headers", ""),
            )
            return GatewayResponse(b"", 204, cors_headers)
        if extra is not None:
            status, headers, body = extra(request)
            response: Response = GatewayResponse(body, status, [(k.lower(), str(v)) for k, v in headers.items()])
        else:
            response = self._route(request, request_id)
        if self.cors is not None:
            # With CORS configured, API Gateway ignores the backend's CORS headers and sends its own.
            for name in {name for name, _ in response.headers if name.lower().startswith("access-control-")}:
                del response.headers[name]
            response.headers.extend(self.cors.response_headers(request.headers.get("origin")))
        return response

    def _read(self, incoming: Request) -> HttpRequest:
        # API Gateway's rawPath is not percent-decoded; routing decodes each segment on its own (an encoded "/"
        # stays inside its segment).
        raw_path, _, raw_query = request_target(incoming.environ).partition("?")
        if not raw_path.startswith("/"):  # absolute-form request target
            raw_path = "/" + urllib.parse.urlsplit(raw_path).path.lstrip("/")
        return HttpRequest(
            method=incoming.method.upper(),
            raw_path=raw_path,
            raw_query=raw_query,
            header_list=[(n, v) for n, v in incoming.headers if n.lower() != "transfer-encoding"],
            body=incoming.get_data(cache=False),
            source_ip=incoming.remote_addr or "",
            server_host=self.host,
            server_port=self.port,
        )

    def _route(self, request: HttpRequest, request_id: str) -> Response:
        matched = self.routes.match(request.method, request.raw_path)
        if matched is None:
            static = self.static.response(request.method, request.raw_path) if self.static is not None else None
            if static is not None:
                return static
            allowed = self.routes.allowed_methods(request.raw_path)
            if allowed:
                # API Gateway itself answers 404 here; HTTP (and API clients) expect 405 with Allow.
                return gateway_message(405, "Method Not Allowed", [("allow", ", ".join(allowed))])
            return gateway_message(404, "Not Found")
        route, path_parameters = matched

        claims: dict[str, Any] | None = None
        if route.auth:
            claims = authorize(request.headers, self.settings_factory())
            if claims is None:
                return gateway_message(401, "Unauthorized", [("www-authenticate", "Bearer")])

        event = http_api_event(
            request,
            route_key=route.route_key,
            path_parameters=path_parameters,
            api_id=self.api_id,
            request_id=request_id,
            epoch_ms=int(self.clock() * 1000),
            claims=claims,
        )
        context = LocalLambdaContext(route.function_name, timeout_s=route.timeout_s)
        try:
            result = route.handler(event, context)
            # What the Lambda runtime does with the result: JSON, or an invocation error.
            result = json.loads(json.dumps(result))
            return response_from_result(result)
        except Exception:
            logger.exception("%s (%s): the handler failed", route.route_key, route.function_name)
            return gateway_message(500, "Internal Server Error")

    def _is_preflight(self, request: HttpRequest) -> bool:
        if request.method != "OPTIONS" or "access-control-request-method" not in request.headers:
            return False
        # An explicit OPTIONS route answers itself; otherwise the gateway does.
        route = self.routes.match("OPTIONS", request.raw_path)
        return route is None or route[0].method.upper() != "OPTIONS"
