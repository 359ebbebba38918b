"""Verifying a founder's JWT where API Gateway does not (the WebSocket `$connect`)."""

from __future__ import annotations

from functools import cache
from typing import Any

import jwt

from cofounder.config import Settings

LEEWAY_S = 30


class InvalidToken(Exception):
    pass


@cache
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True)


def verify_token(token: str | None, settings: Settings) -> dict[str, Any]:
    """The token's claims, or InvalidToken. HS256 with JWT_SECRET (local cloud), else RS256/ES256 from the
    issuer's JWKS (JWT_JWKS_URL, default {JWT_ISSUER}/.well-known/jwks.json); audience and issuer checked
    when configured."""
    if not token:
        raise InvalidToken("missing token")
    options = {"require": ["exp", "sub"]}
    try:
        if settings.jwt_secret:
            key: Any = settings.jwt_secret
            algorithms = ["HS256"]
        else:
            if not settings.jwt_issuer:
                raise InvalidToken("no JWT issuer configured")
            url = settings.jwt_jwks_url or f"{settings.jwt_issuer.rstrip('/')}/.well-known/jwks.json"
            key = _jwks_client(url).get_signing_key_from_jwt(token).key
            algorithms = ["RS256", "ES256"]
        return jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=settings.jwt_audience or None,
            issuer=settings.jwt_issuer or None,
            leeway=LEEWAY_S,
            options={**options, "verify_aud": bool(settings.jwt_audience)},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc


def issue_token(sub: str, settings: Settings, ttl_s: int = 12 * 3600, now: float | None = None) -> str:
    """A token the local cloud accepts (HS256 with JWT_SECRET)."""
    import time

    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {"sub": sub, "iat": issued, "exp": issued + ttl_s}
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
