from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from cofounder.domain.budget import (
    budget_pct,
    can_cover,
    day_key,
    iso_utc,
    next_refresh,
    reached_graceful,
    seconds_until,
)


def test_budget_pct_floors_and_clamps():
    assert budget_pct(Decimal("0"), Decimal("10")) == 0
    assert budget_pct(Decimal("0.999"), Decimal("10")) == 9
    assert budget_pct(Decimal("8.9999"), Decimal("10")) == 89
    assert budget_pct(Decimal("9"), Decimal("10")) == 90
    assert budget_pct(Decimal("10"), Decimal("10")) == 100
    assert budget_pct(Decimal("25"), Decimal("10")) == 100
    assert budget_pct(Decimal("-1"), Decimal("10")) == 0
    assert budget_pct(Decimal("1"), Decimal("0")) == 100


@given(st.decimals(min_value=0, max_value=10_000, places=6), st.decimals(min_value="0.01", max_value=1000, places=2))
def test_budget_pct_is_an_int_in_range_and_monotonic(spent, budget):
    pct = budget_pct(spent, budget)
    assert isinstance(pct, int)
    assert 0 <= pct <= 100
    assert budget_pct(spent + 1, budget) >= pct


def test_next_refresh_is_the_next_midnight_utc():
    assert next_refresh(datetime(2026, 11, 25, 17, 0, tzinfo=UTC)) == datetime(2026, 11, 26, tzinfo=UTC)
    assert next_refresh(datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC)) == datetime(2026, 11, 26, tzinfo=UTC)
    assert next_refresh(datetime(2026, 11, 25, 0, 0, tzinfo=UTC)) == datetime(2026, 11, 26, tzinfo=UTC)
    assert next_refresh(datetime(2026, 12, 31, 12, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)
    tokyo = datetime(2026, 11, 26, 8, 0, tzinfo=UTC).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    assert next_refresh(tokyo) == datetime(2026, 11, 27, tzinfo=UTC)


NAIVE_MIN, NAIVE_MAX = datetime(2000, 1, 1), datetime(2100, 1, 1)  # noqa: DTZ001 (hypothesis wants naive bounds)


@given(st.datetimes(min_value=NAIVE_MIN, max_value=NAIVE_MAX, timezones=st.just(UTC)))
def test_next_refresh_is_within_a_day_and_at_midnight(now):
    refresh = next_refresh(now)
    assert now < refresh <= now + timedelta(days=1)
    assert (refresh.hour, refresh.minute, refresh.second, refresh.microsecond) == (0, 0, 0, 0)
    assert day_key(refresh) != day_key(now)


def test_seconds_until_rounds_up_and_is_at_least_one():
    now = datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC)
    assert seconds_until(next_refresh(now), now) == 1
    assert seconds_until(now, now) == 1
    assert seconds_until(now - timedelta(hours=1), now) == 1
    half = datetime(2026, 11, 25, 23, 59, 58, 500000, tzinfo=UTC)
    assert seconds_until(next_refresh(half), half) == 2


def test_day_key_and_iso():
    assert day_key(datetime(2026, 11, 25, 23, 59, tzinfo=UTC)) == "2026-11-25"
    assert iso_utc(datetime(2026, 11, 26, tzinfo=UTC)) == "2026-11-26T00:00:00Z"


def test_graceful_threshold_and_cover():
    assert not reached_graceful(Decimal("8.99"), Decimal(10))
    assert reached_graceful(Decimal("9"), Decimal(10))
    assert reached_graceful(Decimal("5"), Decimal(10), Decimal("0.5"))
    assert can_cover(Decimal(5), Decimal(2), Decimal(10), Decimal(3))
    assert not can_cover(Decimal(5), Decimal(2), Decimal(10), Decimal("3.01"))


def test_wake_times_are_spread_after_the_refresh_per_job_and_never_in_the_past():
    from datetime import UTC, datetime, timedelta

    from cofounder.domain.budget import MIN_WAKE_LEAD_S, WAKE_SPREAD_S, wake_fire_at

    midnight = datetime(2026, 11, 26, tzinfo=UTC)
    evening = midnight - timedelta(hours=3)
    times = {wake_fire_at(f"job-{i}", midnight, evening) for i in range(50)}
    assert len(times) > 25 and all(midnight <= t < midnight + timedelta(seconds=WAKE_SPREAD_S) for t in times)
    assert wake_fire_at("job-1", midnight, evening) == wake_fire_at("job-1", midnight, evening)  # a retry: same
    late = midnight + timedelta(hours=1)  # committed after the refresh already passed
    assert wake_fire_at("job-1", midnight, late) == late + timedelta(seconds=MIN_WAKE_LEAD_S)


def test_a_refusal_by_other_jobs_reservations_is_told_apart_from_a_spent_budget():
    from decimal import Decimal

    from cofounder.domain.budget import refused_by_contention

    assert refused_by_contention(Decimal("1"), Decimal("10"), Decimal("2"))  # the rest is only reserved
    assert not refused_by_contention(Decimal("9"), Decimal("10"), Decimal("2"))  # really spent
