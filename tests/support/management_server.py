"""A real HTTP server speaking the management API's `POST @connections/{id}`, for the in-process tests.

moto's management API lives inside botocore; the push adapter talks HTTP itself (urllib3), so the tests give
it a real server on 127.0.0.1: HTTP/1.1 keep-alive, every body recorded byte for byte, 410 (GoneException)
for connections marked gone, any status for connections marked failing, and every request's SigV4 signature
recomputed with botocore's own signer (an implementation independent of the adapter's).
"""

from __future__ import annotations

import dataclasses
import json
import re
import ssl
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

PATH = re.compile(r"^(?:/[^/@]+)?/@connections/([^/?#]+)$")
AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)/(?P<service>[a-z-]+)"
    r"/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})$"
)


@dataclasses.dataclass(frozen=True)
class Recorded:
    connection_id: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    peer: tuple[str, int]
    signature_error: str | None  # None: the SigV4 signature verified


def verify_sigv4(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    secret_keys: dict[str, str],
    region: str,
    service: str = "execute-api",
) -> str | None:
    """None when `headers["authorization"]` is a well-formed SigV4 signature of this request that botocore's
    signer computes too (for the access key's secret in `secret_keys`), else what is wrong."""
    match = AUTHORIZATION.match(headers.get("authorization", ""))
    if match is None:
        return f"malformed Authorization header: {headers.get('authorization')!r}"
    if match["region"] != region or match["service"] != service:
        return f"scope {match['region']}/{match['service']}, expected {region}/{service}"
    secret = secret_keys.get(match["key"])
    if secret is None:
        return f"unknown access key {match['key']}"
    amz_date = headers.get("x-amz-date", "")
    if amz_date[:8] != match["date"]:
        return f"x-amz-date {amz_date!r} is not of the credential's date {match['date']}"
    signed = match["signed"].split(";")
    if "host" not in signed or "x-amz-date" not in signed:
        return f"host and x-amz-date must be signed: {signed}"
    if "x-amz-security-token" in headers and "x-amz-security-token" not in signed:
        return "the security token is sent but not signed"
    missing = [name for name in signed if name not in headers]
    if missing:
        return f"signed headers not sent: {missing}"
    request = AWSRequest(method, url, data=body, headers={name: headers[name] for name in signed})
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(ReadOnlyCredentials(match["key"], secret, headers.get("x-amz-security-token")), service, region)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    return None if expected == match["signature"] else "signature mismatch"


class ManagementServer:
    def __init__(
        self, secret_keys: dict[str, str] | None = None, region: str = "us-east-1", tls: ssl.SSLContext | None = None
    ) -> None:
        self.secret_keys = dict(secret_keys or {})  # access key -> secret key: whose signatures verify
        self.region = region
        self.gone: set[str] = set()
        self.failing: dict[str, int] = {}  # connection id -> status answered
        self.hang_up = False  # True: close every connection on its next request, without an answer
        self.requests: list[Recorded] = []
        self.received: dict[str, list[Any]] = defaultdict(list)  # connection id -> JSON bodies, in order
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._scheme = "http"
        if tls is not None:  # https: each accepted connection does the TLS handshake in its own thread
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True, do_handshake_on_connect=False)
            self._scheme = "https"
        self._thread = threading.Thread(target=self._server.serve_forever, name="management-api", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{self._scheme}://{host}:{port}"

    def start(self) -> ManagementServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self, trusted: dict[str, str] | None = None) -> None:
        """Forget what was received and marked; `trusted` replaces the credentials whose signatures verify."""
        with self._lock:
            if trusted is not None:
                self.secret_keys = dict(trusted)
            self.gone.clear()
            self.failing.clear()
            self.hang_up = False
            self.requests.clear()
            self.received.clear()

    def bodies(self, connection_id: str) -> list[bytes]:
        with self._lock:
            return [r.body for r in self.requests if r.connection_id == connection_id]

    def signature_errors(self) -> list[str]:
        with self._lock:
            return [f"{r.path}: {r.signature_error}" for r in self.requests if r.signature_error]

    def _record(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, str | None]:
        path = urlsplit(handler.path).path
        match = PATH.match(path)
        if match is None or handler.command != "POST":
            return 404, None
        connection_id = unquote(match.group(1))
        headers = {name.lower(): value for name, value in handler.headers.items()}
        error = verify_sigv4(
            handler.command,
            f"{self._scheme}://{headers.get('host', '')}{path}",
            headers,
            body,
            self.secret_keys,
            self.region,
        )
        recorded = Recorded(connection_id, path, headers, body, handler.client_address[:2], error)
        with self._lock:
            self.requests.append(recorded)
            if error is not None:
                return 403, "InvalidSignatureException"
            if connection_id in self.gone:
                return 410, "GoneException"
            if connection_id in self.failing:
                return self.failing[connection_id], "InternalServerErrorException"
            try:
                self.received[connection_id].append(json.loads(body))
            except ValueError:
                self.received[connection_id].append(body)
        return 200, None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as API Gateway's endpoint

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if server.hang_up:
                    self.close_connection = True
                    return
                status, error_type = server._record(self, body)
                payload = json.dumps({"message": error_type}).encode() if error_type else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                if error_type:
                    self.send_header("x-amzn-ErrorType", error_type)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
