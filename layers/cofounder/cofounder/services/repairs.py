"""Repairs: what keeps a job from getting stuck when a message, a schedule or a function is lost.

- `sweep` (on a schedule): re-sends the step of a working job left idle (an enqueue that failed after its
  commit, a message lost), wakes a sleeping job whose wake is overdue by more than the spread of wake times
  (a schedule that failed or never fired), and deletes finished jobs past retention.
- `step_dead_lettered` (the step queue's DLQ): a step that could not run in any of its deliveries (timeouts,
  out of memory, throttles, a crash before the handler) fails its job with a founder-readable message; its
  reservation is settled or released then, the function having surely stopped.
- `wake_dead_lettered` (the wake DLQ): the scheduler gave up invoking the wake function: wake it here.

Every repair goes through the same services (`wake`, `fail_job`, the write path) as the normal path, and is
a no-op for a job that moved on meanwhile.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from cofounder.adapters.dynamo_items import FINISHED, SLEEPING, WORKING
from cofounder.domain.budget import WAKE_SPREAD_S, iso_utc
from cofounder.domain.states import TERMINAL, AgentState
from cofounder.services.runtime import Runtime
from cofounder.services.step import fail_job
from cofounder.services.wake import wake

log = logging.getLogger(__name__)

PAGE = 100
DEAD_STEP = (
    "The agent could not finish a step after several attempts (it ran out of time or memory, or the service "
    "was unavailable). The details are in the logs. Retrying the job should work once that is fixed."
)


@dataclass(slots=True)
class SweepReport:
    resent: int = 0
    woken: int = 0
    purged: int = 0


def sweep(rt: Runtime, now: datetime) -> SweepReport:
    settings, report = rt.settings, SweepReport()
    idle_since = iso_utc(now - timedelta(seconds=settings.sweep_idle_s))
    for job_id in rt.store.jobs_in(WORKING, idle_since, PAGE):
        job = rt.store.get_job(job_id)  # the index lags: act on the job as it is now
        if job is not None and job.state is AgentState.WORKING and (job.updated_at or job.created_at) < idle_since:
            log.warning("job %s idle since %s at step %s: sending the step again", job.job_id, job.updated_at, job.step)
            rt.queue.enqueue_step(job.job_id, job.step, job.version)
            report.resent += 1
    grace = max(settings.sweep_wake_grace_s, WAKE_SPREAD_S + 60)  # never before its own spread wake is due
    overdue = iso_utc(now - timedelta(seconds=grace))
    for job_id in rt.store.jobs_in(SLEEPING, overdue, PAGE):
        job = rt.store.get_job(job_id)
        if job is not None and (job.wake_at or "") < overdue and wake(rt, job.job_id, job.session_id):
            log.warning("job %s missed its wake at %s: woken by the sweeper", job.job_id, job.wake_at)
            report.woken += 1
    expired = iso_utc(now - timedelta(days=settings.retention_days))
    for job_id in rt.store.jobs_in(FINISHED, expired, PAGE):
        job = rt.store.get_job(job_id)
        if job is None or (job.state in TERMINAL and (job.updated_at or job.created_at) < expired):
            rt.store.purge(job_id)  # (a job item already gone: a purge cut short, finished now)
            report.purged += 1
    return report


def step_dead_lettered(rt: Runtime, job_id: str, step: int) -> bool:
    """True when the job failed because of it; a job that moved past that step is left alone."""
    job = rt.store.get_job(job_id)
    if job is None or job.step != step or job.state is not AgentState.WORKING:
        return False
    fail_job(rt, job_id, DEAD_STEP)
    return True


def wake_dead_lettered(rt: Runtime, job_id: str, session_id: str) -> bool:
    return wake(rt, job_id, session_id)
