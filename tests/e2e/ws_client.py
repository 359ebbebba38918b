"""A WebSocket client that collects a job's events in the background, like a browser tab does."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from websockets.sync.client import connect


class EventStream:
    def __init__(self, url: str, token: str) -> None:
        self.connection = connect(f"{url}?token={token}")
        self.messages: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for raw in self.connection:
                with self._changed:
                    self.messages.append(json.loads(raw))
                    self._changed.notify_all()
        except Exception:
            pass

    def subscribe(self, job_id: str, after: int = 0) -> None:
        self.connection.send(json.dumps({"action": "subscribe", "job_id": job_id, "after": after}))

    def events(self) -> list[dict[str, Any]]:
        with self._changed:
            return [m for m in self.messages if m.get("type", "").startswith("agent.")]

    def wait_for(self, event_type: str, timeout: float = 30, count: int = 1) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [m for m in self.messages if m.get("type") == event_type]
                if len(found) >= count:
                    return found[count - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [m.get("type") for m in self.messages]
                    raise AssertionError(f"no {event_type} within {timeout}s; saw {seen}")
                self._changed.wait(left)

    def close(self) -> None:
        self.connection.close()
        self._thread.join(timeout=5)
