"""The model is overloaded or rate-limited: the SDK retries, the step succeeds; only spent retries fail a job."""

from __future__ import annotations

import pytest

from cofounder.domain import events
from cofounder.domain.outcomes import Continue, Fail
from cofounder.errors import ModelCallFailed
from tests.support.agent import FINISH, OWNER, note, start, step, types


def test_529_twice_then_success(rt, emulator, clock):
    job = start(rt, emulator, [{"error": {"status": 529, "times": 2}}, note(0), FINISH])
    assert step(rt, job.job_id).outcome == Continue()
    assert len(emulator.requests) == 3  # two overloaded answers, then the turn
    assert types(rt, job.job_id).count(events.STEP_COMPLETED) == 1


def test_429_with_retry_after_then_success(rt, emulator, clock):
    job = start(rt, emulator, [{"error": {"status": 429, "times": 1, "retry_after": 1}}, note(0), FINISH])
    assert step(rt, job.job_id).outcome == Continue()
    times = emulator.request_times
    assert len(times) == 2 and times[1] - times[0] >= 0.9  # the SDK honoured retry-after


def test_spent_retries_leave_the_message_for_sqs_and_fail_only_on_the_last_delivery(rt, emulator, clock):
    job = start(rt, emulator, [{"error": {"status": 529, "times": 100}}, note(0)])
    with pytest.raises(ModelCallFailed):
        step(rt, job.job_id, receive_count=1)  # SQS will redeliver: not a failure of the job yet
    assert rt.store.get_job(job.job_id).state == "working"
    outcome = step(rt, job.job_id, receive_count=rt.settings.max_receive_count).outcome
    assert isinstance(outcome, Fail) and "529" in outcome.reason
    assert types(rt, job.job_id)[-2:] == [events.STATE_CHANGED, events.ERROR]
    # the reservation was released, not charged
    ledger = rt.store._get({"pk": f"OWNER#{OWNER}", "sk": "SPEND#2026-11-25"})
    assert ledger["used"] == 0 and ledger.get("spent", 0) == 0


def test_a_rejected_request_fails_at_once(rt, emulator, clock):
    job = start(rt, emulator, [{"error": {"status": 400, "times": 1}}, note(0)])
    outcome = step(rt, job.job_id).outcome
    assert isinstance(outcome, Fail)
    assert rt.store.get_job(job.job_id).state == "error"
