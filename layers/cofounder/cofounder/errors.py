"""Domain errors; adapters translate infrastructure errors into these at their edge."""

from __future__ import annotations


class CofounderError(Exception):
    """Base of every error the runtime raises on purpose."""


class NotFound(CofounderError):
    """Unknown, or owned by someone else (the two are indistinguishable on purpose)."""


class AlreadyResolved(CofounderError):
    """The escalation was resolved already."""


class ConcurrentUpdate(CofounderError):
    """Another writer changed the job first (optimistic concurrency); retry from a fresh read."""


class ModelCallFailed(CofounderError):
    def __init__(self, message: str, *, retryable: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status


class ConnectionGone(CofounderError):
    """The WebSocket client went away (410 from the management API)."""
