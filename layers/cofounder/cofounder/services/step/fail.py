"""The last resort when a step cannot run: the job goes to `error` and the founder is told.

The step is known not to be running (it raised in this invocation), so its reservation is closed here:
settled at the real cost when its journal holds a paid call (the money was spent), released otherwise.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cofounder import clock
from cofounder.domain import events
from cofounder.domain.budget import day_key, reservation_key
from cofounder.domain.job import Job
from cofounder.domain.pricing import Usage, cost_usd
from cofounder.domain.states import TERMINAL, AgentState
from cofounder.ports import Settlement
from cofounder.services.runtime import Runtime
from cofounder.services.transition import Change, apply


def fail_job(rt: Runtime, job_id: str, reason: str) -> None:
    """`reason` is shown to the founder: plain words, no internal details (those belong in the logs)."""
    job = rt.store.get_job(job_id)
    if job is None or job.state in TERMINAL:
        return
    now = clock.now()
    fields: dict[str, Any] = {"error": reason}
    settlement, journal_step = None, None
    entry = rt.journal.read(job.job_id, job.step)
    if entry is not None:
        cost = cost_usd(job.model, Usage.from_api(entry.response.usage))
        r = entry.reservation
        settlement, journal_step = Settlement(job.owner_id, r.day, r.key, r.amount, cost), job.step
        fields.update(model_calls=job.model_calls + 1, cost_usd=job.cost_usd + cost)
    else:
        settlement = _open_reservation(rt, job, day_key(now), day_key(now - timedelta(days=1)))
    change = Change(
        state=AgentState.ERROR,
        fields=fields,
        events=[events.error(reason)],
        settlement=settlement,
        journal_step=journal_step,
    )
    apply(rt, job, change, now)


def _open_reservation(rt: Runtime, job: Job, *days: str) -> Settlement | None:
    key = reservation_key(job.job_id, job.step)
    for day in days:
        amount = rt.store.open_reservation(job.owner_id, day, key)
        if amount is not None:
            return Settlement(job.owner_id, day, key, amount, None)
    return None
