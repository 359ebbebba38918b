"""Verifying a founder's JWT where API Gateway does not (the WebSocket `$connect`), with the rules of the HTTP
API's JWT authorizer: the issuer's keys, `iss`, and the audience in `aud` (or in `client_id` when the token
has no `aud`, as Cognito access tokens do)."""

from __future__ import annotations

import time
from functools import cache
from typing import Any

import jwt

from cofounder.config import Settings

LEEWAY_S = 30
JWKS_REFRESH_COOLDOWN_S = 60.0
"""A token whose `kid` is not in the cached JWKS refetches it at most this often (and a failing endpoint is
retried at most this often): unknown kids cost nothing per request."""
JWKS_TIMEOUT_S = 5.0
ASYMMETRIC = ["RS256", "ES256"]


class InvalidToken(Exception):
    pass


class IssuerKeys(jwt.PyJWKClient):
    """The issuer's JWKS, cached. PyJWT rate-limits refetches for unknown kids after a successful fetch; this
    also rate-limits attempts after a failed one, so an unreachable endpoint is not called (and waited for) on
    every connection. No per-kid cache: a key the issuer withdraws stops working when the cached set expires."""

    def __init__(self, url: str, cooldown_s: float) -> None:
        super().__init__(url, cooldown_duration=cooldown_s, timeout=JWKS_TIMEOUT_S)
        self.cooldown_s = cooldown_s
        self.failed_at: float | None = None

    def fetch_data(self) -> Any:
        if self.failed_at is not None and time.monotonic() - self.failed_at < self.cooldown_s:
            raise jwt.PyJWKClientConnectionError("the JWKS endpoint failed moments ago; not retried yet")
        try:
            data = super().fetch_data()
        except jwt.PyJWKClientError:
            self.failed_at = time.monotonic()
            raise
        self.failed_at = None
        return data


@cache
def issuer_keys(url: str) -> IssuerKeys:
    """One client per JWKS URL per container: its cache outlives the invocation."""
    return IssuerKeys(url, JWKS_REFRESH_COOLDOWN_S)


def _key_and_algorithms(token: str, settings: Settings) -> tuple[Any, list[str]]:
    if settings.hs256_allowed:
        return settings.jwt_secret, ["HS256"]
    if not settings.jwt_issuer:
        raise InvalidToken("no JWT issuer configured")
    url = settings.jwt_jwks_url or f"{settings.jwt_issuer.rstrip('/')}/.well-known/jwks.json"
    return issuer_keys(url).get_signing_key_from_jwt(token).key, ASYMMETRIC


def _check_audience(claims: dict[str, Any], audience: str) -> None:
    """API Gateway's rule: `aud` when the token has one, else `client_id`."""
    if "aud" in claims:
        aud = claims["aud"]
        accepted = audience in aud if isinstance(aud, list) else aud == audience
    else:
        accepted = claims.get("client_id") == audience
    if not accepted:
        raise InvalidToken("the token was not issued for this audience")


def verify_token(token: str | None, settings: Settings) -> dict[str, Any]:
    """The token's claims, or InvalidToken. HS256 with JWT_SECRET only where `settings.hs256_allowed` (the local
    cloud), else RS256/ES256 from the issuer's JWKS (JWT_JWKS_URL, default {JWT_ISSUER}/.well-known/jwks.json);
    audience and issuer checked when configured."""
    if not token:
        raise InvalidToken("missing token")
    try:
        key, algorithms = _key_and_algorithms(token, settings)
        claims = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            issuer=settings.jwt_issuer or None,
            leeway=LEEWAY_S,
            options={"require": ["exp", "sub"], "verify_aud": False},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if settings.jwt_audience:
        _check_audience(claims, settings.jwt_audience)
    return claims


def issue_token(sub: str, settings: Settings, ttl_s: int = 12 * 3600, now: float | None = None) -> str:
    """A token the local cloud accepts (HS256 with JWT_SECRET)."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {"sub": sub, "iat": issued, "exp": issued + ttl_s}
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
