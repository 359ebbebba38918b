"""Read models for the API: the status bootstrap, and the pages of a founder's jobs, a job's escalations and its
event log. A page is `{<items>: [...], "next_after": <the last item's id> | None}`: null on the last page, else the
`after` that reads the next one. Each page is one bounded read (DynamoDB `Limit` on a key condition)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cofounder.domain.job import Job
from cofounder.errors import InvalidInput
from cofounder.services.escalations import owned_job
from cofounder.services.runtime import Runtime

EVENTS_PAGE = 500
ESCALATIONS_PAGE = 100
JOBS_PAGE = 50


def _one_more(limit: int) -> int:
    """What to read for a page of `limit`: one more item, which only says whether another page follows."""
    if limit < 1:
        raise InvalidInput("limit", "limit: should be at least 1")
    return limit + 1


def _page[T](rows: list[T], limit: int, cursor: Callable[[T], Any]) -> tuple[list[T], Any]:
    if len(rows) > limit:
        return rows[:limit], cursor(rows[limit - 1])
    return rows, None


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


def job_position(job: Job) -> str:
    """Where a job sits in its founder's list (newest first): the `after` of the page that follows it."""
    return f"{job.created_at}#{job.job_id}"


def list_jobs(rt: Runtime, owner_id: str, limit: int = JOBS_PAGE, after: str | None = None) -> dict[str, Any]:
    """The founder's jobs, newest first, from the position `after` (a previous page's next_after) on."""
    jobs, next_after = _page(rt.store.jobs_of(owner_id, _one_more(limit), after), limit, job_position)
    return {"jobs": [job_summary(job) for job in jobs], "next_after": next_after}


def job_escalations(
    rt: Runtime, job_id: str, owner_id: str, after: str | None = None, limit: int = ESCALATIONS_PAGE
) -> dict[str, Any]:
    """The job's escalations in escalation_id order, after the escalation_id `after`."""
    read = _one_more(limit)
    owned_job(rt, job_id, owner_id)
    rows = rt.store.list_escalations(job_id, after, read)
    found, next_after = _page(rows, limit, lambda escalation: escalation.escalation_id)
    return {"escalations": [escalation.public() for escalation in found], "next_after": next_after}


def job_events(rt: Runtime, job_id: str, owner_id: str, after: int = 0, limit: int = EVENTS_PAGE) -> dict[str, Any]:
    """The job's events in order, from the one after the event_id `after`."""
    read = _one_more(limit)
    owned_job(rt, job_id, owner_id)
    rows = rt.store.events_after(job_id, after, read)
    events, next_after = _page(rows, limit, lambda event: event["event_id"])
    return {"events": events, "next_after": next_after}
