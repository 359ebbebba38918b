"""No job stuck: a lost enqueue, a schedule that could not be made, a dead-lettered step or wake, each repaired;
finished jobs deleted after retention; the job item bounded however long the session."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import boto3
import pytest
from botocore.exceptions import ClientError

from cofounder.adapters.dynamo_items import JOB_SK, job_pk
from cofounder.domain import events
from cofounder.entrypoints.dead_letters import handle_dead_letter
from cofounder.errors import InvalidInput, LimitExceeded
from cofounder.services.escalations import resolve
from cofounder.services.jobs import create_job
from cofounder.services.repairs import sweep
from tests.support.agent import ESCALATE, FINISH, OWNER, note, start, step, tool_turn, types
from tests.support.cloud import Cloud

DAY = "2026-11-25"


def refuse(client, operation: str, times: int = 1) -> dict[str, int]:
    """The next `times` calls of `operation` fail as AWS would, with an error botocore does not retry."""
    seen = {"failed": 0}

    def fail(**_):
        if seen["failed"] < times:
            seen["failed"] += 1
            raise ClientError({"Error": {"Code": "ValidationException", "Message": "injected"}}, operation)

    client.meta.events.register(f"before-call.*.{operation}", fail)
    return seen


def test_a_job_whose_first_step_was_never_sent_is_started_by_the_sweeper(rt, emulator, aws, clock):
    cloud = Cloud(aws)
    refuse(rt.queue._sqs, "SendMessage")
    job = start(rt, emulator, [FINISH])  # created and answered, though its step message was lost
    assert rt.store.get_job(job.job_id).state == "working" and cloud.receive() == []
    assert sweep(rt, clock.now).resent == 0  # not idle long enough: it may still be on its way
    clock.advance(seconds=rt.settings.sweep_idle_s + 1)
    assert sweep(rt, clock.now).resent == 1
    assert cloud.run_steps() == 1
    assert rt.store.get_job(job.job_id).state == "completed"


def test_a_resolve_whose_resume_was_never_sent_is_resumed_by_the_sweeper(rt, emulator, aws, clock):
    cloud = Cloud(aws)
    job = start(rt, emulator, [ESCALATE, FINISH])
    cloud.run_steps()
    (escalation,) = rt.store.list_escalations(job.job_id)
    refuse(rt.queue._sqs, "SendMessage")
    assert resolve(rt, escalation.escalation_id, OWNER, "Go").status == "resolved"  # answered, not a 500
    clock.advance(seconds=rt.settings.sweep_idle_s + 1)
    assert sweep(rt, clock.now).resent == 1
    cloud.run_steps()
    assert rt.store.get_job(job.job_id).state == "completed"


def test_a_sleep_whose_schedule_could_not_be_made_still_wakes(rt, emulator, aws, clock):
    expensive = note(0, usage={"input_tokens": 1_000_000, "output_tokens": 0})  # haiku: $1 of a $1 budget
    job = start(rt, emulator, [expensive, FINISH], budget="1")
    refuse(rt.scheduler._scheduler, "CreateSchedule")
    step(rt, job.job_id)
    slept = rt.store.get_job(job.job_id)
    assert slept.state == "sleeping" and Cloud(aws).schedules() == []
    clock.set(clock.now.replace(hour=0, minute=0) + timedelta(days=1, seconds=rt.settings.sweep_wake_grace_s - 1))
    assert sweep(rt, clock.now).woken == 0  # its own (spread) wake may still come
    clock.advance(seconds=2)
    assert sweep(rt, clock.now).woken == 1
    assert rt.store.get_job(job.job_id).state == "working"
    assert types(rt, job.job_id)[-1] == events.WOKE


def test_a_dead_lettered_step_fails_its_job_plainly_and_releases_its_reservation(rt, emulator, clock):
    job = start(rt, emulator, [note(0), FINISH])
    rt.store.reserve(OWNER, DAY, f"{job.job_id}#0", Decimal("0.5"), Decimal("10"))  # the step died mid-call
    body = json.dumps({"job_id": job.job_id, "step": 0})
    assert handle_dead_letter(rt, body) == "failed"
    failed = rt.store.get_job(job.job_id)
    assert failed.state == "error" and "several attempts" in failed.error and "arn:" not in failed.error
    ledger = rt.store._get({"pk": f"OWNER#{OWNER}", "sk": f"SPEND#{DAY}"})
    assert ledger["used"] == 0 and not [k for k in ledger if k.startswith("r:")]
    assert handle_dead_letter(rt, body) == "nothing"  # a second copy changes nothing
    assert handle_dead_letter(rt, "not json") == "dropped"


def test_a_dead_lettered_wake_wakes_the_job(rt, emulator, clock):
    job = start(rt, emulator, [note(0, usage={"input_tokens": 1_000_000, "output_tokens": 0}), FINISH], budget="1")
    step(rt, job.job_id)
    assert rt.store.get_job(job.job_id).state == "sleeping"
    clock.advance(days=1)
    payload = json.dumps({"job_id": job.job_id, "session_id": job.session_id})
    assert handle_dead_letter(rt, payload) == "woke"
    assert rt.store.get_job(job.job_id).state == "working"


def test_finished_jobs_are_deleted_after_retention_with_their_s3_objects(rt, emulator, aws, clock):
    big = "x" * 70_000  # a message large enough for S3
    job = start(rt, emulator, [tool_turn("finish", {"summary": "done"}, text=big)])
    step(rt, job.job_id)
    other = start(rt, emulator, [note(0), FINISH])  # still working: kept
    s3 = boto3.client("s3")
    assert s3.list_objects_v2(Bucket=aws.ref("PayloadBucket"), Prefix=f"jobs/{job.job_id}/")["KeyCount"] > 0
    clock.advance(days=rt.settings.retention_days - 1)
    assert sweep(rt, clock.now).purged == 0
    clock.advance(days=1, seconds=1)
    assert sweep(rt, clock.now).purged == 1
    assert rt.store.get_job(job.job_id) is None and rt.store.events_after(job.job_id, 0) == []
    assert s3.list_objects_v2(Bucket=aws.ref("PayloadBucket"), Prefix=f"jobs/{job.job_id}/")["KeyCount"] == 0
    assert rt.store.get_job(other.job_id) is not None


def _job_item_bytes(rt, job_id: str) -> int:
    item = rt.store._db.get_item(
        TableName=rt.settings.table_name, Key={"pk": {"S": job_pk(job_id)}, "sk": {"S": JOB_SK}}
    )["Item"]
    return len(json.dumps(item))


def test_the_job_item_stays_small_with_a_thousand_notes(rt, emulator, clock):
    per_turn = 20
    turns = [
        {"content": [{"type": "tool_use", "id": f"t{i}-{j}", "name": "save_note",
                      "input": {"key": f"n{i}-{j}", "text": "finding " * 50}} for j in range(per_turn)]}
        for i in range(1000 // per_turn)
    ]
    job = start(rt, emulator, [*turns, FINISH], budget="100")
    for _ in turns:
        step(rt, job.job_id)
    assert len(rt.store.load(job.job_id).notes) == 1000
    assert _job_item_bytes(rt, job.job_id) < 16_000


def test_large_held_results_live_outside_the_job_item_and_come_back_with_the_decision(rt, emulator, clock):
    big = "y" * 19_000
    turn = {"content": [
        *[{"type": "tool_use", "id": f"n{i}", "name": "save_note", "input": {"key": f"k{i}", "text": big}}
          for i in range(10)],
        {"type": "tool_use", "id": "esc", "name": "escalate_to_founder",
         "input": {"problem": "p", "tried": "t", "recommended_action": "r"}},
    ]}
    job = start(rt, emulator, [turn, FINISH], budget="100")
    step(rt, job.job_id)
    waiting = rt.store.get_job(job.job_id)
    assert len(waiting.held_results) == 10 and _job_item_bytes(rt, job.job_id) < 16_000
    (escalation,) = rt.store.list_escalations(job.job_id)
    resolve(rt, escalation.escalation_id, OWNER, "Go")
    answer = rt.store.load(job.job_id).messages[-1].content
    assert [b["tool_use_id"] for b in answer] == [*[f"n{i}" for i in range(10)], "esc"]


def test_a_turn_runs_at_most_twenty_tool_calls(rt, emulator, clock):
    calls = [
        {"type": "tool_use", "id": f"t{i}", "name": "save_note", "input": {"key": f"k{i}", "text": "x"}}
        for i in range(25)
    ]
    job = start(rt, emulator, [{"content": calls}, FINISH])
    step(rt, job.job_id)
    results = rt.store.load(job.job_id).messages[-1].content
    assert len(results) == 25 and [bool(r.get("is_error")) for r in results] == [False] * 20 + [True] * 5
    assert len(rt.store.load(job.job_id).notes) == 20


def test_server_side_limits_on_create(rt, emulator, clock):
    rt.settings = replace(rt.settings, max_daily_budget_usd=Decimal(50), max_active_jobs=2)
    with pytest.raises(InvalidInput) as too_much:
        create_job(rt, OWNER, "goal", Decimal(51))
    assert too_much.value.field == "daily_budget_usd" and "50" in str(too_much.value)
    create_job(rt, OWNER, "goal", Decimal(5))
    create_job(rt, OWNER, "goal", Decimal(5))
    with pytest.raises(LimitExceeded):
        create_job(rt, OWNER, "goal", Decimal(5))
    create_job(rt, "another-founder", "goal", Decimal(5))  # the cap is per founder


def test_an_idempotency_key_returns_the_first_job(rt, emulator, clock):
    first = create_job(rt, OWNER, "goal", Decimal(5), idempotency_key="k-1")
    again = create_job(rt, OWNER, "goal", Decimal(5), idempotency_key="k-1")
    assert again.job_id == first.job_id
    assert create_job(rt, "another-founder", "goal", Decimal(5), idempotency_key="k-1").job_id != first.job_id
    assert create_job(rt, OWNER, "goal", Decimal(5), idempotency_key="k-2").job_id != first.job_id
    clock.advance(hours=25)  # the key's 24 h are over (the TTL may not have deleted it yet)
    rt.store._db.update_item(  # as if written 25 hours ago: the store compares with wall-clock time
        TableName=rt.settings.table_name,
        Key={"pk": {"S": f"OWNER#{OWNER}"}, "sk": {"S": "IDEM#k-1"}},
        UpdateExpression="SET expires_at = :t",
        ExpressionAttributeValues={":t": {"N": "1"}},
    )
    assert create_job(rt, OWNER, "goal", Decimal(5), idempotency_key="k-1").job_id != first.job_id
