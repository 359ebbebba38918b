"""The last resort when a step cannot run: the job goes to `error` and the founder is told."""

from __future__ import annotations

from cofounder import clock
from cofounder.domain import events
from cofounder.domain.states import TERMINAL, AgentState
from cofounder.services.runtime import Runtime
from cofounder.services.transition import Change, apply


def fail_job(rt: Runtime, job_id: str, reason: str) -> None:
    """`reason` is shown to the founder: plain words, no internal details (those belong in the logs)."""
    job = rt.store.get_job(job_id)
    if job is None or job.state in TERMINAL:
        return
    apply(rt, job, Change(state=AgentState.ERROR, fields={"error": reason}, events=[events.error(reason)]), clock.now())
