"""The Redis live mirrors: exact keys, values and TTLs (the seed's three gaps)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cofounder.adapters.redis_mirror import RedisMirror, budget_pct_key, state_key, wake_at_key
from tests.support.agent import note, start, step


def test_budget_pct_written_after_every_model_call_as_int_with_ttl_at_most_90s(rt, emulator, redis_client, clock):
    job = start(rt, emulator, [note(i, usage={"input_tokens": 1000, "output_tokens": 1000}) for i in range(3)])
    key = budget_pct_key(job.session_id)
    assert redis_client.get(key) is None  # nothing before the first call
    seen = []
    for _ in range(3):
        step(rt, job.job_id)
        raw = redis_client.get(key)
        assert raw is not None and raw.isdigit()
        assert 0 < redis_client.ttl(key) <= 90
        seen.append(int(raw))
    # haiku: 1000 in + 1000 out = $0.006 per call, of a $10 budget -> 0 %; the value is the floor
    assert seen == [0, 0, 0]
    pushed = [e["budget_pct"] for e in rt.pusher.pushed[job.job_id] if e["type"] == "agent.budget_updated"]
    assert pushed == seen


def test_budget_pct_tracks_the_owner_spend(rt, emulator, redis_client, clock):
    usage = {"input_tokens": 100_000, "output_tokens": 10_000}  # haiku: $0.15 per call
    job = start(rt, emulator, [note(i, usage=usage) for i in range(3)], budget="1")
    values = []
    for _ in range(3):
        step(rt, job.job_id)
        values.append(int(redis_client.get(budget_pct_key(job.session_id))))
    assert values == [15, 30, 45]


@pytest.mark.parametrize(
    ("now", "ttl"),
    [
        (datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC), 12 * 3600),
        (datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC), 1),
        (datetime(2026, 11, 25, 23, 59, 59, 900000, tzinfo=UTC), 1),
    ],
)
def test_wake_at_written_on_sleep_with_next_midnight_and_ttl_to_it(rt, emulator, redis_client, clock, now, ttl):
    clock.set(now)
    expensive = note(0, usage={"input_tokens": 1_000_000})  # haiku $1.00 of a $1 budget
    job = start(rt, emulator, [expensive], budget="1")
    assert redis_client.get(wake_at_key(job.session_id)) is None
    step(rt, job.job_id)
    assert redis_client.get(state_key(job.session_id)) == "sleeping"
    assert redis_client.get(wake_at_key(job.session_id)) == "2026-11-26T00:00:00Z"
    assert ttl - 1 <= redis_client.ttl(wake_at_key(job.session_id)) <= ttl
    assert redis_client.ttl(wake_at_key(job.session_id)) >= 1


def test_state_written_on_every_transition_with_ttl_90000(rt, emulator, redis_client, clock):
    job = start(rt, emulator, [note(0)])
    key = state_key(job.session_id)
    assert redis_client.get(key) == "working"
    assert 89_990 <= redis_client.ttl(key) <= 90_000


def test_mirror_read_returns_nulls_for_missing_keys_and_when_redis_is_down(redis_client):
    mirror = RedisMirror.from_url("redis://127.0.0.1:1/0")
    mirror.write("s1", state="working", budget_pct=5)  # logged, not raised
    assert mirror.read("s1") == {"state": None, "budget_pct": None, "wake_at": None}
    live = RedisMirror(redis_client)
    assert live.read("nobody") == {"state": None, "budget_pct": None, "wake_at": None}
    live.write("s2", budget_pct=42)
    assert live.read("s2") == {"state": None, "budget_pct": 42, "wake_at": None}
