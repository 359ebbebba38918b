"""Pushing events to WebSocket clients through the API Gateway management API."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from cofounder.errors import ConnectionGone, PushFailed
from cofounder.ports import ConnectionRegistry

log = logging.getLogger(__name__)

MAX_PARALLEL = 32
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=MAX_PARALLEL, thread_name_prefix="push")
    return _pool


def _encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, default=str).encode()


class Poster(Protocol):
    def post(self, connection_id: str, data: bytes) -> None:
        """One message to one connection; raises ConnectionGone or PushFailed (see `management_api`)."""


class WebSocketPusher:
    def __init__(self, management_api: Poster, connections: ConnectionRegistry) -> None:
        self._api = management_api
        self._connections = connections

    def send(self, connection_id: str, messages: list[dict[str, Any]]) -> None:
        """Post messages to one connection, in order. Raises ConnectionGone when it has gone away."""
        self._post(connection_id, [_encode(message) for message in messages])

    def _post(self, connection_id: str, payloads: list[bytes]) -> None:
        for payload in payloads:
            self._api.post(connection_id, payload)

    def push(self, job_id: str, events: list[dict[str, Any]]) -> None:
        """Fan out to every subscriber in parallel; a gone connection is removed, a failing one never
        stops the others (they can always replay from the event log)."""
        if not events:
            return
        targets = self._connections.subscribers(job_id)
        if not targets:
            return
        payloads = [_encode(event) for event in events]  # once, not once per subscriber
        if len(targets) == 1:
            self._deliver(targets[0], payloads)
        else:
            list(_executor().map(lambda connection_id: self._deliver(connection_id, payloads), targets))

    def _deliver(self, connection_id: str, payloads: list[bytes]) -> None:
        try:
            self._post(connection_id, payloads)
        except ConnectionGone:
            log.info("connection %s is gone: removing it", connection_id)
            try:
                self.forget(connection_id)
            except Exception:
                log.exception("could not remove gone connection %s (its TTL will)", connection_id)
        except PushFailed as exc:
            log.warning("push to %s failed: %s", connection_id, exc.reason)
        except Exception:
            log.exception("push to %s failed", connection_id)

    def forget(self, connection_id: str) -> None:
        """Remove exactly this connection and its subscriptions."""
        self._connections.remove(connection_id)
