"""The WebSocket's JWT check: API Gateway's audience rule, HS256 only off Lambda, and a JWKS that unknown kids
cannot make us refetch on every connection."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from cofounder import auth
from cofounder.auth import InvalidToken, issue_token, verify_token
from cofounder.config import Settings

ISSUER = "https://issuer.example"
AUDIENCE = "cofounder-web"
SECRET = "a-local-secret-of-at-least-32-bytes!"
COOLDOWN_S = 0.5
ISSUER_KEY, OTHER_KEY = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))


class Jwks:
    """An issuer's JWKS endpoint on a real local port; counts the fetches."""

    def __init__(self) -> None:
        self.key = ISSUER_KEY
        self.kid = "key-1"
        self.fetches = 0
        self.failing = False
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                jwks.fetches += 1
                if jwks.failing:
                    self.send_response(503)
                    self.end_headers()
                    return
                public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(jwks.key.public_key()))
                body = json.dumps({"keys": [public | {"kid": jwks.kid, "use": "sig", "alg": "RS256"}]}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, kid: str | None = None, **claims: object) -> str:
        now = int(time.time())
        body = {"sub": "founder-1", "iss": ISSUER, "iat": now, "exp": now + 600} | claims
        return jwt.encode(body, self.key, algorithm="RS256", headers={"kid": kid or self.kid})


@pytest.fixture(scope="module")
def jwks_server():
    server = Jwks()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def jwks(jwks_server, monkeypatch):
    monkeypatch.setattr(auth, "JWKS_REFRESH_COOLDOWN_S", COOLDOWN_S)
    jwks_server.kid, jwks_server.fetches, jwks_server.failing = "key-1", 0, False
    auth.issuer_keys.cache_clear()
    yield jwks_server
    auth.issuer_keys.cache_clear()


def settings(**changes: object) -> Settings:
    base = Settings.from_env({"JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE})
    return replace(base, **changes)


@pytest.mark.parametrize(
    "claims",
    [{"aud": AUDIENCE}, {"aud": ["other", AUDIENCE]}, {"client_id": AUDIENCE, "token_use": "access"}],
)
def test_the_audience_may_be_in_aud_or_in_client_id(jwks, claims):
    assert verify_token(jwks.token(**claims), settings(jwt_jwks_url=jwks.url))["sub"] == "founder-1"


@pytest.mark.parametrize(
    "claims",
    [{}, {"aud": "other"}, {"client_id": "other"}, {"aud": "other", "client_id": AUDIENCE}, {"aud": 7}],
)
def test_a_token_for_another_audience_is_refused(jwks, claims):
    # Like API Gateway: client_id counts only when the token has no aud.
    with pytest.raises(InvalidToken):
        verify_token(jwks.token(**claims), settings(jwt_jwks_url=jwks.url))


def test_issuer_signature_and_expiry_are_checked(jwks):
    config = settings(jwt_jwks_url=jwks.url)
    with pytest.raises(InvalidToken):
        verify_token(jwks.token(aud=AUDIENCE, iss="https://someone.else"), config)
    with pytest.raises(InvalidToken):
        verify_token(jwks.token(aud=AUDIENCE, exp=int(time.time()) - 3600), config)
    forged = jwt.encode(
        {"sub": "x", "iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60},
        OTHER_KEY,
        algorithm="RS256",
        headers={"kid": jwks.kid},
    )
    with pytest.raises(InvalidToken):
        verify_token(forged, config)


def test_hs256_is_the_local_clouds_only():
    local = settings(jwt_secret=SECRET)
    token = issue_token("founder-1", local)
    assert local.hs256_allowed and verify_token(token, local)["sub"] == "founder-1"
    on_lambda = Settings.from_env(
        {"JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE, "JWT_SECRET": SECRET, "AWS_LAMBDA_FUNCTION_NAME": "ws"}
    )
    assert on_lambda.on_lambda and not on_lambda.hs256_allowed
    with_jwks = settings(jwt_secret=SECRET, jwt_jwks_url="http://127.0.0.1:1/jwks.json")
    assert not with_jwks.hs256_allowed


def test_on_lambda_a_token_signed_with_the_secret_is_refused(jwks):
    config = settings(jwt_secret=SECRET, jwt_jwks_url=jwks.url, on_lambda=True)
    with pytest.raises(InvalidToken):
        verify_token(issue_token("founder-1", config), config)
    assert verify_token(jwks.token(aud=AUDIENCE), config)["sub"] == "founder-1"


def test_an_hs256_token_signed_with_the_public_key_is_refused(jwks):
    """The classic algorithm confusion: the JWKS path accepts asymmetric algorithms only."""
    pem = jwks.key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": jwks.kid}).encode())
    claims = _b64(json.dumps({"sub": "x", "iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60}).encode())
    signature = _b64(hmac.new(pem, f"{header}.{claims}".encode(), hashlib.sha256).digest())
    with pytest.raises(InvalidToken):
        verify_token(f"{header}.{claims}.{signature}", settings(jwt_jwks_url=jwks.url))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_unknown_kids_refetch_the_jwks_at_most_once_per_cooldown(jwks):
    config = settings(jwt_jwks_url=jwks.url)
    assert verify_token(jwks.token(aud=AUDIENCE), config)
    assert jwks.fetches == 1
    for i in range(20):
        with pytest.raises(InvalidToken):
            verify_token(jwks.token(kid=f"unknown-{i}", aud=AUDIENCE), config)
    assert jwks.fetches == 1  # inside the cooldown: no fetch at all
    time.sleep(COOLDOWN_S + 0.1)
    jwks.kid = "key-2"  # the issuer rotated its key: the first token with the new kid refetches once
    assert verify_token(jwks.token(aud=AUDIENCE), config)
    for i in range(20):
        with pytest.raises(InvalidToken):
            verify_token(jwks.token(kid=f"unknown-again-{i}", aud=AUDIENCE), config)
    assert jwks.fetches == 2


def test_an_unreachable_jwks_is_retried_at_most_once_per_cooldown(jwks):
    config = settings(jwt_jwks_url=jwks.url)
    jwks.failing = True
    for _ in range(10):
        with pytest.raises(InvalidToken):
            verify_token(jwks.token(aud=AUDIENCE), config)
    assert jwks.fetches == 1
    jwks.failing = False
    time.sleep(COOLDOWN_S + 0.1)
    assert verify_token(jwks.token(aud=AUDIENCE), config)["sub"] == "founder-1"
    assert jwks.fetches == 2
