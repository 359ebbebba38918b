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


class PushFailed(CofounderError):
    """A push to a WebSocket connection failed for another reason than the connection being gone (an error
    answer of the management API, or no answer at all); the client can replay what it missed."""

    def __init__(self, connection_id: str, reason: str, *, status: int | None = None) -> None:
        super().__init__(f"push to {connection_id} failed: {reason}")
        self.connection_id = connection_id
        self.reason = reason
        self.status = status


class InvalidInput(CofounderError, ValueError):
    """A value the runtime refuses (a blank goal, a budget that is not positive); names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class LimitExceeded(CofounderError):
    """A server-side limit refuses the request (too many active jobs): 429."""
