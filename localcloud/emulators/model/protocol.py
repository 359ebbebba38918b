"""What the Messages API accepts and how it refuses: request bodies, credentials and error answers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

__all__ = [
    "ERROR_MESSAGES",
    "RequestError",
    "error_body",
    "error_type_for",
    "has_credentials",
    "parse_body",
    "status_line",
    "validate_request",
]

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
    421: "invalid_request_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
ERROR_MESSAGES = {
    429: "Number of request tokens has exceeded your per-minute rate limit (scripted)",
    500: "Internal server error (scripted)",
    529: "Overloaded (scripted)",
}
_REASONS = {529: "Overloaded"}


class RequestError(Exception):
    """A refusal: answered with ``status`` and the API's error body (and ``headers``, e.g. ``retry-after``)."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def error_type_for(status: int) -> str:
    return ERROR_TYPES.get(status, "invalid_request_error")


def error_body(status: int, message: str, request_id: str) -> dict[str, Any]:
    return {
        "type": "error",
        "error": {"type": error_type_for(status), "message": message},
        "request_id": request_id,
    }


def status_line(status: int) -> str:
    """``529 Overloaded``, ``404 Not Found``: the status with the reason phrase the API sends."""
    if status in _REASONS:
        return f"{status} {_REASONS[status]}"
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Error"


def parse_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RequestError(400, f"Invalid JSON body: {exc}") from exc
    if not isinstance(body, dict):
        raise RequestError(400, "The request body must be a JSON object")
    return body


def validate_request(body: Mapping[str, Any], *, needs_max_tokens: bool = True) -> None:
    required = ("model", "messages", "max_tokens") if needs_max_tokens else ("model", "messages")
    for name in required:
        if name not in body:
            raise RequestError(400, f"{name}: Field required")
    if not isinstance(body["model"], str) or not body["model"]:
        raise RequestError(400, "model: Input should be a non-empty string")
    if not isinstance(body["messages"], list):
        raise RequestError(400, "messages: Input should be a valid list")
    if needs_max_tokens and (isinstance(body["max_tokens"], bool) or not isinstance(body["max_tokens"], int)):
        raise RequestError(400, "max_tokens: Input should be a valid integer")
    for i, message in enumerate(body["messages"]):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise RequestError(400, f"messages.{i}.role: Input should be 'user' or 'assistant'")
        if "content" not in message:
            raise RequestError(400, f"messages.{i}.content: Field required")


def has_credentials(headers: Mapping[str, str]) -> bool:
    """An ``x-api-key`` or a bearer token (lower-cased header names): any value will do."""
    if (headers.get("x-api-key") or "").strip():
        return True
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())
