"""The HTTP API's routes: read from the template, and matched the way API Gateway matches them.

``METHOD /path/{param}`` (and ``{proxy+}``, ``ANY``, ``$default``); the most specific route wins: literal
segments beat parameters, parameters beat greedy ones, a method beats ``ANY``, anything beats ``$default``.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud.handlers import ROOT, LazyHandler

__all__ = ["Handler", "Route", "RouteTable", "routes_from_template"]

Handler = Callable[[dict[str, Any], Any], Any]

_LITERAL, _PARAM, _GREEDY = 0, 1, 2


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
        routes.append(
            Route(
                method=r.method,
                path=r.path,
                handler=LazyHandler(Path(root) / spec.code_uri, spec.handler),
                function_name=names.get(r.function, r.function),
                auth=not r.auth_none,
                timeout_s=spec.timeout,
            )
        )
    return routes


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


class RouteTable:
    """The routes of one API, matched against a request's method and raw (still percent-encoded) path."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self.routes = list(routes)
        self._compiled = [_CompiledRoute.of(r) for r in self.routes]

    def match(self, method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
        """The most specific route for the request and its decoded path parameters."""
        parts = raw_path.split("/")[1:]
        best: tuple[_CompiledRoute, dict[str, str]] | None = None
        for compiled in self._compiled:
            params = compiled.match(method, parts)
            if params is not None and (best is None or compiled.specificity() < best[0].specificity()):
                best = (compiled, params)
        return None if best is None else (best[0].route, best[1])

    def allowed_methods(self, raw_path: str) -> list[str]:
        """The methods some route answers on this path (for a 405's ``Allow`` header)."""
        parts = raw_path.split("/")[1:]
        return sorted({c.method for c in self._compiled if not c.is_default and c.match(c.method, parts) is not None})
