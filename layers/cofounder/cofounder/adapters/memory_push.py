"""Push adapters that need no network: in-memory (tests) and null (no WebSocket API configured)."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from typing import Any

log = logging.getLogger(__name__)


class MemoryPusher:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.pushed: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.sent: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def push(self, job_id: str, events: list[dict[str, Any]]) -> None:
        with self._lock:
            self.pushed[job_id].extend(events)

    def send(self, connection_id: str, messages: list[dict[str, Any]]) -> None:
        with self._lock:
            self.sent[connection_id].extend(messages)

    def forget(self, connection_id: str) -> None:
        with self._lock:
            self.sent.pop(connection_id, None)


class NullPusher:
    def push(self, job_id: str, events: list[dict[str, Any]]) -> None:
        log.debug("no push endpoint: %d event(s) of job %s only in the event log", len(events), job_id)

    def send(self, connection_id: str, messages: list[dict[str, Any]]) -> None:
        log.debug("no push endpoint: %d message(s) to %s dropped", len(messages), connection_id)

    def forget(self, connection_id: str) -> None:
        return None
