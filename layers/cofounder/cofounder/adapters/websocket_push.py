"""Pushing events to WebSocket clients through the API Gateway management API."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from cofounder.adapters.subscriber_index import SubscriberIndex
from cofounder.errors import ConnectionGone

log = logging.getLogger(__name__)

MAX_PARALLEL = 32
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=MAX_PARALLEL, thread_name_prefix="push")
    return _pool


class WebSocketPusher:
    def __init__(self, management_client: Any, index: SubscriberIndex) -> None:
        self._api = management_client
        self._index = index

    def send(self, connection_id: str, messages: list[dict[str, Any]]) -> None:
        """Post messages to one connection, in order. Raises ConnectionGone when it has gone away."""
        try:
            for message in messages:
                self._api.post_to_connection(
                    ConnectionId=connection_id, Data=json.dumps(message, default=str).encode()
                )
        except self._api.exceptions.GoneException as exc:  # before ClientError: it is one
            raise ConnectionGone(connection_id) from exc

    def push(self, job_id: str, events: list[dict[str, Any]]) -> None:
        """Fan out to every subscriber in parallel; a gone connection is removed, a failing one never
        stops the others (they can always replay from the event log)."""
        if not events:
            return
        targets = self._index.subscribers(job_id)
        if len(targets) == 1:
            self._deliver(targets[0], events)
        elif targets:
            list(_executor().map(lambda connection_id: self._deliver(connection_id, events), targets))

    def _deliver(self, connection_id: str, events: list[dict[str, Any]]) -> None:
        try:
            self.send(connection_id, events)
        except ConnectionGone:
            log.info("connection %s is gone: removing it", connection_id)
            try:
                self.forget(connection_id)
            except Exception:
                log.exception("could not remove gone connection %s (its TTL will)", connection_id)
        except ClientError as exc:
            log.warning("push to %s failed: %s", connection_id, exc.response.get("Error", {}).get("Code"))
        except Exception:
            log.exception("push to %s failed", connection_id)

    def forget(self, connection_id: str) -> None:
        """Remove exactly this connection and its subscriptions."""
        jobs = self._index.connections.remove(connection_id)
        self._index.removed(jobs, connection_id)
