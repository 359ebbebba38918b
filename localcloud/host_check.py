"""The ``Host`` header check that keeps web pages away from the local cloud (DNS rebinding).

A page on ``http://attacker.example:3000`` whose name an attacker re-points at 127.0.0.1 is same-origin with
itself, so the browser lets it read what the local cloud answers; its requests still say
``Host: attacker.example:3000``. The local servers answer only requests addressed to a loopback name with
their own port: another name or port is 421 Misdirected Request, a missing or malformed header 400.
"""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlsplit

__all__ = ["LOOPBACK_NAMES", "allowed_hosts", "host_problem"]

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
_WILDCARD_ADDRESSES = frozenset({"", "0.0.0.0", "::"})
_DEFAULT_HTTP_PORT = 80


def allowed_hosts(bound_host: str, port: int) -> frozenset[tuple[str, int]]:
    """(name, port) pairs a server bound to ``bound_host:port`` answers: the loopback names, and the bound
    address itself when it is a specific one."""
    names = set(LOOPBACK_NAMES)
    if bound_host not in _WILDCARD_ADDRESSES:
        names.add(bound_host.strip("[]").lower())
    return frozenset((name, port) for name in names)


def host_problem(host_header: str | None, allowed: frozenset[tuple[str, int]]) -> HTTPStatus | None:
    """None when ``Host`` names this server; else the status to answer with (400 or 421)."""
    if not host_header:
        return HTTPStatus.BAD_REQUEST
    try:
        parts = urlsplit(f"//{host_header}")
        port = parts.port
    except ValueError:  # an invalid port or IPv6 literal
        return HTTPStatus.BAD_REQUEST
    if parts.hostname is None or "@" in parts.netloc or parts.path or parts.query or parts.fragment:
        return HTTPStatus.BAD_REQUEST
    if (parts.hostname, port if port is not None else _DEFAULT_HTTP_PORT) not in allowed:
        return HTTPStatus.MISDIRECTED_REQUEST
    return None
