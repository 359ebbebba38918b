"""A whole agent session in-process: real Redis, moto built from template.yaml, the real anthropic SDK
talking to the model emulator over HTTP, and the real handlers driven like SQS and the Scheduler would."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cofounder.adapters.redis_mirror import budget_pct_key, state_key, wake_at_key
from cofounder.bootstrap import runtime
from cofounder.domain import events
from cofounder.domain.budget import wake_fire_at
from cofounder.services.escalations import resolve
from cofounder.services.jobs import create_job
from localcloud.emulators.model import load_scenario
from tests.support.cloud import ROOT, Cloud

SCENARIO = load_scenario(ROOT / "localcloud/scenarios/default.json")
OWNER = "founder-1"


def event_types(log):
    return [e["type"] for e in log]


@pytest.mark.parametrize("streaming_model", ["claude-sonnet-4-6"])
def test_plan_escalate_resolve_sleep_wake_finish(aws, emulator, redis_client, clock, streaming_model):
    emulator.set_scenario(SCENARIO)
    emulator.clear_requests()
    cloud = Cloud(aws)
    rt = runtime(with_model=True)
    job = create_job(rt, OWNER, "Validate demand for a B2B invoicing tool", Decimal("1.00"), streaming_model)
    assert redis_client.get(state_key(job.session_id)) == "working"

    # plan, note, escalate: three steps, then the agent waits for the founder
    assert cloud.run_steps() == 3
    snapshot = rt.store.load(job.job_id)
    assert snapshot.job.state == "waiting_for_input"
    assert snapshot.job.plan[0].startswith("Interview 10 finance leads")
    assert "competitors" in snapshot.notes
    assert redis_client.get(state_key(job.session_id)) == "waiting_for_input"
    (pending,) = rt.store.list_escalations(job.job_id)
    assert pending.status == "pending"
    assert pending.recommended_action.startswith("Approve a $300 LinkedIn campaign")

    # every model call went through the SDK with streaming, metadata and cache breakpoints
    requests = emulator.requests
    assert len(requests) == 3
    for request in requests:
        assert request["stream"] is True
        assert request["metadata"] == {"user_id": job.session_id}
        assert request["system"][-1]["cache_control"] == {"type": "ephemeral"}
        assert request["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
        assert {t["name"] for t in request["tools"]} >= {"escalate_to_founder", "finish", "save_note"}

    # the founder resolves; the decision reaches the model as the escalate_to_founder tool result
    resolved = resolve(rt, pending.escalation_id, OWNER, "Approved: run the $300 campaign", "One week only")
    assert resolved.status == "resolved"
    assert cloud.run_steps() == 1  # the expensive turn: crosses 90 % and sleeps
    decision_turn = emulator.requests[3]["messages"][-1]["content"]
    assert decision_turn[-1]["type"] == "tool_result"
    assert json.loads(decision_turn[-1]["content"])["decision"] == "Approved: run the $300 campaign"

    job_now = rt.store.get_job(job.job_id)
    assert job_now.state == "sleeping"
    assert redis_client.get(state_key(job.session_id)) == "sleeping"
    assert redis_client.get(wake_at_key(job.session_id)) == "2026-11-26T00:00:00Z"
    assert int(redis_client.get(budget_pct_key(job.session_id))) >= 90
    (schedule,) = cloud.schedules()
    assert schedule["Name"] == f"wake-{job.session_id}"
    fire_at = wake_fire_at(job.job_id, datetime(2026, 11, 26, tzinfo=UTC), clock.now)
    assert schedule["ScheduleExpression"] == f"at({fire_at:%Y-%m-%dT%H:%M:%S})"  # spread after midnight
    assert datetime(2026, 11, 26, tzinfo=UTC) <= fire_at < datetime(2026, 11, 26, 0, 5, tzinfo=UTC)
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert json.loads(schedule["Target"]["Input"]) == {"job_id": job.job_id, "session_id": job.session_id}
    assert schedule["Target"]["Arn"] == aws.get_att("WakeFunction", "Arn")

    # midnight: the scheduler fires the wake function, which enqueues the next step
    clock.set(datetime(2026, 11, 26, 0, 0, 1, tzinfo=UTC))
    assert cloud.fire(schedule) == {"woke": True}
    assert cloud.schedules() == []
    assert redis_client.get(state_key(job.session_id)) == "working"
    assert cloud.run_steps() == 1

    final = rt.store.get_job(job.job_id)
    assert final.state == "completed"
    assert final.summary.startswith("Demand is validated")
    assert final.model_calls == 5
    assert redis_client.get(state_key(job.session_id)) == "completed"
    assert redis_client.ttl(state_key(job.session_id)) <= 90000

    log = rt.store.events_after(job.job_id, 0)
    assert [e["event_id"] for e in log] == list(range(1, len(log) + 1))  # no gaps, no duplicates
    assert all(e["job_id"] == job.job_id for e in log)
    assert event_types(log) == [
        events.STATE_CHANGED,  # working
        *[events.STEP_COMPLETED, events.BUDGET_UPDATED] * 2,
        events.STEP_COMPLETED,
        events.BUDGET_UPDATED,
        events.STATE_CHANGED,  # waiting_for_input
        events.ESCALATION_RAISED,
        events.ESCALATION_RESOLVED,
        events.STATE_CHANGED,  # working
        events.STEP_COMPLETED,
        events.BUDGET_UPDATED,
        events.STATE_CHANGED,  # sleeping
        events.SLEEPING,
        events.STATE_CHANGED,  # working
        events.WOKE,
        events.STEP_COMPLETED,
        events.BUDGET_UPDATED,
        events.STATE_CHANGED,  # completed
        events.COMPLETED,
    ]
    states = [e["state"] for e in log if e["type"] == events.STATE_CHANGED]
    assert states == ["working", "waiting_for_input", "working", "sleeping", "working", "completed"]
    woke = next(e for e in log if e["type"] == events.WOKE)
    assert woke["budget_pct"] == 0  # a new budget day
    sleeping = next(e for e in log if e["type"] == events.SLEEPING)
    assert sleeping["wake_at"] == "2026-11-26T00:00:00Z"
    steps = [e for e in log if e["type"] == events.STEP_COMPLETED]
    assert [s["step"] for s in steps] == [0, 1, 2, 3, 4]
    assert sum(s["cost_usd"] for s in steps) == pytest.approx(float(final.cost_usd))
    expensive = steps[3]
    assert (expensive["input_tokens"], expensive["output_tokens"]) == (200000, 20000)
    assert expensive["cost_usd"] == pytest.approx(0.9)
