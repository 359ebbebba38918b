"""Waking (idempotent) and resolving escalations (tenancy, conflicts, resume)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cofounder.domain import events
from cofounder.errors import AlreadyResolved, NotFound
from cofounder.services.escalations import list_escalations, resolve
from cofounder.services.wake import wake
from tests.support.agent import ESCALATE, FINISH, OWNER, note, start, step, types
from tests.support.cloud import Cloud


def sleeping_job(rt, emulator):
    job = start(rt, emulator, [note(0, usage={"input_tokens": 1_000_000}), FINISH], budget="1")
    step(rt, job.job_id)
    assert rt.store.get_job(job.job_id).state == "sleeping"
    return job


def test_wake_is_idempotent_and_ignores_jobs_that_are_not_sleeping(rt, emulator, aws, clock, redis_client):
    cloud = Cloud(aws)
    job = sleeping_job(rt, emulator)
    cloud.sqs.purge_queue(QueueUrl=cloud.queue_url)
    clock.set(datetime(2026, 11, 26, 0, 0, 1, tzinfo=UTC))
    assert wake(rt, job.job_id, job.session_id) is True
    log = rt.store.events_after(job.job_id, 0)
    assert [e["type"] for e in log[-2:]] == [events.STATE_CHANGED, events.WOKE]
    assert log[-1]["budget_pct"] == 0
    assert wake(rt, job.job_id, job.session_id) is False  # second delivery of the same wake
    assert rt.store.events_after(job.job_id, 0) == log
    assert wake(rt, job.job_id, "another-session") is False
    assert wake(rt, "no-such-job", job.session_id) is False
    assert cloud.run_steps() == 1  # one step message, however often the wake came
    assert rt.store.get_job(job.job_id).state == "completed"
    assert wake(rt, job.job_id, job.session_id) is False


def test_resolve_unknown_foreign_and_already_resolved(rt, emulator, aws, clock):
    job = start(rt, emulator, [ESCALATE, FINISH])
    step(rt, job.job_id)
    (escalation,) = list_escalations(rt, job.job_id, OWNER)
    with pytest.raises(NotFound):
        resolve(rt, "no-such-escalation", OWNER, "x")
    with pytest.raises(NotFound):
        resolve(rt, escalation.escalation_id, "someone-else", "x")
    with pytest.raises(NotFound):
        list_escalations(rt, job.job_id, "someone-else")
    resolved = resolve(rt, escalation.escalation_id, OWNER, "Go ahead", "")
    assert resolved.status == "resolved" and resolved.guidance is None
    assert resolved.public()["resolved_at"] == "2026-11-25T12:00:00Z"
    with pytest.raises(AlreadyResolved):
        resolve(rt, escalation.escalation_id, OWNER, "Changed my mind")
    pushed = [e["type"] for e in rt.pusher.pushed[job.job_id]]
    assert pushed == types(rt, job.job_id)  # every logged event was pushed, in order, once
    assert pushed[-2:] == [events.ESCALATION_RESOLVED, events.STATE_CHANGED]
