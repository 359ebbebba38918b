"""Events of a job (WebSocket messages and the event log): their type names, spelled only here, and the one
struct every event is built as.

A service says *which* events a change publishes (`EventDraft`s from the builders below); the write path
numbers them (`Event`) after the job's last event id; `Event.as_dict()` is the wire and log form
`{"type", "job_id", "event_id", "timestamp", ...payload}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

STATE_CHANGED: Final = "agent.state_changed"
STEP_COMPLETED: Final = "agent.step_completed"
BUDGET_UPDATED: Final = "agent.budget_updated"
SLEEPING: Final = "agent.sleeping"
WOKE: Final = "agent.woke"
ESCALATION_RAISED: Final = "agent.escalation_raised"
ESCALATION_RESOLVED: Final = "agent.escalation_resolved"
COMPLETED: Final = "agent.completed"
ERROR: Final = "agent.error"

ALL: Final = frozenset(
    {
        STATE_CHANGED,
        STEP_COMPLETED,
        BUDGET_UPDATED,
        SLEEPING,
        WOKE,
        ESCALATION_RAISED,
        ESCALATION_RESOLVED,
        COMPLETED,
        ERROR,
    }
)


@dataclass(frozen=True, slots=True)
class EventDraft:
    """An event a change will publish, before the write path gives it its number and time."""

    type: str
    payload: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in ALL:
            raise ValueError(f"unknown event type {self.type!r}")


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    job_id: str
    event_id: int
    timestamp: str
    payload: Mapping[str, Any]

    @classmethod
    def numbered(cls, draft: EventDraft, job_id: str, event_id: int, at: datetime) -> Event:
        return cls(draft.type, job_id, event_id, at.isoformat().replace("+00:00", "Z"), draft.payload)

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "job_id": self.job_id,
            "event_id": self.event_id,
            "timestamp": self.timestamp,
            **self.payload,
        }


# -- the payload of each type, in one place ------------------------------------------------------------


def state_changed(state: str) -> EventDraft:
    return EventDraft(STATE_CHANGED, {"state": state})


def step_completed(payload: Mapping[str, Any]) -> EventDraft:
    """`step`, `stop_reason`, tokens, `cost_usd`, `tool_calls` (previews), `plan` when it changed."""
    return EventDraft(STEP_COMPLETED, payload)


def budget_updated(budget_pct: int) -> EventDraft:
    return EventDraft(BUDGET_UPDATED, {"budget_pct": budget_pct})


def sleeping(wake_at: str) -> EventDraft:
    return EventDraft(SLEEPING, {"wake_at": wake_at})


def woke(budget_pct: int) -> EventDraft:
    return EventDraft(WOKE, {"budget_pct": budget_pct})


def escalation_raised(escalation_id: str, problem: str, tried: str, recommended_action: str) -> EventDraft:
    return EventDraft(
        ESCALATION_RAISED,
        {
            "escalation_id": escalation_id,
            "problem": problem,
            "tried": tried,
            "recommended_action": recommended_action,
        },
    )


def escalation_resolved(escalation_id: str, resolution: str, guidance: str | None, resolved_at: str) -> EventDraft:
    return EventDraft(
        ESCALATION_RESOLVED,
        {"escalation_id": escalation_id, "resolution": resolution, "guidance": guidance, "resolved_at": resolved_at},
    )


def completed(summary: str) -> EventDraft:
    return EventDraft(COMPLETED, {"summary": summary})


def error(message: str) -> EventDraft:
    return EventDraft(ERROR, {"message": message})
