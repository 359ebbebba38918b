"""Faults on the local cloud: an overloaded / rate-limited model, a browser that vanished, and AWS calls failing
at the worst moments (the sweeper and the dead-letter function repair the jobs)."""

from __future__ import annotations

import json
import time
from datetime import datetime

import boto3
import httpx
import pytest

from cofounder.config import Settings
from cofounder.domain.budget import WAKE_SPREAD_S
from tests.e2e.conftest import SCENARIOS, start_cloud, stop_cloud
from tests.e2e.ws_client import EventStream


@pytest.fixture(scope="module")
def stormy(tmp_path_factory):
    running = start_cloud(SCENARIOS / "faults.json", tmp_path_factory.mktemp("faults") / "up.log")
    yield running
    stop_cloud(running)


def connections_of(cloud, job_id: str) -> list[str]:
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=f"http://127.0.0.1:{cloud.aws}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    items = dynamodb.scan(TableName="cofounder-ConnectionsTable")["Items"]
    return sorted(i["connection_id"]["S"] for i in items if i.get("job_id", {}).get("S") == job_id)


def test_the_session_completes_through_529s_and_a_429_and_a_vanished_client_is_dropped(stormy):
    founder = stormy.client("founder-1")
    token = stormy.token("founder-1")
    job = founder.post("/api/jobs", json={"goal": "Survive the storm", "daily_budget_usd": 5}).json()
    staying, leaving = EventStream(stormy.ws_url, token), EventStream(stormy.ws_url, token)
    staying.subscribe(job["job_id"])
    leaving.subscribe(job["job_id"])
    staying.wait_for("agent.step_completed")
    leaving.wait_for("agent.step_completed")
    assert len(connections_of(stormy, job["job_id"])) == 2
    leaving.connection.socket.close()  # the browser vanished without a close frame

    completed = staying.wait_for("agent.completed", timeout=60)
    assert completed["summary"] == "Weathered the storm."
    log = founder.get(f"/api/jobs/{job['job_id']}/events").json()["events"]
    assert staying.events() == log  # the remaining client got everything, once, in order
    assert [e["type"] for e in log].count("agent.step_completed") == 3
    assert "agent.error" not in [e["type"] for e in log]
    assert len(connections_of(stormy, job["job_id"])) == 1  # the vanished one was removed
    staying.close()


def test_an_injected_dynamodb_fault_fails_one_status_read_and_the_next_one_succeeds(stormy):
    founder = stormy.client("founder-2")
    job = founder.post("/api/jobs", json={"goal": "Read through a fault", "daily_budget_usd": 5}).json()
    status_url = f"/api/jobs/{job['job_id']}/status"
    deadline = time.monotonic() + 60
    while founder.get(status_url).json()["state"] == "working":  # no step may take the fault meanwhile
        assert time.monotonic() < deadline, "the job never settled"
        time.sleep(0.2)
    faults = f"http://127.0.0.1:{stormy.aws}/_local/faults"
    injected = httpx.post(faults, json={"service": "dynamodb", "operation": "GetItem", "retryable": False, "times": 1})
    assert injected.status_code == 201, injected.text
    listed = httpx.get(f"{stormy.api}/_local/faults").json()["faults"]  # the HTTP port answers the same API
    assert [(f["operation"], f["remaining"]) for f in listed] == [("GetItem", 1)]

    failed = founder.get(status_url)
    assert not failed.is_success, failed.text
    assert founder.get(status_url).status_code == 200
    assert httpx.get(faults).json() == {"faults": []}


# ---------------------------------------------------------------------------------------------------------
# Repairs, proven through injected AWS faults (the default scenario: plan, note, escalate, an expensive turn,
# finish). Each test has its own founder and waits for its job to settle, so a fault meant for its job is
# never spent by another one.
# ---------------------------------------------------------------------------------------------------------

SETTINGS = Settings.from_env({})
IDLE_S = SETTINGS.sweep_idle_s  # the sweeper re-sends the step of a working job idle longer than this
WAKE_GRACE_S = max(SETTINGS.sweep_wake_grace_s, WAKE_SPREAD_S + 60)  # ... and wakes a job overdue by this
TURNS = 5  # content turns of the default scenario: one model request each
PLAIN = ("TransactWriteItems", "Exception", "botocore", "arn:", "dynamodb", "Traceback")


def aws(cloud, service: str):
    return boto3.client(
        service,
        endpoint_url=f"http://127.0.0.1:{cloud.aws}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def inject(cloud, service: str, operation: str, times: int = 1) -> None:
    spec = {"service": service, "operation": operation, "retryable": False, "times": times}
    answer = httpx.post(f"http://127.0.0.1:{cloud.aws}/_local/faults", json=spec)
    assert answer.status_code == 201, answer.text


def active_faults(cloud) -> list[dict]:
    return httpx.get(f"http://127.0.0.1:{cloud.aws}/_local/faults").json()["faults"]


def model_turns(cloud, session_id: str) -> list[int]:
    """For each model request of the session, the turn it asked for (its count of assistant messages)."""
    answer = httpx.get(f"http://127.0.0.1:{cloud.model}/_local/model/requests")
    answer.raise_for_status()
    bodies = [r["body"] for r in answer.json()["requests"]]
    return sorted(
        sum(m["role"] == "assistant" for m in body["messages"])
        for body in bodies
        if (body.get("metadata") or {}).get("user_id") == session_id
    )


def status_of(founder, job_id: str) -> dict:
    answer = founder.get(f"/api/jobs/{job_id}/status")
    assert answer.status_code == 200, answer.text
    return answer.json()


def wait_for_state(founder, job_id: str, *states: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while (status := status_of(founder, job_id))["state"] not in states:
        assert time.monotonic() < deadline, f"job {job_id} is {status['state']}, never {states}"
        time.sleep(0.1)
    return status


def still_stuck(founder, job_id: str, steps: int, for_s: float = 1.5) -> None:
    """Nothing in flight: the job stays `working` at the same step (until the sweeper comes by)."""
    deadline = time.monotonic() + for_s
    while time.monotonic() < deadline:
        status = status_of(founder, job_id)
        assert (status["state"], status["steps"]) == ("working", steps), status
        time.sleep(0.1)


def run_to_the_end(founder, job_id: str, *, until: tuple[str, ...] = ("completed", "error")) -> dict:
    """Approve every escalation until the job reaches one of `until`; its status then."""
    deadline = time.monotonic() + 20
    while True:
        left = max(0.1, deadline - time.monotonic())
        status = wait_for_state(founder, job_id, "waiting_for_input", *until, timeout=left)
        if status["state"] != "waiting_for_input":
            return status
        resolve = f"/api/escalations/{status['pending_escalation']['escalation_id']}/resolve"
        assert founder.post(resolve, json={"decision": "Approved"}).status_code == 200


def event_log(founder, job_id: str) -> list[dict]:
    return founder.get(f"/api/jobs/{job_id}/events", params={"after": 0}).json()["events"]


def create(founder, goal: str, budget_usd: float = 5) -> dict:
    created = founder.post("/api/jobs", json={"goal": goal, "daily_budget_usd": budget_usd})
    assert created.status_code == 201, created.text
    return created.json()


def stuck_at_creation(cloud, founder, goal: str) -> dict:
    """A job whose first step message was never sent: created (201), then nothing in flight."""
    inject(cloud, "sqs", "SendMessage")
    job = create(founder, goal)
    assert active_faults(cloud) == []  # the create's send took the fault
    still_stuck(founder, job["job_id"], steps=0)
    return job


def test_a_create_whose_send_fails_is_201_and_the_sweeper_sends_its_step(cloud):
    founder = cloud.client("repair-create")
    job = stuck_at_creation(cloud, founder, "Survive a lost first message")
    cloud.advance(IDLE_S + 1)  # the sweeper runs every 5 minutes of local time
    final = run_to_the_end(founder, job["job_id"])
    assert (final["state"], final["steps"]) == ("completed", TURNS)
    assert model_turns(cloud, job["session_id"]) == list(range(TURNS))


def test_a_resolve_whose_send_fails_is_200_and_the_sweeper_resumes_the_job(cloud):
    founder = cloud.client("repair-resolve")
    job = create(founder, "Survive a lost resume")
    waiting = wait_for_state(founder, job["job_id"], "waiting_for_input")
    inject(cloud, "sqs", "SendMessage")
    resolve = f"/api/escalations/{waiting['pending_escalation']['escalation_id']}/resolve"
    assert founder.post(resolve, json={"decision": "Approved"}).status_code == 200
    assert active_faults(cloud) == []
    still_stuck(founder, job["job_id"], steps=waiting["steps"])
    cloud.advance(IDLE_S + 1)
    final = run_to_the_end(founder, job["job_id"])
    assert (final["state"], final["steps"]) == ("completed", TURNS)
    assert model_turns(cloud, job["session_id"]) == list(range(TURNS))


def test_a_commit_failing_after_a_paid_call_does_not_pay_for_it_again(cloud):
    founder = cloud.client("repair-commit")
    job = stuck_at_creation(cloud, founder, "Pay once")
    inject(cloud, "dynamodb", "TransactWriteItems")  # the next commit is the first step's, after its model call
    cloud.advance(IDLE_S + 1)
    final = run_to_the_end(founder, job["job_id"])
    assert active_faults(cloud) == []
    assert (final["state"], final["steps"]) == ("completed", TURNS)
    assert model_turns(cloud, job["session_id"]) == list(range(TURNS))  # the first step's call made once
    assert "agent.error" not in [e["type"] for e in event_log(founder, job["job_id"])]


def test_a_step_failing_on_every_delivery_fails_its_job_plainly_and_settles_its_reservation(cloud):
    founder = cloud.client("repair-doomed")
    queue_url = aws(cloud, "sqs").get_queue_url(QueueName="cofounder-StepQueue.fifo")["QueueUrl"]
    redrive = aws(cloud, "sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])
    deliveries = int(json.loads(redrive["Attributes"]["RedrivePolicy"])["maxReceiveCount"])
    job = stuck_at_creation(cloud, founder, "Fail for good")
    inject(cloud, "dynamodb", "TransactWriteItems", times=deliveries)  # every delivery's commit fails
    try:
        cloud.advance(IDLE_S + 1)
        final = wait_for_state(founder, job["job_id"], "error", "completed", timeout=25)
    finally:
        httpx.delete(f"http://127.0.0.1:{cloud.aws}/_local/faults")
    assert final["state"] == "error"
    assert model_turns(cloud, job["session_id"]) == [0]  # paid once, however often it was delivered
    [error] = [e for e in event_log(founder, job["job_id"]) if e["type"] == "agent.error"]
    assert error["message"] and not [word for word in PLAIN if word.lower() in error["message"].lower()], error
    # the paid call's reservation is settled at its real cost, none left open
    ledger = aws(cloud, "dynamodb").query(
        TableName="cofounder-AgentTable",
        KeyConditionExpression="pk = :pk AND begins_with(sk, :spend)",
        ExpressionAttributeValues={":pk": {"S": "OWNER#repair-doomed"}, ":spend": {"S": "SPEND#"}},
    )["Items"]
    assert len(ledger) == 1, ledger
    assert not [name for name in ledger[0] if name.startswith("r:")], ledger
    assert float(ledger[0]["spent"]["N"]) == pytest.approx(final["cost_usd"]) and final["cost_usd"] > 0
    assert float(ledger[0]["used"]["N"]) == pytest.approx(final["cost_usd"])


def test_a_sleep_whose_schedule_fails_still_wakes(cloud):
    founder = cloud.client("repair-wake")
    job = create(founder, "Wake without a schedule", budget_usd=1)
    waiting = wait_for_state(founder, job["job_id"], "waiting_for_input")
    inject(cloud, "scheduler", "CreateSchedule")
    resolve = f"/api/escalations/{waiting['pending_escalation']['escalation_id']}/resolve"
    assert founder.post(resolve, json={"decision": "Approved"}).status_code == 200
    sleeping = wait_for_state(founder, job["job_id"], "sleeping")
    assert active_faults(cloud) == []  # the sleep's CreateSchedule took it: no wake is scheduled
    groups = aws(cloud, "scheduler").list_schedules(GroupName="cofounder-wake")["Schedules"]
    assert [s["Name"] for s in groups] == []
    now = datetime.fromisoformat(httpx.get(f"{cloud.api}/_local/clock").json()["now"])
    wake_at = datetime.fromisoformat(sleeping["wake_at"].replace("Z", "+00:00"))
    cloud.advance((wake_at - now).total_seconds() + WAKE_GRACE_S + 60)  # overdue: the sweeper wakes it
    final = wait_for_state(founder, job["job_id"], "completed", "error")
    assert (final["state"], final["steps"]) == ("completed", TURNS)
    assert "agent.woke" in [e["type"] for e in event_log(founder, job["job_id"])]


def test_a_dead_lettered_step_fails_its_job_through_the_fifo_dead_letter_queue(cloud):
    founder = cloud.client("repair-dead-step")
    job = stuck_at_creation(cloud, founder, "Die in the queue")
    sqs = aws(cloud, "sqs")
    dlq = sqs.get_queue_url(QueueName="cofounder-StepDeadLetterQueue.fifo")["QueueUrl"]
    sqs.send_message(
        QueueUrl=dlq,
        MessageBody=json.dumps({"job_id": job["job_id"], "step": 0}),
        MessageGroupId=job["job_id"],
        MessageDeduplicationId=f"{job['job_id']}-0",
    )
    final = wait_for_state(founder, job["job_id"], "error", "completed")
    assert final["state"] == "error"
    [error] = [e for e in event_log(founder, job["job_id"]) if e["type"] == "agent.error"]
    assert "could not finish a step" in error["message"]
    assert model_turns(cloud, job["session_id"]) == []  # nothing was paid for


def test_a_dead_lettered_wake_wakes_its_job_through_the_standard_dead_letter_queue(cloud):
    founder = cloud.client("repair-dead-wake")
    job = create(founder, "Wake from the dead letters", budget_usd=1)
    final = run_to_the_end(founder, job["job_id"], until=("sleeping", "completed", "error"))
    assert final["state"] == "sleeping"
    sqs = aws(cloud, "sqs")
    dlq = sqs.get_queue_url(QueueName="cofounder-WakeDeadLetterQueue")["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"job_id": job["job_id"], "session_id": job["session_id"]}))
    deadline = time.monotonic() + 20
    while "agent.woke" not in [e["type"] for e in event_log(founder, job["job_id"])]:
        assert time.monotonic() < deadline, "the dead-lettered wake never woke the job"
        time.sleep(0.1)
