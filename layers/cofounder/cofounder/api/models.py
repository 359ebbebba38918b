"""Request and response bodies of the HTTP API: they validate requests, encode answers and generate the OpenAPI
document. msgspec rather than pydantic: the HTTP handler's cold start pays far less for it
(measured: bench/RESULTS.md, import_ratio_http_api)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from cofounder.domain.pricing import MODELS

ModelId = Literal[tuple(sorted(MODELS))]  # type: ignore[valid-type]
"""The models the runtime can price: any other is refused before a job exists."""

Goal = Annotated[str, Meta(min_length=1, max_length=4000, pattern=r"\S", description="What the agent should achieve.")]
DailyBudget = Annotated[
    float, Meta(gt=0, le=1_000_000, description="The founder's daily budget in USD (default: the stack's).")
]
Model = Annotated[ModelId, Meta(description="A Claude model id or alias (default: the stack's).")]


class CreateJob(Struct, frozen=True):
    goal: Goal
    daily_budget_usd: DailyBudget | None = None
    model: Model | None = None


class JobCreated(Struct):
    job_id: str
    session_id: str
    state: str


class ResolveEscalation(Struct, frozen=True):
    decision: Annotated[str, Meta(min_length=1, max_length=2000)]
    guidance: Annotated[str, Meta(max_length=4000)] | None = None


class EscalationOut(Struct):
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


class JobSummary(Struct):
    job_id: str
    session_id: str
    goal: str
    model: str
    state: str
    daily_budget_usd: float
    steps: int
    cost_usd: float
    created_at: str


class JobList(Struct):
    jobs: Annotated[list[JobSummary], Meta(description="The founder's jobs, newest first.")]
    next_after: Annotated[
        str | None, Meta(description="The `after` that reads the next page (a job_id); null on the last page.")
    ]


class JobStatus(Struct):
    job_id: str
    session_id: str
    state: str
    budget_pct: Annotated[
        int | None, Meta(description="Percent of the daily budget spent (live mirror; null if unknown).")
    ]
    wake_at: Annotated[str | None, Meta(description="When a sleeping agent wakes (live mirror; null if unknown).")]
    pending_escalation: EscalationOut | None
    steps: int
    cost_usd: float


class EscalationList(Struct):
    escalations: Annotated[list[EscalationOut], Meta(description="The job's escalations in escalation_id order.")]
    next_after: Annotated[
        str | None, Meta(description="The `after` that reads the next page (an escalation_id); null on the last page.")
    ]


class EventList(Struct):
    events: Annotated[list[dict[str, Any]], Meta(description="Events in event_id order.")]
    next_after: Annotated[
        int | None, Meta(description="The `after` that reads the next page (an event_id); null on the last page.")
    ]


class ErrorBody(Struct):
    message: str
    fields: list[str] = []
