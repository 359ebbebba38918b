"""An HTTP API's CORS configuration, and the headers API Gateway answers with for it."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["CorsConfig", "cors_from_template"]


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
