"""Daily budget arithmetic: percentages, thresholds and the UTC-midnight refresh."""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal

DEFAULT_GRACEFUL_THRESHOLD = Decimal("0.90")


def budget_pct(spent: Decimal, budget: Decimal) -> int:
    """floor(spent / budget * 100), clamped to 0..100; a zero budget is fully spent."""
    if budget <= 0:
        return 100
    pct = (Decimal(spent) * 100 / Decimal(budget)).to_integral_value(rounding=ROUND_FLOOR)
    return max(0, min(100, int(pct)))


def day_key(now: datetime) -> str:
    """The UTC day a spend belongs to, e.g. '2026-11-25'."""
    return now.astimezone(UTC).date().isoformat()


def next_refresh(now: datetime) -> datetime:
    """The next midnight UTC strictly after `now`."""
    today = now.astimezone(UTC).date()
    return datetime.combine(today + timedelta(days=1), time(0), tzinfo=UTC)


def seconds_until(when: datetime, now: datetime) -> int:
    """Whole seconds from now to `when`, rounded up and at least 1 (usable as a Redis TTL)."""
    return max(1, math.ceil((when - now).total_seconds()))


def iso_utc(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def reached_graceful(spent: Decimal, budget: Decimal, threshold: Decimal = DEFAULT_GRACEFUL_THRESHOLD) -> bool:
    return spent >= budget * threshold


def can_cover(spent: Decimal, reserved: Decimal, budget: Decimal, worst_case: Decimal) -> bool:
    return spent + reserved + worst_case <= budget


def reservation_key(job_id: str, step: int) -> str:
    """A step's reservation on the ledger: one per job and step, so a redelivered step finds its own."""
    return f"{job_id}#{step}"
