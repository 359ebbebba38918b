"""Read models for the API: the status bootstrap and the event log."""

from __future__ import annotations

from typing import Any

from cofounder.domain.job import Job
from cofounder.services.escalations import owned_job
from cofounder.services.runtime import Runtime


def job_status(rt: Runtime, job_id: str, owner_id: str) -> dict[str, Any]:
    """The REST bootstrap: durable state and totals, plus the live Redis mirrors (null when absent)."""
    job = owned_job(rt, job_id, owner_id)
    live = rt.mirror.read(job.session_id)
    pending = None
    if job.pending_escalation_id:
        escalation = rt.store.get_escalation(job.pending_escalation_id, job.job_id)
        if escalation is not None and escalation.status == "pending":
            pending = escalation.public()
    return {
        "job_id": job.job_id,
        "session_id": job.session_id,
        "state": job.state.value,
        "budget_pct": live["budget_pct"],
        "wake_at": live["wake_at"],
        "pending_escalation": pending,
        "steps": job.model_calls,
        "cost_usd": float(job.cost_usd),
    }


def job_summary(job: Job) -> dict[str, Any]:
    return {
        "job_id": job.job_id,
        "session_id": job.session_id,
        "goal": job.goal,
        "model": job.model,
        "state": job.state.value,
        "daily_budget_usd": float(job.daily_budget_usd),
        "steps": job.model_calls,
        "cost_usd": float(job.cost_usd),
        "created_at": job.created_at,
    }


def list_jobs(rt: Runtime, owner_id: str, limit: int = 50) -> list[dict[str, Any]]:
    return [job_summary(job) for job in rt.store.jobs_of(owner_id, limit)]


def job_events(rt: Runtime, job_id: str, owner_id: str, after: int = 0) -> list[dict[str, Any]]:
    owned_job(rt, job_id, owner_id)
    return rt.store.events_after(job_id, after)
