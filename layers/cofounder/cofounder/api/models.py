"""Request and response bodies of the HTTP API (they generate its OpenAPI document)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cofounder.domain.pricing import MODELS

ModelId = Literal[tuple(sorted(MODELS))]  # type: ignore[valid-type]
"""The models the runtime can price: any other is refused before a job exists."""


class CreateJob(BaseModel):
    goal: str = Field(min_length=1, max_length=4000, description="What the agent should achieve.")
    daily_budget_usd: float | None = Field(
        default=None, gt=0, le=1_000_000, description="The founder's daily budget in USD (default: the stack's)."
    )
    model: ModelId | None = Field(default=None, description="A Claude model id or alias (default: the stack's).")


class JobCreated(BaseModel):
    job_id: str
    session_id: str
    state: str


class ResolveEscalation(BaseModel):
    decision: str = Field(min_length=1, max_length=2000)
    guidance: str | None = Field(default=None, max_length=4000)


class EscalationOut(BaseModel):
    escalation_id: str
    job_id: str
    status: Literal["pending", "resolved"]
    problem: str
    tried: str
    recommended_action: str
    decision: str | None
    guidance: str | None
    created_at: str
    resolved_at: str | None


class JobSummary(BaseModel):
    job_id: str
    session_id: str
    goal: str
    model: str
    state: str
    daily_budget_usd: float
    steps: int
    cost_usd: float
    created_at: str


class JobList(BaseModel):
    jobs: list[JobSummary] = Field(description="The founder's most recent jobs, newest first.")


class JobStatus(BaseModel):
    job_id: str
    session_id: str
    state: str
    budget_pct: int | None = Field(description="Percent of the daily budget spent (live mirror; null if unknown).")
    wake_at: str | None = Field(description="When a sleeping agent wakes (live mirror; null if unknown).")
    pending_escalation: EscalationOut | None
    steps: int
    cost_usd: float


class EscalationList(BaseModel):
    escalations: list[EscalationOut]


class EventList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"description": "Events in event_id order."})
    events: list[dict[str, Any]]


class ErrorBody(BaseModel):
    message: str
    fields: list[str] = []
