"""Escalations: listing them, and resolving one so the agent resumes with the founder's decision."""

from __future__ import annotations

from dataclasses import replace

from cofounder import clock
from cofounder.domain import events
from cofounder.domain.budget import iso_utc
from cofounder.domain.conversation import decision_blocks
from cofounder.domain.job import Escalation, Job
from cofounder.domain.states import AgentState
from cofounder.errors import AlreadyResolved, ConcurrentUpdate, NotFound
from cofounder.services.runtime import Runtime
from cofounder.services.transition import Change, apply


def owned_job(rt: Runtime, job_id: str, owner_id: str) -> Job:
    job = rt.store.get_job(job_id)
    if job is None or job.owner_id != owner_id:
        raise NotFound(f"job {job_id} not found")
    return job


def list_escalations(rt: Runtime, job_id: str, owner_id: str) -> list[Escalation]:
    owned_job(rt, job_id, owner_id)
    return rt.store.list_escalations(job_id)


ATTEMPTS = 3


def resolve(rt: Runtime, escalation_id: str, owner_id: str, decision: str, guidance: str | None = None) -> Escalation:
    """Commit the decision (exactly one concurrent resolve wins), then publish and resume the agent."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _resolve_once(rt, escalation_id, owner_id, decision, guidance)
        except ConcurrentUpdate:
            # The job changed under us (not the escalation: that would be AlreadyResolved): read again.
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _resolve_once(rt: Runtime, escalation_id: str, owner_id: str, decision: str, guidance: str | None) -> Escalation:
    escalation = rt.store.get_escalation(escalation_id)
    job = rt.store.get_job(escalation.job_id) if escalation else None
    if escalation is None or job is None or job.owner_id != owner_id:
        raise NotFound(f"escalation {escalation_id} not found")  # another founder's looks exactly like unknown
    if escalation.status != "pending":
        raise AlreadyResolved(f"escalation {escalation_id} was already resolved at {escalation.resolved_at}")
    now = clock.now()
    resolved = replace(
        escalation, status="resolved", decision=decision, guidance=guidance or None, resolved_at=iso_utc(now)
    )
    answered = events.escalation_resolved(escalation_id, decision, resolved.guidance, resolved.resolved_at)
    if job.state is AgentState.WAITING_FOR_INPUT and job.pending_escalation_id == escalation_id:
        change = Change(
            state=AgentState.WORKING,
            fields={"pending_escalation_id": None, "held_results": (), "recent_calls": (), "cap_from": job.model_calls},
            leading_events=[answered],
            messages=[("user", decision_blocks(job.held_results, escalation.tool_use_id, decision, resolved.guidance))],
            resolved_escalation=resolved,
            continues=True,
        )
    else:  # the job moved on (cancelled, failed): record the answer, resume nothing
        change = Change(leading_events=[answered], resolved_escalation=resolved)
    apply(rt, job, change, now)
    return resolved
