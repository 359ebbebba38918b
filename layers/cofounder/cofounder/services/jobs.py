"""Creating a job: validate, persist with its first message and event, enqueue the first step."""

from __future__ import annotations

import uuid
from decimal import ROUND_CEILING, Decimal

from cofounder import clock
from cofounder.domain.conversation import goal_message
from cofounder.domain.job import Job
from cofounder.domain.pricing import UnknownModelError, price_of
from cofounder.errors import InvalidInput
from cofounder.services.runtime import Runtime
from cofounder.services.transition import Change, apply

MAX_GOAL = 4000
BUDGET_PRECISION = Decimal("1e-9")


def create_job(
    rt: Runtime, owner_id: str, goal: str, daily_budget_usd: Decimal | None = None, model: str | None = None
) -> Job:
    """Raises InvalidInput naming the field for an unpriced model, an invalid goal or budget."""
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
    change = Change(messages=[("user", goal_message(goal))], continues=True)
    return apply(rt, job, change, now, creating=True)
