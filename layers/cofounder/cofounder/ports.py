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
    existing: bool = False
    """It was already open under this key: the step ran before (a redelivery) and may have paid already."""


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
    journal_step: int | None = None
    """The step whose journal this commit closes (deleted with it)."""
    idempotency: tuple[str, str] | None = None
    """(owner_id, key): record that this commit created the job for that Idempotency-Key (once per key)."""


class Store(Protocol):
    def load(self, job_id: str) -> JobSnapshot | None: ...
    def get_job(self, job_id: str) -> Job | None: ...
    def commit(self, commit: Commit) -> None: ...
    def reserve(self, owner_id: str, day: str, key: str, amount: Decimal, budget: Decimal) -> Reservation: ...
    def settle(self, settlement: Settlement) -> bool:
        """Settle or release one open reservation on its own; False when it was no longer open."""
        ...

    def spent(self, owner_id: str, day: str) -> Decimal: ...
    def jobs_in(self, partition: str, before: str, limit: int) -> list[str]: ...
    def active_jobs_count(self, owner_id: str, at_most: int) -> int:
        """How many of the owner's jobs are unfinished, counting no further than `at_most`."""
        ...

    def idempotent_job(self, owner_id: str, key: str) -> str | None:
        """The job created for this Idempotency-Key within its lifetime (24 h), if any."""
        ...

    def purge(self, job_id: str) -> int: ...
    def open_reservation(self, owner_id: str, day: str, key: str) -> Decimal | None:
        """The amount still reserved under `key` that day (None: settled, released or never made)."""
        ...

    def get_escalation(self, escalation_id: str, job_id: str | None = None) -> Escalation | None: ...
    def list_escalations(self, job_id: str, after: str | None = None, limit: int | None = None) -> list[Escalation]:
        """In escalation_id order, from just after the id `after`; at most `limit` (None: all)."""
        ...

    def jobs_of(self, owner_id: str, limit: int = 50, before: str | None = None) -> list[Job]:
        """Newest first; with `before`, only those whose `{created_at}#{job_id}` sorts below it."""
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
    def enqueue_step(self, job_id: str, step: int, version: int) -> None:
        """Send the step message of the job at `version` (the same send twice is deduplicated; a deliberate
        re-send after the job changed is not)."""
        ...

    def retry_later(self, receipt_handle: str, delay_s: int) -> None:
        """Deliver a failed message again after `delay_s` (not after the queue's visibility timeout)."""
        ...


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
    def complete(self, request: ModelRequest, time_left_s: float | None = None) -> ModelResponse:
        """One call (with the SDK's retries) that gives up before `time_left_s` runs out."""
        ...


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """What a step already did and paid for: its model call, and the results of tools that must run once."""

    step: int
    response: ModelResponse
    reservation: Reservation
    results: dict[str, tuple[str, bool]] = field(default_factory=dict)
    """tool_use_id -> (content, is_error) of the journaled tools that completed."""


class StepJournal(Protocol):
    def read(self, job_id: str, step: int) -> JournalEntry | None: ...
    def record_call(self, job_id: str, entry: JournalEntry) -> JournalEntry:
        """Record the paid call (first writer wins); returns the entry that is recorded."""
        ...

    def record_result(self, job_id: str, step: int, tool_use_id: str, content: str, is_error: bool) -> None: ...
