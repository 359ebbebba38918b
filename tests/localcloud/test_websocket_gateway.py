"""localcloud.gateways.websocket_api: the local API Gateway WebSocket API and its management API, over real sockets.

Clients are websockets' sync clients; the management API is driven with the boto3
`apigatewaymanagementapi` client exactly as the production push code uses it, including from inside a
handler while the gateway waits for that handler (no deadlock)."""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from localcloud.gateways.websocket_api import WebSocketGateway

EVENTS = Path(__file__).resolve().parents[2] / "events"
ROUTES = {"$connect", "$disconnect", "$default", "subscribe"}
AWS_ID = re.compile(r"^[A-Za-z0-9_-]{15}=$")


def sample(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


class Recorder:
    """A fake websocket function: records every event; `subscribe` answers through the management API."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []
        self.cond = threading.Condition()
        self.api: Any = None  # the management client, once the gateway listens

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self.cond:
            self.events.append(event)
            self.contexts.append(context)
            self.cond.notify_all()
        ctx = event["requestContext"]
        if ctx["eventType"] == "CONNECT":
            token = (event["queryStringParameters"] or {}).get("token")
            if token == "bad":
                return {"statusCode": 401, "body": "Unauthorized"}
            if token == "boom":
                raise RuntimeError("handler crashed")
            if token == "slow":
                time.sleep(0.5)
        elif ctx["eventType"] == "MESSAGE":
            try:
                message = json.loads(event["body"])
            except ValueError:
                message = None
            if isinstance(message, dict) and message.get("action") == "crash":
                raise RuntimeError("handler crashed")
            if isinstance(message, dict) and message.get("action") == "subscribe":
                # Back into the same gateway while it waits for this handler.
                reply = {"type": "subscribed", "job_id": message.get("job_id"), "connectionId": ctx["connectionId"]}
                self.api.post_to_connection(ConnectionId=ctx["connectionId"], Data=json.dumps(reply).encode())
        return {"statusCode": 200}

    def of(self, connection_id: str, event_type: str | None = None) -> list[dict[str, Any]]:
        with self.cond:
            return [
                e
                for e in self.events
                if e["requestContext"]["connectionId"] == connection_id
                and (event_type is None or e["requestContext"]["eventType"] == event_type)
            ]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not (result := predicate()):
                remaining = deadline - time.monotonic()
                assert remaining > 0, "timed out waiting for the handler"
                self.cond.wait(remaining)
        return result


def management_client(endpoint: str) -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="module")
def gateway(recorder: Recorder) -> Iterator[WebSocketGateway]:
    with WebSocketGateway(recorder, port=0, routes=ROUTES) as gw:
        recorder.api = management_client(f"{gw.management_url}/live")  # with the stage, as in AWS
        yield gw


@pytest.fixture(scope="module")
def api(gateway: WebSocketGateway) -> Any:
    return management_client(gateway.management_url)  # without the stage


@pytest.fixture(autouse=True)
def no_loop_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Nothing goes wrong inside asyncio or aiohttp (callback exceptions, failed requests)."""
    yield
    errors = [
        r for r in caplog.records if r.levelno >= logging.ERROR and r.name.split(".")[0] in ("asyncio", "aiohttp")
    ]
    assert errors == [], [r.getMessage() for r in errors]


@pytest.fixture
def clients() -> Iterator[contextlib.ExitStack]:
    with contextlib.ExitStack() as stack:
        yield stack


def open_client(
    gateway: WebSocketGateway, recorder: Recorder, clients: contextlib.ExitStack, **query: str
) -> tuple[ClientConnection, str]:
    """A connected client and its connection id (from its $connect event)."""
    tag = uuid.uuid4().hex
    ws = clients.enter_context(connect(f"{gateway.url}/?{urlencode({'token': 'good', **query, 'tag': tag})}"))
    connect_event = recorder.wait_for(
        lambda: [e for e in recorder.events if (e.get("queryStringParameters") or {}).get("tag") == tag]
    )[0]
    return ws, connect_event["requestContext"]["connectionId"]


def assert_same_keys(event: dict[str, Any], expected: dict[str, Any]) -> None:
    assert event.keys() == expected.keys()
    assert list(event["requestContext"]) == list(expected["requestContext"])
    assert event["requestContext"]["identity"].keys() == expected["requestContext"]["identity"].keys()


def test_connect_event_has_the_api_gateway_shape(gateway, recorder, clients):
    before = int(time.time() * 1000)
    _ws, connection_id = open_client(gateway, recorder, clients, token="tok.en", job="a b")
    (event,) = recorder.of(connection_id, "CONNECT")
    assert_same_keys(event, sample("ws_connect.json"))
    ctx = event["requestContext"]
    assert ctx["routeKey"] == "$connect" and ctx["messageDirection"] == "IN"
    assert ctx["stage"] == "live" and ctx["apiId"] == "localws"
    assert ctx["domainName"] == f"127.0.0.1:{gateway.port}"
    assert AWS_ID.match(connection_id) and AWS_ID.match(ctx["requestId"])
    assert ctx["extendedRequestId"] == ctx["requestId"]
    assert before <= ctx["connectedAt"] == ctx["requestTimeEpoch"] <= int(time.time() * 1000)
    assert re.fullmatch(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000", ctx["requestTime"])
    assert ctx["identity"] == {"userAgent": event["headers"]["User-Agent"], "sourceIp": "127.0.0.1"}
    assert event["queryStringParameters"]["token"] == "tok.en"
    assert event["queryStringParameters"]["job"] == "a b"
    assert event["multiValueQueryStringParameters"]["token"] == ["tok.en"]
    assert event["headers"]["Host"] == f"127.0.0.1:{gateway.port}"
    assert event["multiValueHeaders"]["Sec-WebSocket-Version"] == ["13"]
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert event["isBase64Encoded"] is False
    assert recorder.contexts[recorder.events.index(event)].function_name == "websocket"
    # The server registers the connection just after its side of the handshake, which may be a moment after the
    # client's side returned; a client's own messages are always read after it.
    deadline = time.monotonic() + 5
    while connection_id not in gateway.connection_ids():
        assert time.monotonic() < deadline, "the connection was never registered"
        time.sleep(0.01)


def test_connect_without_query_string_has_none(gateway, recorder, clients):
    tag = uuid.uuid4().hex
    clients.enter_context(connect(gateway.url, additional_headers={"X-Tag": tag}))
    (event,) = recorder.wait_for(lambda: [e for e in recorder.events if e.get("headers", {}).get("X-Tag") == tag])
    assert event["queryStringParameters"] is None and event["multiValueQueryStringParameters"] is None
    assert event["multiValueHeaders"]["X-Tag"] == [tag]


@pytest.mark.parametrize(("token", "status"), [("bad", 401), ("boom", 500)])
def test_rejected_connect_keeps_the_status_and_never_disconnects(gateway, recorder, token, status):
    tag = uuid.uuid4().hex
    with pytest.raises(InvalidStatus) as raised, connect(f"{gateway.url}/?token={token}&tag={tag}"):
        pass
    assert raised.value.response.status_code == status
    (event,) = [e for e in recorder.events if (e.get("queryStringParameters") or {}).get("tag") == tag]
    connection_id = event["requestContext"]["connectionId"]
    time.sleep(0.2)
    assert recorder.of(connection_id) == [event]  # no $default, no $disconnect
    assert connection_id not in gateway.connection_ids()


def test_client_leaving_during_connect_still_gets_one_disconnect(gateway, recorder):
    tag = uuid.uuid4().hex
    with pytest.raises(TimeoutError), connect(f"{gateway.url}/?token=slow&tag={tag}", open_timeout=0.1):
        pass
    (event,) = recorder.wait_for(
        lambda: [e for e in recorder.events if (e.get("queryStringParameters") or {}).get("tag") == tag]
    )
    connection_id = event["requestContext"]["connectionId"]
    (gone,) = recorder.wait_for(lambda: recorder.of(connection_id, "DISCONNECT"))
    assert gone["requestContext"]["disconnectStatusCode"] == 1006
    assert connection_id not in gateway.connection_ids()


def test_a_failing_message_handler_answers_internal_server_error(gateway, recorder, clients):
    ws, connection_id = open_client(gateway, recorder, clients)
    ws.send(json.dumps({"action": "crash"}))
    reply = json.loads(ws.recv(timeout=5))
    assert reply["message"] == "Internal server error" and reply["connectionId"] == connection_id
    ws.send(json.dumps({"action": "subscribe", "job_id": "job-3"}))  # the connection lives on
    assert json.loads(ws.recv(timeout=5))["type"] == "subscribed"


def test_message_events_routes_and_a_handler_that_posts_back(gateway, recorder, clients):
    ws, connection_id = open_client(gateway, recorder, clients)
    subscribe = json.dumps({"action": "subscribe", "job_id": "job-1", "after": 0})
    ws.send(subscribe)
    # The handler posted back through the management API while the gateway waited for it.
    assert json.loads(ws.recv(timeout=5)) == {"type": "subscribed", "job_id": "job-1", "connectionId": connection_id}
    ws.send(json.dumps({"action": "unsubscribe", "job_id": "job-1"}))
    ws.send("not json")
    ws.send(json.dumps({"action": "$disconnect"}))
    ws.send(json.dumps(["subscribe"]))
    messages = recorder.wait_for(lambda: len(recorder.of(connection_id, "MESSAGE")) == 5) and recorder.of(
        connection_id, "MESSAGE"
    )
    # Route selection: $request.body.action when it names a route, else $default (never a $-route).
    assert [m["requestContext"]["routeKey"] for m in messages] == ["subscribe"] + ["$default"] * 4
    assert messages[0]["body"] == subscribe and messages[2]["body"] == "not json"  # the text, in order
    event = messages[0]
    assert_same_keys(event, sample("ws_subscribe.json"))
    ctx = event["requestContext"]
    assert ctx["eventType"] == "MESSAGE" and AWS_ID.match(ctx["messageId"])
    assert ctx["identity"] == {"sourceIp": "127.0.0.1"}
    connected = recorder.of(connection_id, "CONNECT")[0]["requestContext"]["connectedAt"]
    assert ctx["connectedAt"] == connected <= ctx["requestTimeEpoch"]
    assert len({m["requestContext"]["messageId"] for m in messages}) == 5


def test_default_routes_send_everything_to_default(recorder, clients):
    with WebSocketGateway(recorder, port=0) as gw:
        ws, connection_id = open_client(gw, recorder, clients)
        ws.send(json.dumps({"action": "subscribe", "job_id": "job-2"}))
        (message,) = recorder.wait_for(lambda: recorder.of(connection_id, "MESSAGE"))
        assert message["requestContext"]["routeKey"] == "$default"
        ws.close()


def test_disconnect_on_client_close(gateway, recorder, clients):
    ws, connection_id = open_client(gateway, recorder, clients)
    ws.send("hello")
    ws.close(code=1001)
    (event,) = recorder.wait_for(lambda: recorder.of(connection_id, "DISCONNECT"))
    assert_same_keys(event, sample("ws_disconnect.json"))
    ctx = event["requestContext"]
    assert ctx["routeKey"] == "$disconnect"
    assert ctx["disconnectStatusCode"] == 1001 and ctx["disconnectReason"] == "Going away"
    # $disconnect comes after the connection's last message
    assert [e["requestContext"]["eventType"] for e in recorder.of(connection_id)] == [
        "CONNECT",
        "MESSAGE",
        "DISCONNECT",
    ]
    assert connection_id not in gateway.connection_ids()


def test_disconnect_when_the_connection_drops(gateway, recorder, clients):
    ws, connection_id = open_client(gateway, recorder, clients)
    ws.socket.shutdown(socket.SHUT_RDWR)  # no close frame
    (event,) = recorder.wait_for(lambda: recorder.of(connection_id, "DISCONNECT"))
    assert event["requestContext"]["disconnectStatusCode"] == 1006
    time.sleep(0.1)
    assert len(recorder.of(connection_id, "DISCONNECT")) == 1


def test_post_delivers_to_that_connection_in_order(gateway, recorder, clients, api):
    a, a_id = open_client(gateway, recorder, clients)
    b, _ = open_client(gateway, recorder, clients)
    for i in range(100):
        api.post_to_connection(ConnectionId=a_id, Data=json.dumps({"n": i}).encode())
    assert [json.loads(a.recv(timeout=5))["n"] for _ in range(100)] == list(range(100))
    with pytest.raises(TimeoutError):
        b.recv(timeout=0.2)
    api.post_to_connection(ConnectionId=a_id, Data="é".encode())
    assert a.recv(timeout=5) == "é"  # a text frame


def test_get_connection(gateway, recorder, clients, api):
    _ws, connection_id = open_client(gateway, recorder, clients)
    info = api.get_connection(ConnectionId=connection_id)
    now = datetime.now(UTC)
    assert now - timedelta(seconds=10) < info["ConnectedAt"] <= info["LastActiveAt"] <= now + timedelta(seconds=1)
    assert info["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": _ws.request.headers["User-Agent"]}


def test_delete_closes_the_client_then_posts_are_gone(gateway, recorder, clients, api):
    ws, connection_id = open_client(gateway, recorder, clients)
    response = api.delete_connection(ConnectionId=connection_id)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ConnectionClosed):
        ws.recv(timeout=5)
    assert ws.close_code == 1000
    with pytest.raises(api.exceptions.GoneException):
        api.post_to_connection(ConnectionId=connection_id, Data=b"late")
    with pytest.raises(api.exceptions.GoneException):
        api.get_connection(ConnectionId=connection_id)
    (event,) = recorder.wait_for(lambda: recorder.of(connection_id, "DISCONNECT"))
    assert event["requestContext"]["disconnectStatusCode"] == 1000


@pytest.mark.parametrize("connection_id", ["L0SM9cOFvHcCIhw=", "a/b+c=", "unknown"])
def test_unknown_connection_is_gone(gateway, recorder, api, connection_id):
    with pytest.raises(api.exceptions.GoneException) as raised:
        api.post_to_connection(ConnectionId=connection_id, Data=b"{}")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    with pytest.raises(recorder.api.exceptions.GoneException):  # with the stage in the endpoint
        recorder.api.delete_connection(ConnectionId=connection_id)


def test_payload_too_large(gateway, recorder, clients, api):
    _ws, connection_id = open_client(gateway, recorder, clients)
    with pytest.raises(api.exceptions.PayloadTooLargeException):
        api.post_to_connection(ConnectionId=connection_id, Data=b"x" * (128 * 1024 + 1))


def test_management_connections_are_kept_alive(gateway):
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=5)
    try:
        conn.request("POST", "/live/@connections/nope%3D", body=b"{}")
        first = conn.getresponse()
        assert (first.status, first.getheader("x-amzn-ErrorType")) == (410, "GoneException")
        assert json.loads(first.read())["message"]
        assert first.getheader("Connection") == "keep-alive"
        sock = conn.sock
        conn.request("GET", "/@connections/nope%3D", headers={"Connection": "close"})
        assert conn.sock is sock  # the same TCP connection
        second = conn.getresponse()
        assert (second.status, second.getheader("Connection")) == (410, "close")
        second.read()
    finally:
        conn.close()


def test_binary_frames_close_the_connection(gateway, recorder, clients):
    ws, connection_id = open_client(gateway, recorder, clients)
    ws.send(b"\x00\x01")
    with pytest.raises(ConnectionClosed):
        ws.recv(timeout=5)
    assert ws.close_code == 1003
    recorder.wait_for(lambda: recorder.of(connection_id, "DISCONNECT"))
    assert recorder.of(connection_id, "MESSAGE") == []


def test_stop_closes_every_client(recorder):
    gw = WebSocketGateway(recorder, port=0).start()
    api = management_client(gw.management_url)
    with contextlib.ExitStack() as stack:
        pairs = [open_client(gw, recorder, stack) for _ in range(3)]
        api.post_to_connection(ConnectionId=pairs[0][1], Data=b"hi")  # leaves a kept-alive HTTP connection
        assert pairs[0][0].recv(timeout=5) == "hi"
        started = time.monotonic()
        gw.stop()
        assert time.monotonic() - started < 3
        for ws, connection_id in pairs:
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=5)
            assert ws.close_code == 1001
            (event,) = recorder.of(connection_id, "DISCONNECT")  # run before stop() returned
            assert event["requestContext"]["disconnectStatusCode"] == 1001
    assert gw.connection_ids() == []
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", gw.port), timeout=1):
        pass


def test_start_fails_when_the_port_is_taken(gateway, recorder):
    with pytest.raises(OSError):
        WebSocketGateway(recorder, port=gateway.port).start()


def test_signatures_checked_and_faults_injected_on_the_gateways_own_management_api(recorder, clients):
    with WebSocketGateway(recorder, port=0, secret_keys={"testing": "testing"}, keep_requests=10) as gw:
        ws, connection_id = open_client(gw, recorder, clients)
        signed = management_client(f"{gw.management_url}/live")
        signed.post_to_connection(ConnectionId=connection_id, Data=b"signed")
        assert ws.recv(timeout=5) == "signed"
        forged = boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=gw.management_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="not-the-secret",
        )
        with pytest.raises(forged.exceptions.ClientError) as refused:
            forged.post_to_connection(ConnectionId=connection_id, Data=b"forged")
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert [r.signature_error for r in gw.management.requests] == [None, "signature mismatch"]
        gw.management.gone.add(connection_id)  # answered 410 although the client is still there
        with pytest.raises(signed.exceptions.GoneException):
            signed.post_to_connection(ConnectionId=connection_id, Data=b"late")
        gw.management.gone.clear()
        gw.management.failing[connection_id] = 503
        with pytest.raises(signed.exceptions.ClientError) as failed:
            signed.post_to_connection(ConnectionId=connection_id, Data=b"x")
        assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.2)  # neither the forged nor the failed post was delivered
        ws.close()
