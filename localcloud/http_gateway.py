"""A local stand-in for API Gateway's HTTP API: payload format 2.0, JWT authorizer, CORS.

:class:`HttpGateway` serves routes (from ``template.yaml``: :func:`routes_from_template`) on a local port
and invokes the real Lambda handlers in-process, with events of exactly the shape API Gateway sends
(``events/http_*.json``) and the same gateway answers:

- routing: ``METHOD /path/{param}`` (and ``{proxy+}``, ``ANY``, ``$default``); the most specific route wins
  (literal segments beat parameters, parameters beat greedy ones); no route for the path: 404
  ``{"message":"Not Found"}``; a route for the path but not the method: 405 with ``Allow`` (API Gateway
  says 404 there; HTTP clients and API fuzzers expect 405).
- JWT authorizer (routes with ``auth=True``): ``Authorization: Bearer <jwt>`` is verified with
  :func:`cofounder.auth.verify_token`; missing or invalid: 401 ``{"message":"Unauthorized"}`` and the handler
  does not run; valid: the claims, every value a string, at ``requestContext.authorizer.jwt.claims``.
- responses: ``statusCode``/``headers``/``multiValueHeaders``/``cookies``/``body``/``isBase64Encoded``;
  a result without ``statusCode`` is a 200 JSON body (the v2 inference); a handler exception is a 500
  ``{"message":"Internal Server Error"}`` (the traceback is logged). Every response has ``apigw-requestid``.
- CORS (:func:`cors_from_template`): preflights answered by the gateway, ``Access-Control-Allow-Origin``
  added to the responses for allowed origins.

Local extras: ``extra_routes`` (exact ``(method, path)``, checked first: ``POST /_local/clock/advance``) and
``static_dir`` (GET/HEAD of a path outside ``/api/`` serves its files, ``index.html`` for directories).
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import fnmatch
import json
import logging
import mimetypes
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from cofounder.auth import verify_token
from cofounder.config import Settings
from localcloud.handlers import ROOT, LazyHandler
from localcloud.http_server import BackgroundServer, TrackingHTTPServer
from localcloud.lambda_context import LocalLambdaContext

__all__ = [
    "CorsConfig",
    "HttpGateway",
    "Request",
    "Route",
    "build_event",
    "claim_strings",
    "cors_from_template",
    "routes_from_template",
]

logger = logging.getLogger("localcloud.http_gateway")

ACCOUNT_ID = "123456789012"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TEXT_TYPES = (
    "application/json",
    "application/javascript",
    "application/xml",
    "application/x-www-form-urlencoded",
    "application/graphql",
    "application/x-ndjson",
    "application/x-yaml",
    "application/yaml",
)
# Headers the gateway computes itself: a handler's values for them are dropped.
_HOP_BY_HOP = {"content-length", "transfer-encoding", "connection", "keep-alive", "date", "server"}

Handler = Callable[[dict[str, Any], Any], Any]
ExtraHandler = Callable[["Request"], tuple[int, Mapping[str, str], bytes]]


# ---------------------------------------------------------------------------------------------------------
# Configuration: routes and CORS
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One route: ``method`` (``GET``, ..., ``ANY``), ``path`` (``/api/jobs/{job_id}/status`` or ``$default``)."""

    method: str
    path: str
    handler: Handler
    function_name: str
    auth: bool
    timeout_s: int = 30

    @property
    def route_key(self) -> str:
        return self.path if self.path == "$default" else f"{self.method.upper()} {self.path}"


@dataclass(frozen=True)
class CorsConfig:
    """An HTTP API's ``CorsConfiguration``."""

    allow_origins: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False

    def origin_allowed(self, origin: str | None) -> bool:
        if not origin:
            return False
        origin = origin.lower()
        for allowed in self.allow_origins:
            allowed = allowed.lower()
            if allowed == "*" or allowed == origin or ("*" in allowed and fnmatch.fnmatchcase(origin, allowed)):
                return True
        return False

    def allow_origin_value(self, origin: str) -> str:
        return "*" if "*" in self.allow_origins and not self.allow_credentials else origin

    def response_headers(self, origin: str | None) -> list[tuple[str, str]]:
        """Headers added to a normal (non-preflight) response."""
        if not origin or not self.origin_allowed(origin):
            return []
        headers = [("access-control-allow-origin", self.allow_origin_value(origin))]
        if self.allow_credentials:
            headers.append(("access-control-allow-credentials", "true"))
        if self.expose_headers:
            headers.append(("access-control-expose-headers", ",".join(self.expose_headers)))
        if "*" not in self.allow_origins or self.allow_credentials:
            headers.append(("vary", "Origin"))
        return headers

    def preflight_headers(self, origin: str | None, request_method: str, request_headers: str) -> list[tuple[str, str]]:
        """Headers of the 204 a preflight gets (none when the origin is not allowed)."""
        if not origin or not self.origin_allowed(origin):
            return []
        headers = self.response_headers(origin)
        methods = ",".join(self.allow_methods)
        if "*" in self.allow_methods:
            methods = request_method or "*"
        if methods:
            headers.append(("access-control-allow-methods", methods))
        allow_headers = ",".join(self.allow_headers)
        if "*" in self.allow_headers:
            allow_headers = request_headers or "*"
        if allow_headers:
            headers.append(("access-control-allow-headers", allow_headers))
        if self.max_age is not None:
            headers.append(("access-control-max-age", str(self.max_age)))
        return headers


def _http_api_logical_id(template: Mapping[str, Any], api: str | None) -> str | None:
    resources = template.get("Resources") or {}
    if api is not None:
        return api if api in resources else None
    if (resources.get("HttpApi") or {}).get("Type") == "AWS::Serverless::HttpApi":
        return "HttpApi"
    return next((lid for lid, r in resources.items() if r.get("Type") == "AWS::Serverless::HttpApi"), None)


def cors_from_template(
    template: Mapping[str, Any],
    api: str | None = None,
    parameter_overrides: Mapping[str, Any] | None = None,
) -> CorsConfig | None:
    """The ``CorsConfiguration`` of the template's HTTP API (``HttpApi``, else the first
    ``AWS::Serverless::HttpApi``; ``Globals.HttpApi`` merged), intrinsics resolved with the parameters'
    defaults (or ``parameter_overrides``); None when the API configures no CORS."""
    from localcloud.template import Resources, evaluate_conditions, parameters, resolve

    logical_id = _http_api_logical_id(template, api)
    if logical_id is None:
        return None
    global_cors = (((template.get("Globals") or {}).get("HttpApi")) or {}).get("CorsConfiguration")
    props = template["Resources"][logical_id].get("Properties") or {}
    raw = props.get("CorsConfiguration", global_cors)
    if raw is None or raw is False:
        return None
    params = parameters(template, parameter_overrides)
    resources = Resources()
    value = resolve(
        raw,
        resources,
        params,
        conditions=evaluate_conditions(template, params, resources),
        mappings=template.get("Mappings") or {},
    )
    if value is True or str(value).lower() == "true":
        return CorsConfig(allow_origins=("*",), allow_headers=("*",), allow_methods=("*",))
    if isinstance(value, str):  # SAM's shorthand: a quoted origin, "'https://example.com'"
        return CorsConfig(allow_origins=(value.strip("'"),), allow_headers=("*",), allow_methods=("*",))
    if not isinstance(value, Mapping):
        return None

    def strings(key: str) -> tuple[str, ...]:
        items = value.get(key) or []
        if isinstance(items, str):
            items = [items]
        return tuple(str(i) for i in items)

    max_age = value.get("MaxAge")
    return CorsConfig(
        allow_origins=strings("AllowOrigins"),
        allow_headers=tuple(h.lower() for h in strings("AllowHeaders")),
        allow_methods=tuple(m.upper() for m in strings("AllowMethods")),
        expose_headers=tuple(h.lower() for h in strings("ExposeHeaders")),
        max_age=None if max_age is None else int(max_age),
        allow_credentials=str(value.get("AllowCredentials", False)).lower() == "true",
    )


def routes_from_template(
    template: Mapping[str, Any],
    root: str | Path = ROOT,
    *,
    api: str | None = None,
    function_names: Mapping[str, str] | None = None,
) -> list[Route]:
    """The template's ``HttpApi`` routes with their handlers loaded from ``root`` / CodeUri.

    ``function_names`` maps a function's logical id to the name its Lambda context reports (the physical name,
    e.g. from :func:`localcloud.template.plan`); the logical id by default.
    """
    from localcloud.template import functions, http_routes

    specs = functions(template)
    names = dict(function_names or {})
    routes = []
    for r in http_routes(template, api):
        spec = specs[r.function]
        handler = LazyHandler(Path(root) / spec.code_uri, spec.handler)
        routes.append(
            Route(
                method=r.method,
                path=r.path,
                handler=handler,
                function_name=names.get(r.function, r.function),
                auth=not r.auth_none,
                timeout_s=spec.timeout,
            )
        )
    return routes


# ---------------------------------------------------------------------------------------------------------
# Routing
# ---------------------------------------------------------------------------------------------------------

_LITERAL, _PARAM, _GREEDY = 0, 1, 2


@dataclass(frozen=True)
class _CompiledRoute:
    route: Route
    method: str
    segments: tuple[str, ...]
    kinds: tuple[int, ...]

    @classmethod
    def of(cls, route: Route) -> _CompiledRoute:
        if route.path == "$default":
            return cls(route, "ANY", (), ())
        segments = tuple(route.path.split("/")[1:])
        kinds = []
        for i, seg in enumerate(segments):
            if seg.startswith("{") and seg.endswith("+}"):
                if i != len(segments) - 1:
                    raise ValueError(f"{route.route_key}: a greedy parameter must be the last segment")
                kinds.append(_GREEDY)
            elif seg.startswith("{") and seg.endswith("}"):
                kinds.append(_PARAM)
            else:
                kinds.append(_LITERAL)
        return cls(route, route.method.upper(), segments, tuple(kinds))

    @property
    def is_default(self) -> bool:
        return self.route.path == "$default"

    def match(self, method: str, parts: list[str]) -> dict[str, str] | None:
        """Path parameters (decoded) if the route answers ``method parts``."""
        if self.method not in ("ANY", method):
            return None
        if self.is_default:
            return {}
        greedy = bool(self.kinds) and self.kinds[-1] == _GREEDY
        if len(parts) < len(self.segments) or (len(parts) > len(self.segments) and not greedy):
            return None
        params: dict[str, str] = {}
        for i, (seg, kind) in enumerate(zip(self.segments, self.kinds, strict=True)):
            if kind == _LITERAL:
                if urllib.parse.unquote(parts[i]) != seg:
                    return None
            elif kind == _PARAM:
                if not parts[i]:
                    return None
                params[seg[1:-1]] = urllib.parse.unquote(parts[i])
            else:
                rest = "/".join(parts[i:])
                if not rest:
                    return None
                params[seg[1:-2]] = urllib.parse.unquote(rest)
        return params

    def specificity(self) -> tuple[int, tuple[int, ...], int]:
        # Smaller sorts first: a real route before $default, literal before param before greedy, then a
        # specific method before ANY.
        return (1 if self.is_default else 0, self.kinds, 1 if self.method == "ANY" else 0)


def _allowed_methods(routes: list[_CompiledRoute], raw_path: str) -> list[str]:
    """The methods some route answers on this path (for a 405's Allow header)."""
    parts = raw_path.split("/")[1:]
    return sorted({c.method for c in routes if not c.is_default and c.match(c.method, parts) is not None})


def _match(routes: list[_CompiledRoute], method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
    parts = raw_path.split("/")[1:]
    best: tuple[_CompiledRoute, dict[str, str]] | None = None
    for compiled in routes:
        params = compiled.match(method, parts)
        if params is not None and (best is None or compiled.specificity() < best[0].specificity()):
            best = (compiled, params)
    return None if best is None else (best[0].route, best[1])


# ---------------------------------------------------------------------------------------------------------
# Requests and events
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Request:
    """An HTTP request as the gateway read it (what ``extra_routes`` handlers get)."""

    method: str
    raw_path: str
    raw_query: str
    header_list: list[tuple[str, str]]
    body: bytes
    source_ip: str
    server_host: str = "127.0.0.1"
    server_port: int = 3000
    headers: dict[str, str] = field(init=False)
    """Lower-cased names; repeated headers joined with ``,`` (``cookie`` included)."""

    def __post_init__(self) -> None:
        self.headers = _joined_headers(self.header_list)

    @property
    def path(self) -> str:
        return self.raw_path

    @property
    def query(self) -> dict[str, str]:
        """Query parameters, decoded; repeated keys joined with ``,``."""
        return _query_parameters(self.raw_query)

    def json(self) -> Any:
        return json.loads(self.body or b"null")


def _joined_headers(header_list: list[tuple[str, str]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in header_list:
        name = name.lower()
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


def _query_parameters(raw_query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in urllib.parse.parse_qsl(raw_query, keep_blank_values=True):
        params[key] = f"{params[key]},{value}" if key in params else value
    return params


def _is_text(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in _TEXT_TYPES or media.endswith(("+json", "+xml"))


def _request_time(epoch_s: float) -> str:
    t = time.gmtime(epoch_s)
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def _request_id() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(11)).decode()  # "cBx2Hj4IAMEb_Qw=" style


def _trace_id(epoch_s: float) -> str:
    return f"Root=1-{int(epoch_s):08x}-{secrets.token_hex(12)}"


def claim_strings(claims: Mapping[str, Any]) -> dict[str, str]:
    """JWT claims the way API Gateway's JWT authorizer passes them on: every value a string."""

    def text(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list | tuple):
            return "[" + " ".join(text(v) for v in value) + "]"
        if isinstance(value, dict):
            return json.dumps(value, separators=(",", ":"))
        return str(value)

    return {str(k): text(v) for k, v in claims.items()}


def build_event(
    request: Request,
    route: Route,
    path_parameters: Mapping[str, str],
    *,
    api_id: str,
    request_id: str,
    epoch_s: float,
    claims: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The payload format 2.0 event API Gateway would send for ``request`` on ``route``."""
    header_list = [(n.lower(), v) for n, v in request.header_list]
    cookies: list[str] = []
    for name, value in header_list:
        if name == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
    headers = _joined_headers([(n, v) for n, v in header_list if n != "cookie"])
    # What API Gateway adds on the way in.
    forwarded = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded}, {request.source_ip}" if forwarded else request.source_ip
    headers.setdefault("x-forwarded-port", str(request.server_port))
    headers.setdefault("x-forwarded-proto", "http")
    headers.setdefault("x-amzn-trace-id", _trace_id(epoch_s))

    domain_name = headers.get("host") or f"{request.server_host}:{request.server_port}"
    request_context: dict[str, Any] = {"accountId": ACCOUNT_ID, "apiId": api_id}
    if route.auth:
        request_context["authorizer"] = {"jwt": {"claims": claim_strings(claims or {}), "scopes": None}}
    request_context.update(
        {
            "domainName": domain_name,
            "domainPrefix": domain_name.split(":", 1)[0].split(".", 1)[0],
            "http": {
                "method": request.method,
                "path": request.raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route.route_key,
            "stage": "$default",
            "time": _request_time(epoch_s),
            "timeEpoch": int(epoch_s * 1000),
        }
    )
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    query = _query_parameters(request.raw_query)
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = request_context
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    is_base64 = False
    if request.body:
        text: str | None = None
        if _is_text(headers.get("content-type", "")):
            with contextlib.suppress(UnicodeDecodeError):
                text = request.body.decode("utf-8")
        if text is None:
            event["body"] = base64.b64encode(request.body).decode("ascii")
            is_base64 = True
        else:
            event["body"] = text
    event["isBase64Encoded"] = is_base64
    return event


# ---------------------------------------------------------------------------------------------------------
# Responses
# ---------------------------------------------------------------------------------------------------------


@dataclass
class _Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _json_response(status: int, payload: Any, extra: list[tuple[str, str]] | None = None) -> _Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return _Response(status, [("content-type", "application/json"), *(extra or [])], body)


def _gateway_message(status: int, message: str, extra: list[tuple[str, str]] | None = None) -> _Response:
    return _json_response(status, {"message": message}, extra)


def _response_from_result(result: Any) -> _Response:
    """Map a handler's result to an HTTP response, as API Gateway does for payload format 2.0."""
    if not (isinstance(result, Mapping) and "statusCode" in result):
        body = result if isinstance(result, str) else json.dumps(result)
        return _Response(200, [("content-type", "application/json")], body.encode())
    status = int(result["statusCode"])
    if not 100 <= status <= 599:
        raise ValueError(f"invalid statusCode {status}")
    headers: list[tuple[str, str]] = []
    single = {str(k).lower(): v for k, v in (result.get("headers") or {}).items()}
    multi = {str(k).lower(): v for k, v in (result.get("multiValueHeaders") or {}).items()}
    for name, value in single.items():
        if name not in multi:
            headers.append((name, _header_value(value)))
    for name, values in multi.items():
        for value in values if isinstance(values, list | tuple) else [values]:
            headers.append((name, _header_value(value)))
    for cookie in result.get("cookies") or []:
        headers.append(("set-cookie", str(cookie)))
    headers = [(n, v) for n, v in headers if n not in _HOP_BY_HOP]
    raw_body = result.get("body")
    if raw_body is None:
        body = b""
    elif result.get("isBase64Encoded"):
        body = base64.b64decode(raw_body)
    elif isinstance(raw_body, str):
        body = raw_body.encode()
    else:
        body = json.dumps(raw_body).encode()
    return _Response(status, headers, body)


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------------------


class _Server(TrackingHTTPServer):
    def __init__(self, address: tuple[str, int], gateway: HttpGateway) -> None:
        self.gateway = gateway
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "localcloud-apigw"
    sys_version = ""
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def _dispatch(self) -> None:
        try:
            request = self._read_request()
        except (ValueError, OSError):
            self.close_connection = True
            self._send(_gateway_message(400, "Bad Request"), request_id=_request_id(), head=False)
            return
        request_id = _request_id()
        try:
            response = self.server.gateway._handle(request, request_id)
        except Exception:
            logger.exception("%s %s: gateway error", request.method, request.raw_path)
            response = _gateway_message(500, "Internal Server Error")
        self._send(response, request_id=request_id, head=request.method == "HEAD")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _dispatch

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, CONNECT, custom verbs) is routed too, instead of the stdlib's 501.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def _read_request(self) -> Request:
        raw_path, _, raw_query = self.path.partition("?")
        if not raw_path.startswith("/"):  # absolute-form request target
            raw_path = "/" + urllib.parse.urlsplit(raw_path).path.lstrip("/")
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            body = self._read_chunked()
        else:
            length = int(self.headers.get("content-length") or 0)
            if length < 0:
                raise ValueError("negative content-length")
            body = self.rfile.read(length) if length else b""
        host, port = self.server.server_address[:2]
        return Request(
            method=self.command.upper(),
            raw_path=raw_path,
            raw_query=raw_query,
            header_list=[(n, v) for n, v in self.headers.items() if n.lower() != "transfer-encoding"],
            body=body,
            source_ip=self.client_address[0],
            server_host=str(host),
            server_port=int(port),
        )

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(self, response: _Response, *, request_id: str, head: bool) -> None:
        try:
            phrase = HTTPStatus(response.status).phrase
        except ValueError:
            phrase = ""
        body = b"" if response.status in (204, 304) or response.status < 200 else response.body
        self.send_response(response.status, phrase)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.status != 204 and response.status >= 200:
            self.send_header("content-length", str(len(body)))
        self.send_header("apigw-requestid", request_id)
        self.end_headers()
        if not head and body:
            self.wfile.write(body)


class HttpGateway(BackgroundServer):
    """API Gateway's HTTP API on a local port, invoking handlers in-process (one server thread a request)."""

    thread_name = "http-gateway"
    poll_interval = 0.05

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
        self.routes = list(routes)
        self._compiled = [_CompiledRoute.of(r) for r in self.routes]
        self.settings_factory = settings_factory
        self.host = host
        self._requested_port = port
        self.cors = cors
        self.extra_routes = {(m.upper(), p): h for (m, p), h in (extra_routes or {}).items()}
        self.static_dir = Path(static_dir).resolve() if static_dir is not None else None
        self.api_id = api_id
        self.clock = clock
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

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

    # -- lifecycle -----------------------------------------------------------------------------------------

    def _make_server(self) -> _Server:
        return _Server((self.host, self._requested_port), self)

    @property
    def port(self) -> int:
        if self._server is None:
            return self._requested_port
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- requests ------------------------------------------------------------------------------------------

    def _handle(self, request: Request, request_id: str) -> _Response:
        extra = self.extra_routes.get((request.method, request.raw_path))
        if self.cors is not None and extra is None and self._is_preflight(request):
            cors_headers = self.cors.preflight_headers(
                request.headers.get("origin"),
                request.headers.get("access-control-request-method", ""),
                request.headers.get("access-control-request-headers", ""),
            )
            return _Response(204, cors_headers, b"")
        if extra is not None:
            status, headers, body = extra(request)
            response = _Response(status, [(k.lower(), str(v)) for k, v in headers.items()], body)
        else:
            response = self._route(request, request_id)
        if self.cors is not None:
            # With CORS configured, API Gateway ignores the backend's CORS headers and sends its own.
            response.headers = [(n, v) for n, v in response.headers if not n.startswith("access-control-")]
            response.headers.extend(self.cors.response_headers(request.headers.get("origin")))
        return response

    def _route(self, request: Request, request_id: str) -> _Response:
        matched = _match(self._compiled, request.method, request.raw_path)
        if matched is None:
            static = self._static(request)
            if static is not None:
                return static
            allowed = _allowed_methods(self._compiled, request.raw_path)
            if allowed:
                # API Gateway itself answers 404 here; HTTP (and API clients) expect 405 with Allow.
                return _gateway_message(405, "Method Not Allowed", [("allow", ", ".join(allowed))])
            return _gateway_message(404, "Not Found")
        route, path_parameters = matched

        claims: dict[str, Any] | None = None
        if route.auth:
            claims = self._authorize(request)
            if claims is None:
                return _gateway_message(401, "Unauthorized", [("www-authenticate", "Bearer")])

        epoch_s = self.clock()
        event = build_event(
            request,
            route,
            path_parameters,
            api_id=self.api_id,
            request_id=request_id,
            epoch_s=epoch_s,
            claims=claims,
        )
        context = LocalLambdaContext(route.function_name, timeout_s=route.timeout_s)
        try:
            result = route.handler(event, context)
            # What the Lambda runtime does with the result: JSON, or an invocation error.
            result = json.loads(json.dumps(result))
            return _response_from_result(result)
        except Exception:
            logger.exception("%s (%s): the handler failed", route.route_key, route.function_name)
            return _gateway_message(500, "Internal Server Error")

    def _is_preflight(self, request: Request) -> bool:
        if request.method != "OPTIONS" or "access-control-request-method" not in request.headers:
            return False
        # An explicit OPTIONS route answers itself; otherwise the gateway does.
        route = _match(self._compiled, "OPTIONS", request.raw_path)
        return route is None or route[0].method.upper() != "OPTIONS"

    def _authorize(self, request: Request) -> dict[str, Any] | None:
        header = request.headers.get("authorization", "").strip()
        scheme, _, rest = header.partition(" ")
        token = rest.strip() if scheme.lower() == "bearer" else header
        if not token:
            return None
        try:
            return verify_token(token, self.settings_factory())
        except Exception as exc:  # InvalidToken, or a JWKS that cannot be fetched: the gateway says 401
            logger.info("JWT rejected: %s", exc)
            return None

    def _static(self, request: Request) -> _Response | None:
        if self.static_dir is None or request.method not in ("GET", "HEAD"):
            return None
        if request.raw_path == "/api" or request.raw_path.startswith("/api/"):
            return None
        relative = urllib.parse.unquote(request.raw_path).lstrip("/")
        if "\x00" in relative or "\\" in relative or any(part == ".." for part in relative.split("/")):
            return None
        target = (self.static_dir / relative).resolve()
        if not target.is_relative_to(self.static_dir):
            return None
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            return None
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
            content_type += "; charset=utf-8"
        body = target.read_bytes()
        stamp = email.utils.formatdate(target.stat().st_mtime, usegmt=True)
        return _Response(
            200, [("content-type", content_type), ("cache-control", "no-cache"), ("last-modified", stamp)], body
        )
