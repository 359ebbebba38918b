"""Waking a sleeping agent when its budget refreshes (target of the one-time schedule)."""

from __future__ import annotations

import logging

from cofounder import clock
from cofounder.domain import events
from cofounder.domain.budget import budget_pct, day_key
from cofounder.domain.states import AgentState
from cofounder.services.runtime import Runtime
from cofounder.services.transition import Change, apply

log = logging.getLogger(__name__)


def wake(rt: Runtime, job_id: str, session_id: str) -> bool:
    """True when the job was woken; any other delivery (duplicate, not sleeping, unknown) is a no-op."""
    job = rt.store.get_job(job_id)
    if job is None or job.session_id != session_id:
        log.warning("wake for unknown job/session %s/%s ignored", job_id, session_id)
        return False
    if job.state is not AgentState.SLEEPING:
        if job.state is AgentState.WORKING and job.woke_for_step == job.step:
            # A repeated wake after a crash between our commit and the enqueue: resend (deduplicated).
            rt.queue.enqueue_step(job.job_id, job.step, job.version)
        log.info("wake for job %s in state %s: nothing to do", job_id, job.state)
        return False
    now = clock.now()
    pct = budget_pct(rt.store.spent(job.owner_id, day_key(now)), job.daily_budget_usd)
    change = Change(
        state=AgentState.WORKING,
        fields={"wake_at": None, "woke_for_step": job.step},
        events=[events.woke(pct)],
        continues=True,
        budget_pct=pct,
    )
    apply(rt, job, change, now)
    return True
