"""The step's rules: tools, runaway, budget gate, storage and degraded dependencies."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import boto3

from cofounder.adapters.redis_mirror import RedisMirror
from cofounder.domain import events
from cofounder.domain.outcomes import Complete, Continue, Escalate, Sleep
from cofounder.services.escalations import resolve
from tests.support.agent import ESCALATE, FINISH, OWNER, note, start, step, text_turn, tool_turn, types


def test_a_failing_tool_returns_is_error_to_the_model_and_the_agent_goes_on(rt, emulator, clock):
    job = start(rt, emulator, [tool_turn("save_note", {"key": "k"}), tool_turn("no_such_tool", {}), FINISH])
    assert step(rt, job.job_id).outcome == Continue()
    assert step(rt, job.job_id).outcome == Continue()
    assert step(rt, job.job_id).outcome == Complete("All done.")
    second, third = emulator.requests[1], emulator.requests[2]
    missing_text = second["messages"][-1]["content"][0]
    assert missing_text["type"] == "tool_result" and missing_text["is_error"] is True
    assert "text" in missing_text["content"]
    unknown = third["messages"][-1]["content"][0]
    assert unknown["is_error"] is True and "unknown tool 'no_such_tool'" in unknown["content"]
    step_events = [e for e in rt.store.events_after(job.job_id, 0) if e["type"] == events.STEP_COMPLETED]
    assert step_events[0]["tool_calls"][0]["is_error"] is True


def test_text_only_turn_continues_with_a_nudge(rt, emulator, clock):
    job = start(rt, emulator, [text_turn("Thinking out loud."), FINISH])
    assert step(rt, job.job_id).outcome == Continue()
    assert step(rt, job.job_id).outcome == Complete("All done.")
    last = emulator.requests[1]["messages"]
    assert [m["role"] for m in last] == ["user", "assistant", "user"]
    assert "finish(summary)" in last[-1]["content"][0]["text"]


def test_three_identical_calls_in_a_row_escalate_instead_of_running(rt, emulator, clock):
    same = tool_turn("save_note", {"key": "k", "text": "same"})
    job = start(rt, emulator, [same, same, same, FINISH])
    assert step(rt, job.job_id).outcome == Continue()
    assert step(rt, job.job_id).outcome == Continue()
    outcome = step(rt, job.job_id).outcome
    assert isinstance(outcome, Escalate)
    assert outcome.escalation.problem.startswith("I seem stuck")
    assert rt.store.get_job(job.job_id).state == "waiting_for_input"
    (escalation,) = rt.store.list_escalations(job.job_id)
    assert "save_note" in escalation.tried
    # the repeated call was not run: its result tells the model so, and the founder's decision follows
    resolve(rt, escalation.escalation_id, OWNER, "Stop repeating; wrap up")
    assert step(rt, job.job_id).outcome == Complete("All done.")
    final_turn = emulator.requests[3]["messages"][-1]["content"]
    assert final_turn[0]["is_error"] is True and "repeated" in final_turn[0]["content"]
    assert final_turn[-1]["type"] == "text" and "Stop repeating" in final_turn[-1]["text"]


def test_step_cap_escalates_without_a_model_call(rt, emulator, clock):
    rt.settings = replace(rt.settings, step_cap=2)
    job = start(rt, emulator, [note(0), note(1), note(2), FINISH])
    step(rt, job.job_id)
    step(rt, job.job_id)
    outcome = step(rt, job.job_id).outcome
    assert isinstance(outcome, Escalate) and "the cap is 2" in outcome.escalation.problem
    assert len(emulator.requests) == 2
    (escalation,) = rt.store.list_escalations(job.job_id)
    resolve(rt, escalation.escalation_id, OWNER, "Keep going")
    assert step(rt, job.job_id).outcome == Continue()  # the cap counts from the founder's input
    assert len(emulator.requests) == 3


def test_a_call_the_budget_cannot_cover_is_never_started(rt, emulator, clock):
    job = start(rt, emulator, [note(0)], budget="0.02", model="claude-opus-4-1")  # worst case > $0.02
    outcome = step(rt, job.job_id).outcome
    assert outcome.__class__.__name__ == "Fail"
    assert "cannot cover even one model call" in rt.store.get_job(job.job_id).error
    assert emulator.requests == []


def test_when_the_remaining_budget_cannot_cover_the_worst_case_the_agent_sleeps(rt, emulator, clock, redis_client):
    rt.settings = replace(rt.settings, graceful_threshold=Decimal("0.999"))
    job = start(rt, emulator, [text_turn("expensive", usage={"input_tokens": 990_000}), note(1)], budget="1")
    assert step(rt, job.job_id).outcome == Continue()  # haiku: $0.99 of $1.00, under the 99.9 % set here
    # $0.01 left < the next call's worst case (4096 output tokens alone cost $0.02): no call, sleep
    assert step(rt, job.job_id).outcome == Sleep(datetime(2026, 11, 26, tzinfo=UTC))
    assert len(emulator.requests) == 1
    assert rt.store.spent(OWNER, "2026-11-25") == Decimal("0.99")
    assert types(rt, job.job_id)[-3:] == [events.BUDGET_UPDATED, events.STATE_CHANGED, events.SLEEPING]
    assert rt.store.events_after(job.job_id, 0)[-3]["budget_pct"] == 99
    assert rt.store.get_job(job.job_id).state == "sleeping"


def test_redis_down_the_step_still_completes_and_nothing_is_lost(rt, emulator, clock):
    rt.mirror = RedisMirror.from_url("redis://127.0.0.1:1/0")
    job = start(rt, emulator, [note(0), FINISH])
    assert step(rt, job.job_id).outcome == Continue()
    assert step(rt, job.job_id).outcome == Complete("All done.")
    assert types(rt, job.job_id)[-1] == events.COMPLETED
    assert rt.store.get_job(job.job_id).model_calls == 2


def test_large_messages_go_to_s3_and_come_back(rt, emulator, clock, aws):
    big = "x" * 70_000
    job = start(rt, emulator, [tool_turn("save_note", {"key": "big", "text": big[:20_000]}, text=big), FINISH])
    step(rt, job.job_id)
    snapshot = rt.store.load(job.job_id)
    assert snapshot.messages[1].content[0]["text"] == big
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=aws.ref("PayloadBucket"))["Contents"]]
    # the response was journaled through S3 too (too large for an item); retention removes the job's prefix
    assert keys == [f"jobs/{job.job_id}/journal/00000000.json", f"jobs/{job.job_id}/messages/00000001.json"]
    step(rt, job.job_id)
    assert emulator.requests[1]["messages"][1]["content"][0]["text"] == big


def test_sleep_schedule_survives_a_retry_and_moves_an_old_one(rt, emulator, clock, aws):
    scheduler = rt.scheduler
    scheduler.schedule_wake("job-1", "sess-1", datetime(2026, 11, 26, tzinfo=UTC))
    scheduler.schedule_wake("job-1", "sess-1", datetime(2026, 11, 26, tzinfo=UTC))  # ConflictException: fine
    scheduler.schedule_wake("job-1", "sess-1", datetime(2026, 11, 27, tzinfo=UTC))  # an old one is moved
    client = boto3.client("scheduler")
    schedule = client.get_schedule(Name="wake-sess-1", GroupName=aws.ref("WakeScheduleGroup"))
    assert schedule["ScheduleExpression"] == "at(2026-11-27T00:00:00)"
    assert len(client.list_schedules(GroupName=aws.ref("WakeScheduleGroup"))["Schedules"]) == 1


def test_escalation_holds_other_results_until_the_decision(rt, emulator, clock):
    both = {
        "content": [
            {"type": "tool_use", "name": "save_note", "input": {"key": "a", "text": "b"}},
            {"type": "tool_use", "name": "escalate_to_founder", "input": ESCALATE["content"][1]["input"]},
        ]
    }
    job = start(rt, emulator, [both, FINISH])
    assert isinstance(step(rt, job.job_id).outcome, Escalate)
    (escalation,) = rt.store.list_escalations(job.job_id)
    resolve(rt, escalation.escalation_id, OWNER, "Yes", "carefully")
    step(rt, job.job_id)
    answer = emulator.requests[1]["messages"][-1]["content"]
    assert [b["type"] for b in answer] == ["tool_result", "tool_result"]
    assert answer[0]["content"] == "Saved note 'a'."
    assert json.loads(answer[1]["content"]) == {"decision": "Yes", "guidance": "carefully"}


def test_a_job_refused_only_by_other_jobs_open_reservations_sleeps_a_minute_not_until_midnight(rt, emulator, clock):
    job = start(rt, emulator, [note(0), FINISH], budget="1")
    held = rt.store.reserve(OWNER, "2026-11-25", "other-job#0", Decimal("0.999"), Decimal("1"))  # in flight
    assert held.granted
    assert step(rt, job.job_id).outcome == Sleep(clock.now + timedelta(seconds=60))
    slept = rt.store.get_job(job.job_id)
    assert slept.state == "sleeping" and slept.wake_at == "2026-11-25T12:01:00Z"
    assert len(emulator.requests) == 0 and rt.store.spent(OWNER, "2026-11-25") == 0
