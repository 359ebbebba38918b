"""The local HTTP API gateway: routing, payload v2 events, JWT authorizer, responses, CORS, extras, the Host check
(real sockets)."""

from __future__ import annotations

import base64
import dataclasses
import http.client
import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cofounder.auth import issue_token
from cofounder.config import Settings
from localcloud.gateways.cors import CorsConfig, cors_from_template
from localcloud.gateways.http_api import HttpGateway
from localcloud.gateways.http_routes import Route, routes_from_template
from localcloud.lambda_events import HttpRequest
from localcloud.template import load_template

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-secret-for-the-gateway-of-32-bytes"
ORIGIN = "http://localhost:3000"

SETTINGS = dataclasses.replace(Settings.from_env({}), jwt_secret=SECRET)


class Recorder:
    """Fake Lambda handlers: record the events they get, answer what a test asks."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[tuple[str, dict[str, Any], Any]] = []
        self.response: Any = None
        self.extra_requests: list[HttpRequest] = []

    def handler(self, name: str):
        def handle(event: dict[str, Any], context: Any) -> Any:
            with self.lock:
                self.calls.append((name, event, context))
            if name == "boom":
                raise RuntimeError("the handler blew up")
            if name == "respond":
                return self.response
            return {
                "statusCode": 200,
                "headers": {"content-type": "application/json"},
                "body": json.dumps({"ok": name}),
            }

        return handle

    @property
    def events(self) -> list[dict[str, Any]]:
        return [event for _, event, _ in self.calls]

    def advance(self, request: HttpRequest) -> tuple[int, dict[str, str], bytes]:
        self.extra_requests.append(request)
        return 200, {"Content-Type": "application/json"}, json.dumps({"advanced": request.json()["seconds"]}).encode()

    def reset(self) -> None:
        self.calls.clear()
        self.extra_requests.clear()
        self.response = None


RECORDER = Recorder()


def _route(method: str, path: str, name: str, auth: bool) -> Route:
    return Route(method=method, path=path, handler=RECORDER.handler(name), function_name=f"fn-{name}", auth=auth)


ROUTES = [
    _route("POST", "/api/jobs", "create", True),
    _route("GET", "/api/jobs/{job_id}/status", "status", True),
    _route("GET", "/api/jobs/special/status", "special", False),
    _route("GET", "/api/jobs/{job_id}/events", "events", True),
    _route("GET", "/api/openapi.json", "openapi", False),
    _route("GET", "/api/files/{proxy+}", "files", False),
    _route("ANY", "/api/echo", "echo", False),
    _route("GET", "/api/respond", "respond", False),
    _route("GET", "/api/boom", "boom", False),
]


@pytest.fixture(scope="module")
def static_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("site")
    (base / "secret.txt").write_text("top secret")
    site = base / "static"
    (site / "assets").mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html><title>Cofounder</title>")
    (site / "assets" / "app.js").write_text("console.log('hi')")
    (site / "assets" / "style.css").write_text("body{}")
    (site / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (site / "api").mkdir()
    (site / "api" / "x.json").write_text("{}")
    return site


@pytest.fixture(scope="module")
def gateway(static_dir: Path) -> Iterator[HttpGateway]:
    cors = CorsConfig(
        allow_origins=(ORIGIN,),
        allow_headers=("authorization", "content-type"),
        allow_methods=("GET", "POST", "OPTIONS"),
        max_age=600,
    )
    gw = HttpGateway(
        ROUTES,
        settings_factory=lambda: SETTINGS,
        port=0,
        cors=cors,
        extra_routes={("POST", "/_local/clock/advance"): RECORDER.advance},
        static_dir=static_dir,
        api_id="testapi",
    )
    with gw:
        yield gw


@pytest.fixture(scope="module")
def client(gateway: HttpGateway) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=10) as c:
        yield c


@pytest.fixture(autouse=True)
def _reset_recorder() -> Iterator[None]:
    RECORDER.reset()
    yield
    RECORDER.reset()


def _token(sub: str = "founder-1", **kwargs: Any) -> str:
    return issue_token(sub, SETTINGS, **kwargs)


def _auth(sub: str = "founder-1") -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(sub)}"}


def _raw_get(gateway: HttpGateway, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection(gateway.host, gateway.port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------------------
# Routing
# ---------------------------------------------------------------------------------------------------------


def test_routes_with_path_parameters_url_decoded(client: httpx.Client) -> None:
    r = client.get("/api/jobs/job%20one%2Fx/status", headers=_auth())
    assert r.status_code == 200
    (name, event, context) = RECORDER.calls[0]
    assert name == "status"
    assert event["routeKey"] == "GET /api/jobs/{job_id}/status"
    assert event["requestContext"]["routeKey"] == "GET /api/jobs/{job_id}/status"
    assert event["rawPath"] == "/api/jobs/job%20one%2Fx/status"
    assert event["pathParameters"] == {"job_id": "job one/x"}
    assert context.function_name == "fn-status"
    assert context.get_remaining_time_in_millis() > 0


def test_literal_segments_beat_parameters(client: httpx.Client) -> None:
    r = client.get("/api/jobs/special/status")  # the literal route needs no token
    assert r.status_code == 200
    assert r.json() == {"ok": "special"}
    assert RECORDER.events[0]["routeKey"] == "GET /api/jobs/special/status"
    assert "pathParameters" not in RECORDER.events[0]


def test_greedy_and_any_routes(client: httpx.Client) -> None:
    assert client.get("/api/files/a/b/c.txt").status_code == 200
    assert RECORDER.events[-1]["pathParameters"] == {"proxy": "a/b/c.txt"}
    assert client.get("/api/files/").status_code == 404
    assert client.delete("/api/echo").status_code == 200
    assert RECORDER.events[-1]["routeKey"] == "ANY /api/echo"
    assert RECORDER.events[-1]["requestContext"]["http"]["method"] == "DELETE"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/nope"),
        ("GET", "/nothing/here.txt"),
        ("GET", "/api/jobs/j1/status/"),
        ("GET", "/api/jobs//status"),
        ("PUT", "/_local/clock/advance"),
    ],
)
def test_unknown_routes_answer_404(client: httpx.Client, method: str, path: str) -> None:
    r = client.request(method, path, headers=_auth())
    assert r.status_code == 404
    assert r.json() == {"message": "Not Found"}
    assert r.headers["content-type"] == "application/json"
    assert r.headers["apigw-requestid"]
    assert RECORDER.calls == []


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/api/jobs/j1/status", "GET"),
        ("POST", "/api/openapi.json", "GET"),
        ("TRACE", "/api/jobs", "POST"),
        ("PATCH", "/api/jobs", "POST"),
    ],
)
def test_a_known_path_with_another_method_is_405_with_allow(client: httpx.Client, method, path, allow) -> None:
    # API Gateway answers 404 here; the local cloud follows HTTP so that API clients and fuzzers see 405.
    r = client.request(method, path, headers=_auth())
    assert r.status_code == 405
    assert r.headers["allow"] == allow
    assert r.json() == {"message": "Method Not Allowed"}
    assert RECORDER.calls == []


# ---------------------------------------------------------------------------------------------------------
# The event
# ---------------------------------------------------------------------------------------------------------


def test_query_string_headers_and_cookies(client: httpx.Client, gateway: HttpGateway) -> None:
    headers = [
        ("X-Custom-Header", "Value"),
        ("X-Rep", "1"),
        ("X-Rep", "2"),
        ("Cookie", "a=1; b=two"),
        ("User-Agent", "gateway-test/1.0"),
    ]
    r = client.get("/api/openapi.json?a=1&a=2&b=x%20y&c", headers=headers)
    assert r.status_code == 200
    event = RECORDER.events[0]
    assert event["rawQueryString"] == "a=1&a=2&b=x%20y&c"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y", "c": ""}
    assert event["headers"]["x-custom-header"] == "Value"
    assert event["headers"]["x-rep"] == "1,2"
    assert all(name == name.lower() for name in event["headers"])
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["a=1", "b=two"]
    assert event["headers"]["host"] == f"127.0.0.1:{gateway.port}"
    ctx = event["requestContext"]
    assert ctx["http"] == {
        "method": "GET",
        "path": "/api/openapi.json",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "gateway-test/1.0",
    }
    assert ctx["domainName"] == f"127.0.0.1:{gateway.port}"
    assert ctx["apiId"] == "testapi"
    assert ctx["accountId"] == "123456789012"
    assert ctx["stage"] == "$default"
    assert abs(ctx["timeEpoch"] / 1000 - time.time()) < 60
    assert time.strptime(ctx["time"], "%d/%b/%Y:%H:%M:%S +0000")
    assert ctx["requestId"] == r.headers["apigw-requestid"]
    assert "authorizer" not in ctx  # an open route


def test_optional_keys_are_omitted(client: httpx.Client) -> None:
    client.get("/api/openapi.json")
    event = RECORDER.events[0]
    for key in ("cookies", "queryStringParameters", "pathParameters", "body"):
        assert key not in event
    assert event["isBase64Encoded"] is False
    assert event["rawQueryString"] == ""


def _key_sets(event: dict[str, Any]) -> tuple[set[str], set[str], set[str]]:
    return set(event), set(event["requestContext"]), set(event["requestContext"]["http"])


def test_event_has_the_shape_of_the_sample_events(client: httpx.Client) -> None:
    client.get("/api/jobs/4b0e7a52/status", headers=_auth())
    client.get("/api/openapi.json")
    client.post("/api/jobs", headers=_auth(), json={"goal": "x"})
    status, openapi, create = RECORDER.events
    for event, sample_file in (
        (status, "http_job_status.json"),
        (openapi, "http_openapi.json"),
        (create, "http_create_job.json"),
    ):
        sample = json.loads((ROOT / "events" / sample_file).read_text())
        assert _key_sets(event) == _key_sets(sample), sample_file
        assert set(event["headers"]) >= {"host", "x-forwarded-for", "x-forwarded-port", "x-forwarded-proto"}
        assert event["headers"]["x-amzn-trace-id"].startswith("Root=1-")
    assert set(status["requestContext"]["authorizer"]["jwt"]) == {"claims", "scopes"}
    assert status["requestContext"]["authorizer"]["jwt"]["scopes"] is None


def test_json_body_is_text(client: httpx.Client) -> None:
    r = client.post("/api/jobs", headers=_auth(), json={"goal": "Validate demand ✓", "daily_budget_usd": 5})
    assert r.status_code == 200
    event = RECORDER.events[0]
    assert event["isBase64Encoded"] is False
    assert json.loads(event["body"]) == {"goal": "Validate demand ✓", "daily_budget_usd": 5}
    assert event["headers"]["content-type"] == "application/json"
    assert event["headers"]["content-length"] == str(len(event["body"].encode()))


def test_form_body_is_text(client: httpx.Client) -> None:
    # what `curl -d '{...}'` sends: the HTTP API handler reads a JSON-looking form body as JSON
    body = b'{"goal": "x"}'
    client.post("/api/jobs", headers={**_auth(), "content-type": "application/x-www-form-urlencoded"}, content=body)
    event = RECORDER.events[0]
    assert event["isBase64Encoded"] is False
    assert event["body"] == body.decode()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/octet-stream", b"\x00\x01\xfe\xff binary"),
        ("application/json", b"\xff\xfe not utf-8"),
        ("image/png", b"\x89PNG\r\n\x1a\n"),
    ],
)
def test_binary_body_is_base64(client: httpx.Client, content_type: str, body: bytes) -> None:
    client.post("/api/jobs", headers={**_auth(), "content-type": content_type}, content=body)
    event = RECORDER.events[0]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def test_chunked_request_body(client: httpx.Client) -> None:
    r = client.post(
        "/api/jobs",
        headers={**_auth(), "content-type": "application/json"},
        content=iter([b'{"goal": ', b'"chunked"}']),
    )
    assert r.status_code == 200
    assert json.loads(RECORDER.events[0]["body"]) == {"goal": "chunked"}
    assert "transfer-encoding" not in RECORDER.events[0]["headers"]


# ---------------------------------------------------------------------------------------------------------
# JWT authorizer
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer garbage",
        "Bearer not.a.jwt",
        "expired",
        "wrong-secret",
        "no-sub",
        "Basic dXNlcjpwYXNz",
    ],
)
def test_invalid_tokens_are_401_and_the_handler_does_not_run(client: httpx.Client, authorization: str | None) -> None:
    import jwt

    if authorization == "expired":
        authorization = "Bearer " + _token(ttl_s=60, now=time.time() - 3600)
    elif authorization == "wrong-secret":
        other = dataclasses.replace(SETTINGS, jwt_secret="another-secret-that-is-32-bytes-long!")
        authorization = "Bearer " + issue_token("founder-1", other)
    elif authorization == "no-sub":
        authorization = "Bearer " + jwt.encode({"exp": int(time.time()) + 600}, SECRET, algorithm="HS256")
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path in (("GET", "/api/jobs/j1/status"), ("POST", "/api/jobs")):
        r = client.request(method, path, headers=headers, json={"goal": "x"} if method == "POST" else None)
        assert r.status_code == 401
        assert r.json() == {"message": "Unauthorized"}
        assert r.headers["apigw-requestid"]
    assert RECORDER.calls == []


def test_valid_token_claims_are_strings(client: httpx.Client) -> None:
    now = int(time.time())
    token = _token("founder-42", ttl_s=600, now=now)
    r = client.get("/api/jobs/j1/status", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    event = RECORDER.events[0]
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims == {"sub": "founder-42", "iat": str(now), "exp": str(now + 600)}
    assert event["headers"]["authorization"] == f"Bearer {token}"


def test_claims_of_every_type_become_strings(client: httpx.Client) -> None:
    import jwt

    claims = {
        "sub": "founder-1",
        "exp": int(time.time()) + 600,
        "groups": ["admin", "founders"],
        "email_verified": True,
        "score": 1.5,
    }
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    assert client.get("/api/jobs/j1/status", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    got = RECORDER.events[0]["requestContext"]["authorizer"]["jwt"]["claims"]
    assert got == {
        "sub": "founder-1",
        "exp": str(claims["exp"]),
        "groups": "[admin founders]",
        "email_verified": "true",
        "score": "1.5",
    }


def test_open_route_needs_no_token(client: httpx.Client) -> None:
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/api/openapi.json", headers={"Authorization": "Bearer garbage"}).status_code == 200
    assert len(RECORDER.calls) == 2


def test_settings_are_read_per_request() -> None:
    current = {"settings": SETTINGS}
    with (
        HttpGateway(ROUTES, settings_factory=lambda: current["settings"], port=0) as gw,
        httpx.Client(base_url=gw.url) as c,
    ):
        token = _token()
        assert c.get("/api/jobs/j1/status", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        current["settings"] = dataclasses.replace(SETTINGS, jwt_secret="rotated-secret-that-is-32-bytes-long")
        assert c.get("/api/jobs/j1/status", headers={"Authorization": f"Bearer {token}"}).status_code == 401


# ---------------------------------------------------------------------------------------------------------
# Responses
# ---------------------------------------------------------------------------------------------------------


def test_response_mapping(client: httpx.Client) -> None:
    payload = b"\x00\x01binary\xff"
    RECORDER.response = {
        "statusCode": 201,
        "headers": {"Content-Type": "application/octet-stream", "X-Single": "1", "X-Number": 7},
        "multiValueHeaders": {"X-Multi": ["a", "b"]},
        "cookies": ["session=abc; Path=/; HttpOnly", "theme=dark"],
        "body": base64.b64encode(payload).decode(),
        "isBase64Encoded": True,
    }
    r = client.get("/api/respond")
    assert r.status_code == 201
    assert r.content == payload
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["x-single"] == "1"
    assert r.headers["x-number"] == "7"
    assert r.headers.get_list("x-multi") == ["a", "b"]
    assert r.headers.get_list("set-cookie") == ["session=abc; Path=/; HttpOnly", "theme=dark"]
    assert r.headers["content-length"] == str(len(payload))
    assert r.cookies["theme"] == "dark"


def test_text_body_and_no_body(client: httpx.Client) -> None:
    RECORDER.response = {"statusCode": 409, "headers": {"content-type": "text/plain"}, "body": "conflict ✓"}
    r = client.get("/api/respond")
    assert (r.status_code, r.text) == (409, "conflict ✓")
    RECORDER.response = {"statusCode": 204}
    r = client.get("/api/respond")
    assert (r.status_code, r.content) == (204, b"")
    RECORDER.response = {"statusCode": 200}
    r = client.get("/api/respond")
    assert (r.status_code, r.content) == (200, b"")


@pytest.mark.parametrize(
    ("result", "body"),
    [
        ({"job_id": "j1", "state": "running"}, {"job_id": "j1", "state": "running"}),
        ([1, 2, 3], [1, 2, 3]),
        ({"body": "not a proxy response"}, {"body": "not a proxy response"}),
    ],
)
def test_results_without_status_code_are_200_json(client: httpx.Client, result: Any, body: Any) -> None:
    RECORDER.response = result
    r = client.get("/api/respond")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == body


def test_plain_string_result_is_the_body(client: httpx.Client) -> None:
    RECORDER.response = "Hello from Lambda!"
    r = client.get("/api/respond")
    assert (r.status_code, r.text) == (200, "Hello from Lambda!")


def test_handler_exception_is_500_and_logged(client: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="localcloud.gateways.http_api"):
        r = client.get("/api/boom")
    assert r.status_code == 500
    assert r.json() == {"message": "Internal Server Error"}
    assert r.headers["apigw-requestid"]
    failures = [rec for rec in caplog.records if rec.exc_info]
    assert failures and "the handler blew up" in str(failures[0].exc_info[1])
    # the connection and the server survive
    assert client.get("/api/openapi.json").status_code == 200


def test_unserializable_or_invalid_results_are_500(client: httpx.Client) -> None:
    RECORDER.response = {"statusCode": 200, "body": object()}
    assert client.get("/api/respond").status_code == 500
    RECORDER.response = {"statusCode": "abc"}
    assert client.get("/api/respond").status_code == 500


# ---------------------------------------------------------------------------------------------------------
# CORS
# ---------------------------------------------------------------------------------------------------------


def test_cors_preflight(client: httpx.Client) -> None:
    r = client.options(
        "/api/jobs",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert r.status_code == 204
    assert r.content == b""
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert r.headers["access-control-allow-methods"] == "GET,POST,OPTIONS"
    assert r.headers["access-control-allow-headers"] == "authorization,content-type"
    assert r.headers["access-control-max-age"] == "600"
    assert RECORDER.calls == []  # no token needed, no handler invoked


def test_cors_preflight_from_another_origin_gets_no_grant(client: httpx.Client) -> None:
    r = client.options("/api/jobs", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert r.status_code == 204
    assert "access-control-allow-origin" not in r.headers


def test_cors_header_on_responses(client: httpx.Client) -> None:
    r = client.get("/api/jobs/j1/status", headers={**_auth(), "Origin": ORIGIN})
    assert r.headers["access-control-allow-origin"] == ORIGIN
    r = client.get("/api/jobs/j1/status", headers={"Origin": ORIGIN})  # gateway answers too
    assert r.status_code == 401
    assert r.headers["access-control-allow-origin"] == ORIGIN
    r = client.get("/api/openapi.json", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    r = client.get("/api/openapi.json")
    assert "access-control-allow-origin" not in r.headers


def test_backend_cors_headers_are_replaced_by_the_gateway(client: httpx.Client) -> None:
    RECORDER.response = {"statusCode": 200, "headers": {"Access-Control-Allow-Origin": "*"}, "body": "{}"}
    r = client.get("/api/respond", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_wildcard_origin() -> None:
    cors = CorsConfig(allow_origins=("*",), allow_headers=("*",), allow_methods=("*",))
    with (
        HttpGateway(ROUTES, settings_factory=lambda: SETTINGS, port=0, cors=cors) as gw,
        httpx.Client(base_url=gw.url) as c,
    ):
        r = c.options(
            "/api/jobs",
            headers={
                "Origin": "https://anywhere.example",
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "x-thing",
            },
        )
        assert r.status_code == 204
        assert r.headers["access-control-allow-origin"] == "*"
        assert r.headers["access-control-allow-methods"] == "PUT"
        assert r.headers["access-control-allow-headers"] == "x-thing"
        assert (
            c.get("/api/openapi.json", headers={"Origin": "https://x.example"}).headers["access-control-allow-origin"]
            == "*"
        )


def test_no_cors_config_means_no_preflight_answer() -> None:
    with HttpGateway(ROUTES, settings_factory=lambda: SETTINGS, port=0) as gw, httpx.Client(base_url=gw.url) as c:
        r = c.options("/api/jobs", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
        assert r.status_code == 405 and "access-control-allow-origin" not in r.headers
        assert "access-control-allow-origin" not in c.get("/api/openapi.json", headers={"Origin": ORIGIN}).headers


# ---------------------------------------------------------------------------------------------------------
# Local extras: extra routes, static files
# ---------------------------------------------------------------------------------------------------------


def test_extra_routes(client: httpx.Client) -> None:
    r = client.post("/_local/clock/advance", json={"seconds": 3600})
    assert r.status_code == 200
    assert r.json() == {"advanced": 3600}
    assert r.headers["content-type"] == "application/json"
    (request,) = RECORDER.extra_requests
    assert request.method == "POST"
    assert request.path == "/_local/clock/advance"
    assert request.headers["content-type"] == "application/json"
    assert RECORDER.calls == []


def test_static_files(client: httpx.Client) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "Cofounder" in r.text
    r = client.get("/assets/app.js")
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript")
    assert r.text == "console.log('hi')"
    assert client.get("/assets/style.css").headers["content-type"].startswith("text/css")
    r = client.get("/logo.png")
    assert (r.headers["content-type"], r.content) == ("image/png", b"\x89PNG\r\n\x1a\n")
    assert client.get("/assets/").status_code == 404  # a directory without index.html
    assert client.get("/missing.html").json() == {"message": "Not Found"}
    # /api/ is the API's, even when the directory has such a file
    assert client.get("/api/x.json").json() == {"message": "Not Found"}
    # only GET/HEAD
    assert client.post("/index.html").status_code == 404
    head = client.head("/index.html")
    assert head.status_code == 200
    assert head.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/assets/../../secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "//etc/passwd",
        "/..%5csecret.txt",
    ],
)
def test_static_directory_traversal_is_blocked(gateway: HttpGateway, path: str) -> None:
    status, _, body = _raw_get(gateway, path)
    assert status == 404
    assert b"top secret" not in body
    assert json.loads(body) == {"message": "Not Found"}


# ---------------------------------------------------------------------------------------------------------
# The Host check (DNS rebinding)
# ---------------------------------------------------------------------------------------------------------


def _request_with_host(gateway: HttpGateway, method: str, path: str, host: str | None) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection(gateway.host, gateway.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_host=True)
        if host is not None:
            conn.putheader("Host", host)
        conn.putheader("Origin", ORIGIN)
        conn.putheader("Access-Control-Request-Method", "POST")
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/openapi.json"),  # an open route
        ("POST", "/_local/clock/advance"),  # a local extra
        ("GET", "/index.html"),  # the console's files
        ("OPTIONS", "/api/jobs"),  # a CORS preflight
    ],
)
def test_requests_for_another_host_are_refused_before_anything_runs(
    gateway: HttpGateway, method: str, path: str
) -> None:
    for host, status, message in (
        (f"attacker.example:{gateway.port}", 421, "Misdirected Request"),
        (f"127.0.0.1:{gateway.port + 1}", 421, "Misdirected Request"),
        ("127.0.0.1:port", 400, "Bad Request"),
        (None, 400, "Bad Request"),
    ):
        got, headers, body = _request_with_host(gateway, method, path, host)
        assert (got, json.loads(body)) == (status, {"message": message}), (host, path)
        assert headers["apigw-requestid"]
        assert "access-control-allow-origin" not in headers
    assert RECORDER.calls == [] and RECORDER.extra_requests == []


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "[::1]"])
def test_loopback_names_are_answered(gateway: HttpGateway, name: str) -> None:
    status, _, body = _request_with_host(gateway, "GET", "/api/openapi.json", f"{name}:{gateway.port}")
    assert (status, json.loads(body)) == (200, {"ok": "openapi"})
    assert RECORDER.events[0]["requestContext"]["domainName"] == f"{name}:{gateway.port}"


# ---------------------------------------------------------------------------------------------------------
# Connections
# ---------------------------------------------------------------------------------------------------------


def test_many_requests_from_one_client(gateway: HttpGateway) -> None:
    conn = http.client.HTTPConnection(gateway.host, gateway.port, timeout=10)
    try:
        token = _token()
        for i in range(100):
            method, path = ("POST", "/api/jobs") if i % 2 else ("GET", f"/api/jobs/j{i}/status")
            body = json.dumps({"goal": f"g{i}"}) if method == "POST" else None
            conn.request(
                method,
                path,
                body=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            resp = conn.getresponse()
            assert resp.status == 200
            assert json.loads(resp.read()) == {"ok": "create" if i % 2 else "status"}
        for i in range(5):  # 404s and 401s too
            conn.request("GET", "/api/nope" if i % 2 else "/api/jobs/j/status")
            resp = conn.getresponse()
            assert resp.status in (401, 404)
            resp.read()
    finally:
        conn.close()
    assert len(RECORDER.calls) == 100


def test_concurrent_requests_each_get_their_own_thread(gateway: HttpGateway) -> None:
    started = threading.Barrier(4, timeout=10)

    def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
        started.wait()  # only returns once all four handlers run at the same time
        return {"statusCode": 200, "body": event["rawPath"]}

    routes = [Route("GET", "/api/slow/{n}", slow, "fn-slow", auth=False)]
    with HttpGateway(routes, settings_factory=lambda: SETTINGS, port=0) as gw:
        results: list[str] = []

        def call(n: int) -> None:
            with httpx.Client(base_url=gw.url, timeout=10) as c:
                results.append(c.get(f"/api/slow/{n}").text)

        threads = [threading.Thread(target=call, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=15)
    assert sorted(results) == [f"/api/slow/{n}" for n in range(4)]


def test_start_stop_and_port() -> None:
    gw = HttpGateway(ROUTES, settings_factory=lambda: SETTINGS, port=0)
    gw.start()
    try:
        assert gw.port > 0
        assert gw.url == f"http://127.0.0.1:{gw.port}"
        with httpx.Client(base_url=gw.url) as c:
            assert c.get("/api/openapi.json").status_code == 200
            gw.stop()
            with pytest.raises(httpx.TransportError):
                c.get("/api/openapi.json")
    finally:
        gw.stop()
    gw.stop()  # idempotent


# ---------------------------------------------------------------------------------------------------------
# From template.yaml
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_template() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


def test_routes_from_the_real_template(real_template: dict[str, Any]) -> None:
    routes = {r.route_key: r for r in routes_from_template(real_template, ROOT)}
    assert set(routes) == {
        "POST /api/jobs",
        "GET /api/jobs",
        "GET /api/jobs/{job_id}/status",
        "GET /api/jobs/{job_id}/escalations",
        "POST /api/escalations/{escalation_id}/resolve",
        "GET /api/jobs/{job_id}/events",
        "GET /api/openapi.json",
    }
    assert routes["GET /api/openapi.json"].auth is False
    assert all(r.auth for key, r in routes.items() if key != "GET /api/openapi.json")
    assert all(callable(r.handler) for r in routes.values())
    assert {r.function_name for r in routes.values()} == {"HttpApiFunction"}
    named = routes_from_template(real_template, ROOT, function_names={"HttpApiFunction": "cofounder-HttpApiFunction"})
    assert {r.function_name for r in named} == {"cofounder-HttpApiFunction"}


def test_cors_from_the_real_template(real_template: dict[str, Any]) -> None:
    cors = cors_from_template(real_template)
    assert cors == CorsConfig(
        allow_origins=(ORIGIN,),
        allow_headers=("authorization", "content-type"),
        allow_methods=("GET", "POST", "OPTIONS"),
        max_age=600,
    )
    overridden = cors_from_template(real_template, parameter_overrides={"CorsOrigin": "https://app.example"})
    assert overridden is not None and overridden.allow_origins == ("https://app.example",)
    assert cors_from_template({"Resources": {}}) is None


def test_the_real_handler_behind_the_gateway(real_template: dict[str, Any]) -> None:
    """The OpenAPI route needs no AWS: the real HTTP API function answers through the gateway."""
    with (
        HttpGateway.from_template(real_template, ROOT, settings_factory=lambda: SETTINGS, port=0) as gw,
        httpx.Client(base_url=gw.url) as c,
    ):
        r = c.get("/api/openapi.json", headers={"Origin": ORIGIN})
        assert r.status_code == 200, r.text
        assert "openapi" in r.json()
        assert r.headers["access-control-allow-origin"] == ORIGIN
        assert c.get("/api/jobs/j1/status").status_code == 401
        assert c.get("/api/nope").status_code == 404
