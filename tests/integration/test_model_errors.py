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
    assert isinstance(outcome, Fail) and "overloaded" in outcome.reason and "529" not in outcome.reason
    assert types(rt, job.job_id)[-2:] == [events.STATE_CHANGED, events.ERROR]
    # the reservation was released, not charged
    ledger = rt.store._get({"pk": f"OWNER#{OWNER}", "sk": "SPEND#2026-11-25"})
    assert ledger["used"] == 0 and ledger.get("spent", 0) == 0


def test_a_rejected_request_fails_at_once(rt, emulator, clock):
    job = start(rt, emulator, [{"error": {"status": 400, "times": 1}}, note(0)])
    outcome = step(rt, job.job_id).outcome
    assert isinstance(outcome, Fail)
    assert rt.store.get_job(job.job_id).state == "error"


def test_a_transient_failure_comes_back_within_seconds_not_after_the_visibility_timeout(rt, emulator, aws, clock):
    from cofounder.bootstrap import runtime
    from tests.support.cloud import Cloud

    cloud = Cloud(aws)
    start(rt, emulator, [{"error": {"status": 529, "times": 100}}, note(0)])
    delays: list[int] = []
    sqs = runtime(with_model=True).queue._sqs  # the handler's own runtime
    event = "provide-client-params.sqs.ChangeMessageVisibility"
    sqs.meta.events.register(event, lambda params, **_: delays.append(params["VisibilityTimeout"]))
    (message,) = cloud.receive()
    response = cloud.deliver([message])
    assert response["batchItemFailures"] == [{"itemIdentifier": message["MessageId"]}]
    assert delays[0] == 5  # the step asked for a redelivery in 5 s (the queue's timeout is 30 min)


def test_retry_delays_back_off_to_a_minute():
    from cofounder.entrypoints.step_messages import retry_delay_s

    assert [retry_delay_s(n) for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]


def test_the_model_call_ends_before_the_invocation_does():
    from cofounder.adapters.anthropic_model import COMMIT_RESERVE_S, call_limits

    assert call_limits(None, 240, 4) == (240, 4)
    timeout, retries = call_limits(290, 240, 4)
    assert (retries + 1) * timeout <= 290 - COMMIT_RESERVE_S and timeout >= 60
    assert call_limits(50, 240, 4) == (30, 0)  # little time left: one short attempt, no retries
