"""Redelivered messages, concurrent jobs of one founder, concurrent resolves."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from cofounder.domain import events
from cofounder.errors import AlreadyResolved
from cofounder.services.escalations import resolve
from localcloud.emulators.moto_patches import serialize_dynamodb
from tests.support.agent import ESCALATE, FINISH, OWNER, note, start, step
from tests.support.cloud import Cloud


def test_a_redelivered_step_message_charges_once_and_publishes_once(rt, emulator, aws, clock):
    cloud = Cloud(aws)
    job = start(rt, emulator, [note(0, usage={"input_tokens": 10_000, "output_tokens": 1000}), FINISH])
    (message,) = cloud.receive()
    cloud.deliver([message])
    spent_once = rt.store.spent(OWNER, "2026-11-25")
    log_once = rt.store.events_after(job.job_id, 0)
    assert spent_once == Decimal("0.015")  # haiku: 10k in + 1k out

    # SQS delivers the same message again (e.g. the delete was lost): nothing is charged, run or published
    assert cloud.deliver([message]) == {"batchItemFailures": []}
    assert rt.store.spent(OWNER, "2026-11-25") == spent_once
    assert rt.store.events_after(job.job_id, 0) == log_once
    assert len(emulator.requests) == 1
    snapshot = rt.store.load(job.job_id)
    assert len(snapshot.messages) == 3 and snapshot.notes == {"k0": "finding 0"}

    # the next step was enqueued exactly once (FIFO deduplication absorbs the resend)
    assert cloud.run_steps() == 1
    assert rt.store.get_job(job.job_id).state == "completed"
    assert [e["event_id"] for e in rt.store.events_after(job.job_id, 0)] == list(range(1, 8))


def test_a_step_retried_after_the_model_call_reuses_its_reservation(rt, emulator, aws, clock):
    """A crash after reserving (before the commit) must not reserve the budget twice on the retry."""
    job = start(rt, emulator, [note(0), FINISH])
    original_commit = rt.store.commit
    calls = {"n": 0}

    def crash_once(commit):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("lambda died before the commit")
        original_commit(commit)

    rt.store.commit = crash_once
    with pytest.raises(ConnectionError):
        step(rt, job.job_id)
    step(rt, job.job_id, receive_count=2)
    ledger = rt.store._get({"pk": f"OWNER#{OWNER}", "sk": "SPEND#2026-11-25"})
    assert ledger["used"] == ledger["spent"]  # the reservation was settled once, nothing left dangling
    assert not [k for k in ledger if k.startswith("r:")]
    assert [e["type"] for e in rt.store.events_after(job.job_id, 0)].count(events.STEP_COMPLETED) == 1


def test_concurrent_jobs_of_one_founder_never_overshoot_the_daily_budget(rt, emulator, aws, clock):
    serialize_dynamodb()  # real DynamoDB applies each conditional write atomically; so must moto here
    # no scripted usage: the emulator bills what the prompt really holds, so no call costs more than
    # its worst case, and the reservations alone must keep the sum under the budget
    turns = [note(i, text="r" * 4000) for i in range(40)]
    budget = Decimal("1.00")  # opus-4-1: a call's worst case is ~$0.35, so at most two fit at once
    jobs = [start(rt, emulator, turns, budget=str(budget), model="claude-opus-4-1") for _ in range(4)]
    errors: list[BaseException] = []

    def work(job_id: str) -> None:
        try:
            for _ in range(40):
                current = rt.store.get_job(job_id)
                if current.state != "working":
                    return
                step(rt, job_id)
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(j.job_id,)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    spent = rt.store.spent(OWNER, "2026-11-25")
    states = {rt.store.get_job(j.job_id).state for j in jobs}
    assert states == {"sleeping"}  # every job ran into the shared budget and went to sleep
    assert Decimal("0.30") < spent <= budget
    total_calls = sum(rt.store.get_job(j.job_id).model_calls for j in jobs)
    assert total_calls == len(emulator.requests)
    assert sum(rt.store.get_job(j.job_id).cost_usd for j in jobs) == spent


def test_concurrent_resolves_exactly_one_wins(rt, emulator, aws, clock):
    serialize_dynamodb()
    job = start(rt, emulator, [ESCALATE, FINISH])
    step(rt, job.job_id)
    (escalation,) = rt.store.list_escalations(job.job_id)
    results: list[str] = []
    barrier = threading.Barrier(5)

    def attempt(i: int) -> None:
        barrier.wait()
        try:
            resolve(rt, escalation.escalation_id, OWNER, f"decision {i}")
            results.append("won")
        except AlreadyResolved:
            results.append("conflict")
        except Exception as exc:  # ConcurrentUpdate would also mean "lost"; anything else is a bug
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict"] * 4 + ["won"]
    resolved_events = [e for e in rt.store.events_after(job.job_id, 0) if e["type"] == events.ESCALATION_RESOLVED]
    assert len(resolved_events) == 1
    stored = rt.store.get_escalation(escalation.escalation_id)
    assert stored.status == "resolved" and stored.decision == resolved_events[0]["resolution"]
