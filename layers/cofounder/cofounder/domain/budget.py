"""Daily budget arithmetic: percentages, thresholds and the UTC-midnight refresh."""

from __future__ import annotations

import hashlib
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


WAKE_SPREAD_S = 300
"""Sleeping jobs wake spread over this many seconds after the refresh, not all at 00:00:00."""
MIN_WAKE_LEAD_S = 60
"""A schedule is created at least this far ahead (EventBridge Scheduler may not fire one set in the past)."""
CONTENTION_BACKOFF_S = 60
"""How long a job sleeps when only other jobs' open reservations (not spend) refused it."""


def wake_fire_at(job_id: str, wake_at: datetime, now: datetime) -> datetime:
    """When the wake schedule fires: `wake_at` plus a spread fixed per job (a retried step schedules the
    same time), never less than MIN_WAKE_LEAD_S from `now`."""
    spread = int.from_bytes(hashlib.sha256(job_id.encode()).digest()[:4], "big") % WAKE_SPREAD_S
    return max(wake_at + timedelta(seconds=spread), now + timedelta(seconds=MIN_WAKE_LEAD_S))


def refused_by_contention(spent: Decimal, budget: Decimal, worst_case: Decimal) -> bool:
    """A refusal the settled spend alone would not cause: other calls in flight hold the rest."""
    return spent + worst_case <= budget
