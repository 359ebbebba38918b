"""The HTTP API's JWT authorizer: a bearer token verified like the deployed API's authorizer does."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from cofounder.auth import verify_token
from cofounder.config import Settings

__all__ = ["authorize"]

log = logging.getLogger(__name__)


def authorize(headers: Mapping[str, str], settings: Settings) -> dict[str, Any] | None:
    """The verified claims of the request's ``Authorization: Bearer <jwt>`` (lower-cased header names), or None:
    missing, malformed, expired or badly signed."""
    header = headers.get("authorization", "").strip()
    scheme, _, rest = header.partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" else header
    if not token:
        return None
    try:
        return verify_token(token, settings)
    except Exception as exc:  # InvalidToken, or a JWKS that cannot be fetched: the gateway says 401
        log.info("JWT rejected: %s", exc)
        return None
