"""events/http_*.json and events/ws_*.json: the shapes API Gateway delivers, one per template route."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventV2Model,
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketDisconnectEventModel,
    APIGatewayWebSocketMessageEventModel,
)

from localcloud.template import http_routes, load_template, websocket_routes

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
TEMPLATE = load_template(ROOT / "template.yaml")
HTTP_EVENTS = sorted(EVENTS.glob("http_*.json"))
WS_EVENTS = sorted(EVENTS.glob("ws_*.json"))
JOB_ID = "4b0e7a52-1c3e-4f7a-9d8e-2a6b5c1d0e9f"
ESCALATION_ID = "7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


# ------------------------------------------------------------------------------------------------------
# HTTP API (payload format 2.0)
# ------------------------------------------------------------------------------------------------------


def test_every_http_route_has_exactly_one_sample_event() -> None:
    routes = {route.route_key for route in http_routes(TEMPLATE)}
    samples = [load(p)["routeKey"] for p in HTTP_EVENTS]
    assert sorted(samples) == sorted(routes), "one events/http_*.json per HttpApi route of template.yaml"


def _path_regex(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")


@pytest.mark.parametrize("path", HTTP_EVENTS, ids=_ids(HTTP_EVENTS))
def test_http_event_shape(path: Path) -> None:
    event = load(path)
    APIGatewayProxyEventV2Model.model_validate(event)  # what Powertools' parser accepts
    routes = {route.route_key: route for route in http_routes(TEMPLATE)}
    route = routes[event["routeKey"]]
    ctx = event["requestContext"]
    assert event["version"] == "2.0"
    assert ctx["routeKey"] == event["routeKey"]
    assert ctx["stage"] == "$default"
    assert ctx["http"]["method"] == route.method
    assert ctx["http"]["path"] == event["rawPath"]
    assert ctx["domainName"] == f"{ctx['apiId']}.execute-api.us-east-1.amazonaws.com"
    assert ctx["domainPrefix"] == ctx["apiId"]
    assert event["headers"]["host"] == ctx["domainName"]
    assert all(name == name.lower() for name in event["headers"]), "payload v2 header names are lower case"
    # rawPath matches the route's template path, and pathParameters are what it captures
    match = _path_regex(route.path).match(event["rawPath"])
    assert match, (event["rawPath"], route.path)
    assert event.get("pathParameters", {}) == match.groupdict()
    assert dict(parse_qsl(event["rawQueryString"])) == event.get("queryStringParameters", {})
    assert event["isBase64Encoded"] is False
    if "body" in event:
        json.loads(event["body"])
        assert event["headers"]["content-type"] == "application/json"
        assert int(event["headers"]["content-length"]) == len(event["body"].encode())
    else:
        assert route.method == "GET"
    # a JWT-authorized route carries the verified claims; an Auth NONE route has no authorizer block
    if route.auth_none:
        assert "authorizer" not in ctx and "authorization" not in event["headers"]
    else:
        jwt = ctx["authorizer"]["jwt"]
        assert jwt["scopes"] is None
        assert jwt["claims"]["sub"] == "founder-1"
        assert jwt["claims"]["aud"] == "cofounder"
        assert jwt["claims"]["iss"] == TEMPLATE["Parameters"]["JwtIssuer"]["Default"]
        assert int(jwt["claims"]["exp"]) * 1000 > ctx["timeEpoch"]
        assert event["headers"]["authorization"].startswith("Bearer eyJ")
        # what the handler reads through Powertools
        assert APIGatewayProxyEventV2(event).request_context.authorizer.jwt_claim["sub"] == "founder-1"


def test_http_sample_payloads() -> None:
    create = load(EVENTS / "http_create_job.json")
    assert json.loads(create["body"]) == {"goal": "Validate demand for a B2B invoicing tool", "daily_budget_usd": 5}
    for name in ("http_job_status.json", "http_list_escalations.json", "http_job_events.json"):
        assert load(EVENTS / name)["pathParameters"] == {"job_id": JOB_ID}
    resolve = load(EVENTS / "http_resolve_escalation.json")
    assert resolve["pathParameters"] == {"escalation_id": ESCALATION_ID}
    assert set(json.loads(resolve["body"])) == {"decision", "guidance"}
    events = load(EVENTS / "http_job_events.json")
    assert (events["queryStringParameters"], events["rawQueryString"]) == ({"after": "0"}, "after=0")
    assert "pathParameters" not in load(EVENTS / "http_openapi.json")


# ------------------------------------------------------------------------------------------------------
# WebSocket API
# ------------------------------------------------------------------------------------------------------

WS_MODELS = {
    "CONNECT": APIGatewayWebSocketConnectEventModel,
    "MESSAGE": APIGatewayWebSocketMessageEventModel,
    "DISCONNECT": APIGatewayWebSocketDisconnectEventModel,
}


def test_websocket_samples_cover_the_template_routes() -> None:
    keys = sorted(load(p)["requestContext"]["routeKey"] for p in WS_EVENTS)
    assert keys == sorted(websocket_routes(TEMPLATE)) == ["$connect", "$default", "$disconnect"]


@pytest.mark.parametrize("path", WS_EVENTS, ids=_ids(WS_EVENTS))
def test_websocket_event_shape(path: Path) -> None:
    event = load(path)
    ctx = event["requestContext"]
    WS_MODELS[ctx["eventType"]].model_validate(event)  # what Powertools' parser accepts
    assert ctx["stage"] == TEMPLATE["Parameters"]["WebSocketStageName"]["Default"]
    assert ctx["domainName"] == f"{ctx['apiId']}.execute-api.us-east-1.amazonaws.com"
    assert ctx["connectionId"] == "L0SM9cOFvHcCIhw="
    assert ctx["messageDirection"] == "IN"
    assert ctx["requestTimeEpoch"] >= ctx["connectedAt"]
    assert ctx["identity"]["sourceIp"]
    assert event["isBase64Encoded"] is False
    expected_type = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(ctx["routeKey"], "MESSAGE")
    assert ctx["eventType"] == expected_type
    if ctx["eventType"] == "MESSAGE":
        assert "headers" not in event and ctx["messageId"]
    else:
        assert event["multiValueHeaders"] == {k: [v] for k, v in event["headers"].items()}


def test_websocket_sample_payloads() -> None:
    connect = load(EVENTS / "ws_connect.json")
    token = connect["queryStringParameters"]["token"]
    assert token.startswith("eyJ") and token.count(".") == 2
    assert connect["multiValueQueryStringParameters"] == {"token": [token]}
    subscribe = load(EVENTS / "ws_subscribe.json")
    assert json.loads(subscribe["body"]) == {"action": "subscribe", "job_id": JOB_ID, "after": 0}
    disconnect = load(EVENTS / "ws_disconnect.json")["requestContext"]
    assert (disconnect["disconnectStatusCode"], disconnect["disconnectReason"]) == (1001, "Going away")
