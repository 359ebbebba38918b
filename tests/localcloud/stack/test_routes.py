"""localcloud.stack.routes: the HTTP and WebSocket routes of the translated template, as API Gateway reads them."""

from __future__ import annotations

import pytest

from localcloud.stack import HttpRoute, TemplateError, http_routes, websocket_routes

# DESIGN.md "HTTP API": the contract's routes (+ the OpenAPI document, the only one without a JWT).
CONTRACT_ROUTES = {
    ("POST", "/api/jobs"),
    ("GET", "/api/jobs"),  # beyond the contract: the console lists a founder's jobs
    ("GET", "/api/jobs/{job_id}/status"),
    ("GET", "/api/jobs/{job_id}/escalations"),
    ("POST", "/api/escalations/{escalation_id}/resolve"),
    ("GET", "/api/jobs/{job_id}/events"),
    ("GET", "/api/openapi.json"),
}
URI = "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${%s.Arn}/invocations"


def test_http_routes_of_the_template(sam_template: dict) -> None:
    routes = http_routes(sam_template)
    assert all(isinstance(r, HttpRoute) for r in routes)
    assert {(r.method, r.path) for r in routes} == CONTRACT_ROUTES
    assert len(routes) == len(CONTRACT_ROUTES)
    assert {r.function for r in routes} == {"HttpApiFunction"}
    # every route needs the JWT (the API's default authorizer) except the OpenAPI document
    assert {r.route_key for r in routes if r.auth_none} == {"GET /api/openapi.json"}
    method, path, function, auth_none = next(r for r in routes if r.route_key == "POST /api/jobs")  # a 4-tuple too
    assert (method, path, function, auth_none) == ("POST", "/api/jobs", "HttpApiFunction", False)
    assert http_routes(sam_template, api="HttpApi") == routes
    assert http_routes(sam_template, api="OtherApi") == []
    assert http_routes(sam_template, api="WebSocketApi") == []


def _operation(function: str, security: list | None = None) -> dict:
    operation: dict = {"x-amazon-apigateway-integration": {"type": "aws_proxy", "uri": {"Fn::Sub": URI % function}}}
    if security is not None:
        operation["security"] = security
    return operation


def _function() -> dict:
    return {"Type": "AWS::Lambda::Function", "Properties": {}}


def test_http_routes_from_an_openapi_body() -> None:
    # The shapes samtranslator writes (test_sam_reference.py translates the SAM original of this).
    body = {
        "openapi": "3.0.1",
        "paths": {
            "/a": {"get": _operation("F", [{"Jwt": []}]), "parameters": [{"name": "x", "in": "query"}]},
            "/b": {"get": _operation("F", [{"NONE": []}])},
            "/c": {"post": _operation("G")},
            "$default": {"x-amazon-apigateway-any-method": _operation("G", [{}])},
        },
    }
    template = {
        "Resources": {
            "F": _function(),
            "G": _function(),
            "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Body": body}},
        }
    }
    routes = http_routes(template)
    assert [tuple(r) for r in routes] == [
        ("GET", "/a", "F", False),
        ("GET", "/b", "F", True),
        ("POST", "/c", "G", True),
        ("ANY", "$default", "G", True),
    ]
    assert [r.route_key for r in routes] == ["GET /a", "GET /b", "POST /c", "$default"]

    body["paths"]["/d"] = {"get": _operation("Nope")}
    with pytest.raises(TemplateError, match="Api GET /d"):
        http_routes(template)


def test_http_routes_declared_as_route_resources() -> None:
    def route(key: str, auth: str | None = None) -> dict:
        props = {"ApiId": {"Ref": "Api"}, "RouteKey": key, "Target": {"Fn::Sub": "integrations/${Integration}"}}
        if auth:
            props["AuthorizationType"] = auth
        return {"Type": "AWS::ApiGatewayV2::Route", "Properties": props}

    template = {
        "Resources": {
            "F": _function(),
            "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "HTTP"}},
            "Integration": {
                "Type": "AWS::ApiGatewayV2::Integration",
                "Properties": {"ApiId": {"Ref": "Api"}, "IntegrationUri": {"Fn::GetAtt": ["F", "Arn"]}},
            },
            "Get": route("GET /things/{id}", "JWT"),
            "Open": route("POST /things"),
            "Default": route("$default", "NONE"),
        }
    }
    assert [tuple(r) for r in http_routes(template)] == [
        ("GET", "/things/{id}", "F", False),
        ("POST", "/things", "F", True),
        ("ANY", "$default", "F", True),
    ]
    template["Resources"]["Again"] = route("POST /things")
    with pytest.raises(TemplateError, match="POST /things"):
        http_routes(template)


def test_websocket_routes_of_the_template(sam_template: dict) -> None:
    assert websocket_routes(sam_template) == {
        "$connect": "WebSocketFunction",
        "$disconnect": "WebSocketFunction",
        "$default": "WebSocketFunction",
    }
    assert websocket_routes(sam_template, api="WebSocketApi") == websocket_routes(sam_template)
    with pytest.raises(TemplateError, match="not a WebSocket API"):
        websocket_routes(sam_template, api="HttpApi")


def test_websocket_routes_resolve_target_integration_and_function() -> None:
    def route(key: str, target: object) -> dict:
        return {
            "Type": "AWS::ApiGatewayV2::Route",
            "Properties": {"ApiId": {"Ref": "Ws"}, "RouteKey": key, "Target": target},
        }

    def integration(uri: object) -> dict:
        return {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {"ApiId": {"Ref": "Ws"}, "IntegrationUri": uri}}

    template = {
        "Resources": {
            "Ws": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "WEBSOCKET"}},
            "Http": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "HTTP"}},
            "Connect": _function(),
            "Other": _function(),
            "ConnectIntegration": integration({"Fn::Sub": URI % "Connect"}),
            "OtherIntegration": integration(
                {
                    "Fn::Join": [
                        "",
                        [
                            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/",
                            {"Fn::GetAtt": ["Other", "Arn"]},
                        ],
                    ]
                }
            ),
            "R1": route("$connect", {"Fn::Sub": "integrations/${ConnectIntegration}"}),
            "R2": route("$default", {"Fn::Join": ["/", ["integrations", {"Ref": "OtherIntegration"}]]}),
            "R3": route("sendMessage", {"Fn::Sub": "integrations/${OtherIntegration}"}),
            "HttpRoute": {
                "Type": "AWS::ApiGatewayV2::Route",
                "Properties": {"ApiId": {"Ref": "Http"}, "RouteKey": "GET /x", "Target": "integrations/abc"},
            },
        }
    }
    assert websocket_routes(template) == {"$connect": "Connect", "$default": "Other", "sendMessage": "Other"}

    template["Resources"]["R4"] = route("$disconnect", "integrations/abc123")  # not an integration of the template
    with pytest.raises(TemplateError, match="R4"):
        websocket_routes(template)
    template["Resources"]["R4"] = route("$connect", {"Fn::Sub": "integrations/${ConnectIntegration}"})
    with pytest.raises(TemplateError, match="twice"):
        websocket_routes(template)
