"""events/*.json invoke the real handlers in-process (what `sam local invoke -e` would do)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from localcloud.lambda_context import LocalLambdaContext
from tests.support.agent import FINISH, note, start, step
from tests.support.cloud import ROOT, agent_step_handler, wake_handler


def load(name: str) -> dict:
    return json.loads((ROOT / "events" / name).read_text())


def test_agent_step_sample_event_for_an_unknown_job_is_a_clean_no_op(aws):
    assert agent_step_handler()(load("agent_step_sqs.json"), LocalLambdaContext("agent_step")) == {
        "batchItemFailures": []
    }


def test_agent_step_sample_event_runs_the_step(rt, aws, emulator, clock):
    job = start(rt, emulator, [note(0), FINISH])
    event = load("agent_step_sqs.json")
    event["Records"][0]["body"] = json.dumps({"job_id": job.job_id, "step": 0})
    assert agent_step_handler()(event, LocalLambdaContext("agent_step")) == {"batchItemFailures": []}
    assert rt.store.get_job(job.job_id).model_calls == 1


def test_a_poison_message_is_dropped_not_retried(aws):
    event = load("agent_step_sqs.json")
    event["Records"][0]["body"] = "not json"
    assert agent_step_handler()(event, LocalLambdaContext("agent_step")) == {"batchItemFailures": []}


def test_a_failing_step_is_reported_for_redelivery(aws, monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "no-such-table")
    from cofounder.bootstrap import runtime

    runtime.cache_clear()
    event = load("agent_step_sqs.json")
    response = agent_step_handler()(event, LocalLambdaContext("agent_step"))
    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}


def test_wake_sample_event(rt, aws, emulator, clock):
    assert wake_handler()(load("wake_schedule.json"), LocalLambdaContext("wake")) == {"woke": False}
    assert wake_handler()({"unexpected": 1}, LocalLambdaContext("wake")) == {"woke": False}
    job = start(rt, emulator, [note(0, usage={"input_tokens": 1_000_000}), FINISH], budget="1")
    step(rt, job.job_id)
    clock.set(datetime(2026, 11, 26, 0, 0, 5, tzinfo=UTC))
    event = {**load("wake_schedule.json"), "job_id": job.job_id, "session_id": job.session_id}
    assert wake_handler()(event, LocalLambdaContext("wake")) == {"woke": True}
    assert rt.store.get_job(job.job_id).state == "working"
