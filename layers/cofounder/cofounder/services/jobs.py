"""Creating a job: validate, persist with its first message and event, enqueue the first step."""

from __future__ import annotations

import uuid
from decimal import ROUND_CEILING, Decimal

from cofounder import clock
from cofounder.domain import events
from cofounder.domain.conversation import goal_message
from cofounder.domain.job import Job, Message
from cofounder.domain.pricing import price_of
from cofounder.errors import InvalidInput
from cofounder.ports import Commit
from cofounder.services.runtime import EventBatch, Runtime

MAX_GOAL = 4000
BUDGET_PRECISION = Decimal("1e-9")


def create_job(
    rt: Runtime, owner_id: str, goal: str, daily_budget_usd: Decimal | None = None, model: str | None = None
) -> Job:
    """Raises UnknownModelError for a model without a price, InvalidInput for an invalid goal or budget."""
    model = model or rt.settings.default_model
    price_of(model)
    if not goal.strip() or len(goal) > MAX_GOAL:
        raise InvalidInput("goal", f"goal must have 1..{MAX_GOAL} characters, not only white space")
    budget = rt.settings.default_daily_budget_usd if daily_budget_usd is None else Decimal(daily_budget_usd)
    if budget <= 0:
        raise InvalidInput("daily_budget_usd", "daily_budget_usd must be greater than 0")
    # Nano-dollar precision, rounded up: any positive budget stays positive and storable (DynamoDB numbers
    # have at most 38 digits and no exponent below -130).
    budget = budget.quantize(BUDGET_PRECISION, rounding=ROUND_CEILING)
    now = clock.now()
    job = Job(
        job_id=str(uuid.uuid4()),
        session_id=str(uuid.uuid4()),
        owner_id=owner_id,
        goal=goal,
        model=model,
        daily_budget_usd=budget,
        created_at=now.isoformat(),
    )
    batch = EventBatch(job, now)
    batch.add(events.STATE_CHANGED, state=job.state.value)
    job = job.evolve(version=1, last_event_id=batch.last_event_id, message_count=1)
    rt.store.commit(
        Commit(
            job=job,
            expected_version=None,
            messages=[Message(0, "user", goal_message(goal))],
            events=batch.items,
        )
    )
    rt.mirror.write(job.session_id, state=job.state.value)
    rt.queue.enqueue_step(job.job_id, job.step)
    rt.pusher.push(job.job_id, batch.items)
    return job
