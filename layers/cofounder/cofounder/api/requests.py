"""Reading an HTTP API request: the JSON body and the query parameters, each checked against its declared type.

Every failure is one of three errors the HTTP app maps to a status: malformed (400), unsupported media type
(415), and the domain's InvalidInput (422, naming the field), which the services raise too.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

import msgspec

from cofounder.api.error_text import humane
from cofounder.errors import InvalidInput


class MalformedBody(Exception):
    """400: the body is not JSON (or not UTF-8, or broken base64)."""


class TooDeep(MalformedBody):
    """400: JSON nested deeper than the decoder goes."""


class UnsupportedMediaType(Exception):
    """415: a body in a media type other than JSON."""


_PATH = re.compile(r"at `\$\.?(?P<path>[^`]*)`")
_MISSING = re.compile(r"missing required field `(?P<field>[^`]+)`")


def _field(error: msgspec.ValidationError, whole: str) -> str:
    """The dotted field a msgspec error names (`$.a[0].b` → `a.0.b`), `whole` for the value itself."""
    message = str(error)
    path = _PATH.search(message)
    parts = re.findall(r"[^.\[\]]+", path.group("path")) if path else []
    missing = _MISSING.search(message)
    if missing:
        parts.append(missing.group("field"))
    return ".".join(parts) or whole


def _invalid(error: msgspec.ValidationError, whole: str = "body") -> InvalidInput:
    field = _field(error, whole)
    return InvalidInput(field, f"{field}: {humane(str(error))}")


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return not media or media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def json_body[T](event: dict[str, Any], body_type: type[T]) -> T:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    if not _is_json(headers.get("content-type", "")):
        raise UnsupportedMediaType(headers.get("content-type", ""))
    raw = event.get("body") or ""
    try:
        data = base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else raw.encode()
    except (binascii.Error, ValueError) as exc:
        raise MalformedBody("the body is not valid base64") from exc
    if not data.strip():
        raise InvalidInput("body", "body: a JSON object is required")
    try:
        return msgspec.json.decode(data, type=body_type)
    except msgspec.ValidationError as exc:
        try:  # typed decoding stops at the first wrong type: a document broken further on is still 400
            msgspec.json.decode(data)
        except msgspec.DecodeError as malformed:
            raise MalformedBody(str(malformed)) from exc
        except RecursionError as deep:
            raise TooDeep("the body is nested too deeply") from deep
        raise _invalid(exc) from exc
    except msgspec.DecodeError as exc:
        raise MalformedBody(str(exc)) from exc
    except RecursionError as exc:  # msgspec's nesting limit (the interpreter's recursion limit): 400, never 500
        raise TooDeep("the body is nested too deeply") from exc


@dataclass(frozen=True)
class QueryParam[T]:
    """One query-string parameter: its name, type (with msgspec.Meta constraints) and default."""

    name: str
    type: Any
    default: T
    description: str = ""

    def read(self, event: dict[str, Any]) -> T:
        raw = (event.get("queryStringParameters") or {}).get(self.name)
        if raw is None:
            return self.default
        try:
            return msgspec.convert(raw, self.type, strict=False)
        except msgspec.ValidationError as exc:
            raise _invalid(exc, self.name) from exc

    def schema(self) -> dict[str, Any]:
        schema = msgspec.json.schema(self.type)
        if self.default is not None:
            schema["default"] = self.default
        parameter = {"name": self.name, "in": "query", "required": False, "schema": schema}
        return parameter | ({"description": self.description} if self.description else {})
