"""The local cloud's one clock: wall time plus an offset that `advance` moves (time travel for sleeps).

The runtime's `cofounder.clock`, the scheduler and the model emulator's cache TTLs all read it.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class LocalClock:
    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()
        self._moved = threading.Condition(self._lock)

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def timestamp(self) -> float:
        return self.now().timestamp()

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._moved:
            self._offset += timedelta(seconds=seconds)
            self._moved.notify_all()
            return datetime.now(UTC) + self._offset

    def wait(self, timeout: float) -> None:
        """Sleep up to `timeout` seconds of wall time, waking early when the clock is advanced."""
        with self._moved:
            self._moved.wait(timeout)
