"""The records the runtime keeps: a job with its agent session, messages, escalations, events."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from cofounder.domain.states import AgentState, transition


@dataclass(frozen=True, slots=True)
class Job:
    job_id: str
    session_id: str
    owner_id: str
    goal: str
    model: str
    daily_budget_usd: Decimal
    created_at: str
    state: AgentState = AgentState.WORKING
    version: int = 0
    step: int = 0
    """The index of the next step message to process; every processed step advances it."""
    model_calls: int = 0
    cost_usd: Decimal = Decimal(0)
    last_event_id: int = 0
    message_count: int = 0
    plan: tuple[str, ...] = ()
    recent_calls: tuple[str, ...] = ()
    cap_from: int = 0
    """model_calls at the founder's last input: the step cap counts from here."""
    pending_escalation_id: str | None = None
    held_results: tuple[dict[str, Any], ...] = ()
    """Tool results of the escalating turn, sent back together with the founder's decision."""
    wake_at: str | None = None
    woke_for_step: int | None = None
    summary: str | None = None
    error: str | None = None
    updated_at: str | None = None
    """When the job last changed (every commit sets it): the sweeper finds jobs left idle by it."""

    def moved_to(self, state: AgentState) -> Job:
        if state == self.state:
            return self
        return replace(self, state=transition(self.state, state))

    def evolve(self, **changes: Any) -> Job:
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class Message:
    seq: int
    role: str
    content: tuple[dict[str, Any], ...]

    def as_api(self) -> dict[str, Any]:
        return {"role": self.role, "content": [dict(b) for b in self.content]}


@dataclass(frozen=True, slots=True)
class Escalation:
    escalation_id: str
    job_id: str
    problem: str
    tried: str
    recommended_action: str
    created_at: str
    status: str = "pending"
    decision: str | None = None
    guidance: str | None = None
    resolved_at: str | None = None
    tool_use_id: str | None = None
    kind: str = "founder"

    def public(self) -> dict[str, Any]:
        return {
            "escalation_id": self.escalation_id,
            "job_id": self.job_id,
            "status": self.status,
            "problem": self.problem,
            "tried": self.tried,
            "recommended_action": self.recommended_action,
            "decision": self.decision,
            "guidance": self.guidance,
            "created_at": self.created_at,
            "resolved_at": self.resolved_at,
        }


@dataclass(frozen=True, slots=True)
class JobSnapshot:
    """A job loaded for a step: the record, its conversation and notes."""

    job: Job
    messages: list[Message] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)

