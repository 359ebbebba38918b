"""The interfaces the services drive; AWS, Redis and Anthropic adapters implement them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from cofounder.domain.conversation import ModelRequest
from cofounder.domain.job import Escalation, Job, JobSnapshot, Message


@dataclass(frozen=True, slots=True)
class Reservation:
    granted: bool
    key: str
    day: str
    amount: Decimal
    spent: Decimal
    """The owner's settled spend that day, as seen when reserving."""


@dataclass(frozen=True, slots=True)
class Settlement:
    """Replace a reservation by the real cost (None: release it unspent)."""

    owner_id: str
    day: str
    key: str
    reserved: Decimal
    cost: Decimal | None


@dataclass(slots=True)
class Commit:
    """Everything one state change writes, atomically."""

    job: Job
    expected_version: int | None
    """None when creating the job."""
    messages: list[Message] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)
    new_escalation: Escalation | None = None
    resolved_escalation: Escalation | None = None
    """Written only if the stored one is still pending."""
    settlement: Settlement | None = None


class Store(Protocol):
    def load(self, job_id: str) -> JobSnapshot | None: ...
    def get_job(self, job_id: str) -> Job | None: ...
    def commit(self, commit: Commit) -> None: ...
    def reserve(self, owner_id: str, day: str, key: str, amount: Decimal, budget: Decimal) -> Reservation: ...
    def settle(self, settlement: Settlement) -> bool:
        """Settle or release one open reservation on its own; False when it was no longer open."""
        ...

    def spent(self, owner_id: str, day: str) -> Decimal: ...
    def get_escalation(self, escalation_id: str, job_id: str | None = None) -> Escalation | None: ...
    def list_escalations(self, job_id: str, after: str | None = None, limit: int | None = None) -> list[Escalation]:
        """In escalation_id order, from just after the id `after`; at most `limit` (None: all)."""
        ...

    def jobs_of(self, owner_id: str, limit: int = 50, after: Job | None = None) -> list[Job]:
        """Newest first, from just after the job `after`."""
        ...

    def events_after(self, job_id: str, after: int, limit: int | None = None) -> list[dict[str, Any]]:
        """In event_id order, above `after`; at most `limit` (None: all)."""
        ...


class Mirror(Protocol):
    def write(
        self,
        session_id: str,
        *,
        state: str | None = None,
        budget_pct: int | None = None,
        wake_at: datetime | None = None,
    ) -> None: ...
    def read(self, session_id: str) -> dict[str, Any]: ...


class StepQueue(Protocol):
    def enqueue_step(self, job_id: str, step: int) -> None: ...


class WakeScheduler(Protocol):
    def schedule_wake(self, job_id: str, session_id: str, at: datetime) -> None: ...


class ConnectionRegistry(Protocol):
    """WebSocket connections: whose they are and which jobs they follow."""

    def put_connection(self, connection_id: str, owner_id: str, connected_at: str) -> None: ...
    def owner_of(self, connection_id: str) -> str | None: ...
    def subscribe(self, connection_id: str, job_id: str) -> None: ...
    def unsubscribe(self, connection_id: str, job_id: str) -> None: ...
    def remove(self, connection_id: str) -> list[str]:
        """Forget the connection and its subscriptions; returns the jobs it followed."""
        ...

    def subscribers(self, job_id: str) -> list[str]: ...


class Pusher(Protocol):
    def push(self, job_id: str, events: list[dict[str, Any]]) -> None:
        """Deliver a job's new events to its live subscribers (best effort: the log is the truth)."""
        ...

    def send(self, connection_id: str, messages: list[dict[str, Any]]) -> None:
        """Post messages to one connection, in order; raises ConnectionGone if it went away."""
        ...

    def forget(self, connection_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class ModelResponse:
    content: list[dict[str, Any]]
    stop_reason: str | None
    usage: dict[str, Any]
    model: str


class Model(Protocol):
    def complete(self, request: ModelRequest) -> ModelResponse: ...
