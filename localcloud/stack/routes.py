"""What the local cloud's API gateways serve, read from CloudFormation as API Gateway reads it.

- HTTP APIs (``AWS::ApiGatewayV2::Api`` imported from an OpenAPI ``Body``, which is how samtranslator writes an
  ``AWS::Serverless::HttpApi`` and its functions' ``HttpApi`` events, or with ``ProtocolType: HTTP`` and
  ``AWS::ApiGatewayV2::Route`` resources): one :class:`HttpRoute` per operation, its function found through the
  integration's ``uri``, its authorization from the operation's ``security``.
- WebSocket APIs (``ProtocolType: WEBSOCKET``): route key -> function, through the route's ``Target``
  (``integrations/{IntegrationId}``) and the integration's ``IntegrationUri``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from localcloud.stack.errors import TemplateError
from localcloud.stack.intrinsics import only_reference, references
from localcloud.stack.sam import cloudformation

API_TYPE = "AWS::ApiGatewayV2::Api"
ROUTE_TYPE = "AWS::ApiGatewayV2::Route"
INTEGRATION_TYPE = "AWS::ApiGatewayV2::Integration"
FUNCTION_TYPE = "AWS::Lambda::Function"
ANY_METHOD = "x-amazon-apigateway-any-method"
INTEGRATION = "x-amazon-apigateway-integration"
_OPENAPI_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace", ANY_METHOD}
NO_AUTHORIZER = "NONE"  # what samtranslator writes in `security` for an event with `Auth: {Authorizer: NONE}`


class HttpRoute(NamedTuple):
    """One route of an HTTP API: ``(method, path, function, auth_none)``."""

    method: str
    path: str
    function: str
    """Logical id of the function that answers."""
    auth_none: bool
    """True if no authorizer applies."""

    @property
    def route_key(self) -> str:
        return self.path if self.path == "$default" else f"{self.method} {self.path}"


def _of_type(declared: Mapping[str, Any], *types: str) -> set[str]:
    return {lid for lid, res in declared.items() if res.get("Type") in types}


def _apis(declared: Mapping[str, Any], protocol: str) -> list[str]:
    """Logical ids of the APIs of one protocol, in template order (an API imported from a Body is HTTP)."""
    return [
        lid
        for lid, res in declared.items()
        if res.get("Type") == API_TYPE
        and str((res.get("Properties") or {}).get("ProtocolType", "HTTP")).upper() == protocol
    ]


def _declared_routes(declared: Mapping[str, Any], apis: set[str]) -> Iterator[tuple[str, Mapping[str, Any], str]]:
    """``(logical id, properties, function)`` of every ``AWS::ApiGatewayV2::Route`` of these APIs."""
    integrations = _of_type(declared, INTEGRATION_TYPE)
    function_ids = _of_type(declared, FUNCTION_TYPE)
    for logical_id, resource in declared.items():  # template order
        if resource.get("Type") != ROUTE_TYPE:
            continue
        props = resource.get("Properties") or {}
        if not references(props.get("ApiId"), apis):
            continue
        integration = only_reference(props.get("Target"), integrations, "integration (Target)", logical_id)
        uri = (declared[integration].get("Properties") or {}).get("IntegrationUri")
        yield logical_id, props, only_reference(uri, function_ids, "function (IntegrationUri)", integration)


def _no_authorizer(security: Any) -> bool:
    if not security:
        return True
    return all(not requirement or set(requirement) == {NO_AUTHORIZER} for requirement in security)


def _body_routes(api: str, body: Any, function_ids: set[str]) -> Iterator[HttpRoute]:
    paths = body.get("paths") if isinstance(body, Mapping) else None
    for path, item in (paths or {}).items():
        for method, operation in item.items():
            if method not in _OPENAPI_METHODS:
                continue
            verb = "ANY" if method == ANY_METHOD else method.upper()
            where = f"{api} {verb} {path}"
            uri = (operation.get(INTEGRATION) or {}).get("uri")
            function = only_reference(uri, function_ids, f"function ({INTEGRATION} uri)", where)
            security = operation.get("security", body.get("security"))
            yield HttpRoute(verb, path, function, _no_authorizer(security))


def http_routes(template: Mapping[str, Any], api: str | None = None) -> list[HttpRoute]:
    """Every route of the template's HTTP APIs (``api``: only that one, by logical id; a SAM template's implicit
    API is ``ServerlessHttpApi``). Two functions claiming one route key of one API is a :class:`TemplateError`."""
    declared = cloudformation(template)["Resources"]
    apis = _apis(declared, "HTTP")
    if api is not None:
        apis = [api] if api in apis else []
    function_ids = _of_type(declared, FUNCTION_TYPE)
    routes: list[HttpRoute] = []
    seen: dict[tuple[str, str], str] = {}

    def add(api_id: str, route: HttpRoute, where: str) -> None:
        key = (api_id, route.route_key)
        if key in seen:
            raise TemplateError(f"{api_id}: route {route.route_key!r} of both {seen[key]} and {where}")
        seen[key] = where
        routes.append(route)

    for api_id in apis:
        for route in _body_routes(api_id, (declared[api_id].get("Properties") or {}).get("Body"), function_ids):
            add(api_id, route, route.function)
        for logical_id, props, function in _declared_routes(declared, {api_id}):
            route_key = str(props.get("RouteKey", ""))
            method, _, path = route_key.partition(" ")
            if route_key == "$default":
                method, path = "ANY", "$default"
            auth_none = str(props.get("AuthorizationType", "NONE")).upper() == NO_AUTHORIZER
            add(api_id, HttpRoute(method.upper(), path, function, auth_none), logical_id)
    return routes


def websocket_routes(template: Mapping[str, Any], api: str | None = None) -> dict[str, str]:
    """Route key (``$connect``, ``$disconnect``, ``$default``, custom actions) -> logical id of the function that
    answers, for the template's WebSocket APIs (``api``: only that one)."""
    declared = cloudformation(template)["Resources"]
    apis = set(_apis(declared, "WEBSOCKET"))
    if api is not None:
        if api not in apis:
            raise TemplateError(f"{api} is not a WebSocket API ({API_TYPE} with ProtocolType WEBSOCKET)")
        apis = {api}
    routes: dict[str, str] = {}
    for _, props, function in _declared_routes(declared, apis):
        route_key = str(props.get("RouteKey", ""))
        if route_key in routes:
            raise TemplateError(f"WebSocket route {route_key!r} is declared twice")
        routes[route_key] = function
    return routes
