"""Creating a job: validate, persist with its first message and event, enqueue the first step."""

from __future__ import annotations

import uuid
from decimal import ROUND_CEILING, Decimal

from cofounder import clock
from cofounder.domain.conversation import goal_message
from cofounder.domain.job import Job
from cofounder.domain.pricing import UnknownModelError, price_of
from cofounder.errors import ConcurrentUpdate, InvalidInput, LimitExceeded
from cofounder.services.runtime import Runtime
from cofounder.services.transition import Change, apply

MAX_GOAL = 4000
BUDGET_PRECISION = Decimal("1e-9")


def create_job(
    rt: Runtime,
    owner_id: str,
    goal: str,
    daily_budget_usd: Decimal | None = None,
    model: str | None = None,
    *,
    idempotency_key: str | None = None,
) -> Job:
    """Raises InvalidInput naming the field for an unpriced model, an invalid goal or budget (over the stack's
    cap included), LimitExceeded when the founder has too many unfinished jobs. With an `idempotency_key`, the
    same founder sending the same key within 24 h gets the job the first request created."""
    if idempotency_key is not None:
        earlier = _created_for(rt, owner_id, idempotency_key)
        if earlier is not None:
            return earlier
    model = model or rt.settings.default_model
    try:
        price_of(model)
    except UnknownModelError as exc:
        raise InvalidInput("model", str(exc)) from exc
    if not goal.strip() or len(goal) > MAX_GOAL:
        raise InvalidInput("goal", f"goal must have 1..{MAX_GOAL} characters, not only white space")
    budget = rt.settings.default_daily_budget_usd if daily_budget_usd is None else Decimal(daily_budget_usd)
    if budget <= 0:
        raise InvalidInput("daily_budget_usd", "daily_budget_usd must be greater than 0")
    cap = rt.settings.max_daily_budget_usd
    if budget > cap:
        raise InvalidInput("daily_budget_usd", f"daily_budget_usd must be at most {cap} (MaxDailyBudgetUsd)")
    limit = rt.settings.max_active_jobs
    if rt.store.active_jobs_count(owner_id, limit) >= limit:
        raise LimitExceeded(f"You already have {limit} unfinished jobs: let one finish before starting another.")
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
    change = Change(
        messages=[("user", goal_message(goal))],
        continues=True,
        idempotency=None if idempotency_key is None else (owner_id, idempotency_key),
    )
    try:
        return apply(rt, job, change, now, creating=True)
    except ConcurrentUpdate:
        if idempotency_key is None:
            raise
        earlier = _created_for(rt, owner_id, idempotency_key)  # the same key won a race a moment ago
        if earlier is None:
            raise
        return earlier


def _created_for(rt: Runtime, owner_id: str, key: str) -> Job | None:
    job_id = rt.store.idempotent_job(owner_id, key)
    job = rt.store.get_job(job_id) if job_id else None
    return job if job is not None and job.owner_id == owner_id else None
