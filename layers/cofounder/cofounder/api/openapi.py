"""The HTTP API's operations, declared once: they route, read their inputs and generate the OpenAPI document."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import msgspec

from cofounder.api.models import ErrorBody
from cofounder.api.requests import QueryParam

REASONS = {
    400: "Malformed JSON",
    401: "Missing or invalid token",
    404: "Unknown, or another founder's",
    409: "Already resolved",
    415: "Not a JSON body",
    422: "Invalid body or parameter (the fields are named)",
    429: "Too many unfinished jobs",
}
SECURITY_SCHEMES = {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
REF = "#/components/schemas/{name}"


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str
    """The route as Powertools writes it: /api/jobs/<job_id>/status."""
    name: str
    summary: str
    response: type
    status: int = 200
    errors: tuple[int, ...] = ()
    body: type | None = None
    query: tuple[QueryParam, ...] = ()
    headers: tuple[tuple[str, dict[str, Any]], ...] = ()
    """Optional request headers: (name, schema)."""

    @property
    def path(self) -> str:
        return re.sub(r"<(\w+)>", r"{\1}", self.rule)

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"<(\w+)>", self.rule)


def _json(ref: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": ref}}


def document(operations: list[Operation], **info: str) -> dict[str, Any]:
    """OpenAPI 3.1 for these operations; `info` holds title, version and description."""
    types = sorted({t for op in operations for t in (op.response, op.body, ErrorBody) if t}, key=lambda t: t.__name__)
    refs, schemas = msgspec.json.schema_components(types, ref_template=REF)
    ref = dict(zip(types, refs, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in op.path_params
        ] + [param.schema() for param in op.query]
        parameters += [{"name": n, "in": "header", "required": False, "schema": schema} for n, schema in op.headers]
        responses = {str(op.status): {"description": "OK", "content": _json(ref[op.response])}}
        responses |= {str(code): {"description": REASONS[code], "content": _json(ref[ErrorBody])} for code in op.errors}
        spec: dict[str, Any] = {
            "operationId": op.name,
            "summary": op.summary,
            "security": [{name: []} for name in SECURITY_SCHEMES],
            "parameters": parameters,
            "responses": responses,
        }
        if op.body is not None:
            spec["requestBody"] = {"required": True, "content": _json(ref[op.body])}
        paths.setdefault(op.path, {})[op.method] = spec
    return {
        "openapi": "3.1.0",
        "info": info,
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }
