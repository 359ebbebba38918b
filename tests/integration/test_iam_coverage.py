"""The functions' IAM tables (tests/support/iam_needs.py) against the code they run.

Every handler runs through the paths that reach each AWS call of the code; every call is recorded (a botocore hook
on every client the handlers build; the WebSocket pushes from the management API's request log) and attributed to
the function whose handler made it. Then:

- every call a function made is in its table, and its role in the template allows it (the very ARN it called);
- every entry of a function's table was called (the table claims nothing the code does not do);
- every boto3 operation in the source (layers/cofounder, functions/) was called by some function: a new AWS call
  cannot hide from these scenarios, the path that reaches it needs a scenario here and an entry in the table.

Each function runs as its own container: the runtime is rebuilt whenever another function's handler runs. Redis is
off (REDIS_URL empty), so every subscriber lookup reaches DynamoDB (the most a function can call); the Anthropic
key comes from Secrets Manager as on AWS; LARGE_RESULT_BYTES is 1 KB, so large messages, journaled answers and a
resolve's held results go to S3.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError

from cofounder.adapters.dynamo_items import JOB_SK, job_pk
from cofounder.bootstrap import build_runtime, runtime
from cofounder.config import Settings
from cofounder.domain.budget import WAKE_SPREAD_S, day_key, reservation_key
from localcloud.handlers import load_handler
from localcloud.lambda_context import LocalLambdaContext
from localcloud.lambda_events import failed_message_ids, sqs_event
from tests.support.agent import ESCALATE, FINISH, OWNER, note, text_turn, tool_turn
from tests.support.api import call_http, call_ws, http_event, sample, ws_event
from tests.support.cloud import REGION, agent_step_handler, wake_handler
from tests.support.iam_calls import CallRecorder, operations_in_source
from tests.support.iam_coverage import calls_against_tables, source_against_calls

LARGE = "x" * 1500  # over LARGE_RESULT_BYTES
MODEL = "claude-haiku-4-5"


class FaultInjector:
    """`fail_next("TransactWriteItems")`: the next such call of any client created from now on fails."""

    def __init__(self) -> None:
        self.pending: dict[str, int] = {}

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        create_client = botocore.session.Session.create_client

        def with_faults(session: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
            client = create_client(session, *args, **kwargs)
            client.meta.events.register("before-call.*.*", self._inject)
            return client

        monkeypatch.setattr(botocore.session.Session, "create_client", with_faults)

    def fail_next(self, operation: str) -> None:
        self.pending[operation] = self.pending.get(operation, 0) + 1

    def _inject(self, model: Any, **_: Any) -> None:
        if self.pending.get(model.name):
            self.pending[model.name] -= 1
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, model.name)


class Functions:
    """The template's functions, invoked the way their AWS triggers invoke them, one at a time; and what the
    scenarios steer: the model emulator, the management API (gone connections), injected faults, the clock."""

    def __init__(self, recorder: CallRecorder, resources: Any, **steering: Any) -> None:
        self.recorder = recorder
        self.token = steering["token"]
        self.emulator, self.management = steering["emulator"], steering["management"]
        self.faults, self.clock = steering["faults"], steering["clock"]
        self.resources = resources
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.scheduler = boto3.client("scheduler", region_name=REGION)
        self.s3 = boto3.client("s3", region_name=REGION)
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.queue_url = resources.ref("StepQueue")
        self.queue_arn = resources.get_att("StepQueue", "Arn")
        self.group = resources.ref("WakeScheduleGroup")
        self.last_receipt = ""
        self._container: str | None = None

    @contextmanager
    def running(self, function_id: str) -> Iterator[None]:
        if function_id != self._container:
            runtime.cache_clear()  # another function: another container, built on its first call
            self._container = function_id
        with self.recorder.as_function(function_id):
            yield

    # HttpApiFunction: API Gateway's HTTP API

    def http(self, name: str, **kwargs: Any) -> Any:
        with self.running("HttpApiFunction"):
            status, body = call_http(http_event(name, **kwargs))
        assert status in (200, 201), (name, status, body)
        return body

    def create_job(self, budget: float = 10) -> dict[str, Any]:
        body = {"goal": "Find product-market fit", "daily_budget_usd": budget, "model": MODEL}
        return self.http("http_create_job.json", body=body)

    # WebSocketFunction: API Gateway's WebSocket API

    def ws(self, name: str, connection_id: str, **kwargs: Any) -> None:
        with self.running("WebSocketFunction"):
            status = call_ws(ws_event(name, connection_id, **kwargs))["statusCode"]
        assert status == 200, (name, connection_id, status)

    def watch(self, job_id: str, *connection_ids: str) -> None:
        for connection_id in connection_ids:
            self.ws("ws_connect.json", connection_id, token=self.token())
            self.ws("ws_subscribe.json", connection_id, body={"action": "subscribe", "job_id": job_id, "after": 0})

    # AgentStepFunction: the SQS event source mapping

    def step(self) -> dict[str, Any]:
        """Deliver the next step message; delete it when it succeeded, as the event source mapping does."""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=1, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        assert messages, "no step message to deliver"
        self.last_receipt = messages[0]["ReceiptHandle"]
        with self.running("AgentStepFunction"):
            response = agent_step_handler()(sqs_event(messages, self.queue_arn, REGION), LocalLambdaContext("step"))
        if not failed_message_ids(response):
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=self.last_receipt)
        return response

    def run_steps(self, limit: int = 10) -> None:
        for _ in range(limit):
            waiting = self.sqs.get_queue_attributes(
                QueueUrl=self.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]["ApproximateNumberOfMessages"]
            if waiting == "0":
                return
            self.step()
        raise AssertionError(f"still stepping after {limit} steps")

    # WakeFunction: the wake schedules' target

    def fire_schedules(self) -> None:
        for summary in self.scheduler.list_schedules(GroupName=self.group)["Schedules"]:
            schedule = self.scheduler.get_schedule(Name=summary["Name"], GroupName=self.group)
            with self.running("WakeFunction"):
                wake_handler()(json.loads(schedule["Target"]["Input"]), LocalLambdaContext("wake"))
            self.scheduler.delete_schedule(Name=schedule["Name"], GroupName=self.group)

    # SweeperFunction: its schedule (every five minutes)

    def sweep(self) -> dict[str, int]:
        event = {**sample("sweeper_schedule.json"), "time": self.clock.now.strftime("%Y-%m-%dT%H:%M:%SZ")}
        with self.running("SweeperFunction"):
            return load_handler("functions/sweeper")(event, LocalLambdaContext("sweeper"))

    # DeadLetterFunction: the step queue's and the wake's dead-letter queues (SQS event sources)

    def dead_letter_waiting_steps(self) -> list[str]:
        """What SQS does with the step messages after their last delivery: moves them to the step DLQ. Their
        bodies, as the dead-letter function receives them."""
        bodies = []
        while messages := self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages"):
            for message in messages:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
                bodies.append(message["Body"])
        return bodies

    def dead_letters(self, queue_id: str, *bodies: str) -> None:
        """Deliver `bodies` from the dead-letter queue `queue_id` (its record of events/dead_letter_sqs.json)."""
        (record,) = [r for r in sample("dead_letter_sqs.json")["Records"] if queue_id in r["eventSourceARN"]]
        records = [
            {
                **record,
                "messageId": f"dead-letter-{i}",
                "body": body,
                "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
                "eventSourceARN": self.resources.get_att(queue_id, "Arn"),
            }
            for i, body in enumerate(bodies)
        ]
        with self.running("DeadLetterFunction"):
            response = load_handler("functions/dead_letters")({"Records": records}, LocalLambdaContext("dead_letters"))
        assert response == {"batchItemFailures": []}

    # What the scenarios check, read outside any function

    def state(self, job_id: str) -> str | None:
        """The job's state as committed (None: the job is gone)."""
        key = {"pk": {"S": job_pk(job_id)}, "sk": {"S": JOB_SK}}
        item = self.dynamodb.get_item(TableName=self.resources.ref("AgentTable"), Key=key).get("Item")
        return item["state"]["S"] if item else None

    def objects_of(self, job_id: str) -> int:
        bucket = self.resources.ref("PayloadBucket")
        return self.s3.list_objects_v2(Bucket=bucket, Prefix=f"jobs/{job_id}/")["KeyCount"]


# ---------------------------------------------------------------------------------------------------------
# The scenarios: between them, every AWS call of the code, by every function that can make it. A new function
# (or a new path to an AWS call) gets a scenario in SCENARIOS and its calls in tests/support/iam_needs.py.
# ---------------------------------------------------------------------------------------------------------


def escalation_resolved_with_large_held_results(fns: Functions) -> None:
    """A watched job writes a large note, then escalates while holding a large tool result; the founder reads
    every route and resolves (the decision with the held results goes to S3); the next step, in a new container,
    reads the large messages back from S3. A watcher has gone at the first step, another at the resolve."""
    emulator, management = fns.emulator, fns.management
    read_and_escalate = {
        "content": [
            {"type": "tool_use", "name": "read_notes", "input": {}},
            {"type": "tool_use", "name": "escalate_to_founder", "input": ESCALATE["content"][1]["input"]},
        ]
    }
    emulator.set_scenario({"turns": [tool_turn("save_note", {"key": "k", "text": LARGE}), read_and_escalate, FINISH]})
    job = fns.create_job()
    job_path = {"job_id": job["job_id"]}
    fns.watch(job["job_id"], "watcher", "gone-at-step", "gone-at-resolve")
    management.gone |= {"gone-at-step"}
    fns.step()  # the large note: its message and its journaled answer to S3
    fns.step()  # escalates, holding read_notes' large result
    fns.http("http_list_jobs.json")
    fns.http("http_job_status.json", path=job_path)
    fns.http("http_job_events.json", path=job_path, query={"after": "0"})
    fns.http("http_openapi.json")
    (escalation,) = fns.http("http_list_escalations.json", path=job_path)["escalations"]
    management.gone |= {"gone-at-resolve"}
    fns.http(
        "http_resolve_escalation.json", path={"escalation_id": escalation["escalation_id"]}, body={"decision": "Go"}
    )
    fns.run_steps()
    fns.ws("ws_subscribe.json", "watcher", body={"action": "unsubscribe", "job_id": job["job_id"]})
    fns.ws("ws_disconnect.json", "watcher")


def a_failed_commit_comes_back_soon_and_resumes_from_the_journal(fns: Functions) -> None:
    """A large answer is journaled to S3; the commit fails and the message comes back within seconds; the redelivery
    reads the answer back from the journal (and S3) instead of calling the model again."""
    fns.emulator.set_scenario({"turns": [text_turn("Thinking out loud. " + LARGE), FINISH]})
    fns.create_job()
    fns.faults.fail_next("TransactWriteItems")
    assert failed_message_ids(fns.step())
    fns.sqs.change_message_visibility(  # the few seconds the step asked for have passed
        QueueUrl=fns.queue_url, ReceiptHandle=fns.last_receipt, VisibilityTimeout=0
    )
    fns.run_steps()


def sleeps_until_the_budget_refreshes_and_wakes(fns: Functions) -> None:
    """Two watched jobs spend their budget and sleep, the second one while its session's schedule still exists (at
    another time: it is moved); the schedules fire the wake function; one watcher has gone by then."""
    for i in range(2):
        fns.emulator.set_scenario({"turns": [note(0, usage={"input_tokens": 1_000_000}), FINISH]})  # haiku: $1
        job = fns.create_job(budget=1)
        if i == 1:
            fns.scheduler.create_schedule(
                Name=f"wake-{job['session_id']}",
                GroupName=fns.group,
                ScheduleExpression="at(2026-11-30T00:00:00)",
                FlexibleTimeWindow={"Mode": "OFF"},
                Target={"Arn": "arn:aws:lambda:us-east-1:123456789012:function:f", "RoleArn": "arn:aws:iam::1:role/r"},
            )
        fns.watch(job["job_id"], f"sleeper-{i}")
        fns.step()
    fns.clock.set(datetime(2026, 11, 26, 0, 10, tzinfo=UTC))
    fns.management.gone |= {"sleeper-1"}
    fns.fire_schedules()
    fns.run_steps()


def the_sweeper_repairs_stuck_jobs_and_purges_expired_ones(fns: Functions) -> None:
    """A finished job with S3 objects, a job asleep whose wake schedule could not be made and a job whose first step
    was never sent; the clock moves past retention (and so past the wake's grace and the idle threshold): the sweeper
    sends the idle job's step again, wakes the sleeper (a watcher has gone by then) and purges the finished job, its
    items and objects."""
    fns.clock.set(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    fns.emulator.set_scenario({"turns": [tool_turn("save_note", {"key": "k", "text": LARGE}), FINISH]})
    finished = fns.create_job()
    fns.run_steps()
    assert fns.state(finished["job_id"]) == "completed" and fns.objects_of(finished["job_id"]) > 0

    fns.emulator.set_scenario({"turns": [note(0, usage={"input_tokens": 1_000_000}), FINISH]})  # haiku: $1
    sleeper = fns.create_job(budget=1)
    fns.watch(sleeper["job_id"], "sweeper-watcher", "gone-at-sweep")
    fns.faults.fail_next("CreateSchedule")
    fns.step()
    assert fns.state(sleeper["job_id"]) == "sleeping"
    fns.faults.fail_next("SendMessage")
    idle = fns.create_job()  # answered, its first step lost

    settings = Settings.from_env()  # the sweeper's
    past = max(
        timedelta(days=settings.retention_days),  # the finished job expired
        timedelta(days=1, seconds=WAKE_SPREAD_S + settings.sweep_wake_grace_s),  # the sleeper's wake overdue
        timedelta(seconds=settings.sweep_idle_s),  # the idle job's step lost
    )
    fns.clock.advance(seconds=past.total_seconds() + 1)
    fns.management.gone |= {"gone-at-sweep"}
    report = fns.sweep()
    assert min(report.values()) >= 1, report  # (the earlier scenarios' jobs count too)
    assert fns.state(sleeper["job_id"]) == "working"
    assert fns.state(finished["job_id"]) is None and fns.objects_of(finished["job_id"]) == 0
    fns.run_steps()
    assert fns.state(idle["job_id"]) == "completed"


def dead_letters_fail_a_dead_step_and_wake_a_lost_wake(fns: Functions) -> None:
    """Two step messages reach the step DLQ: one of a job whose large answer was journaled before its commits failed
    (its reservation settled from the journal, read back from S3), one of a job whose step died mid-call (its open
    reservation released); both jobs fail, a watcher has gone by then. Then a sleeping job's wake reaches the wake
    DLQ instead of the wake function: the dead-letter function wakes it."""
    fns.clock.set(datetime.combine(fns.clock.now.date() + timedelta(days=1), time(12, 0), UTC))  # a day unspent
    fns.emulator.set_scenario({"turns": [text_turn("Thinking out loud. " + LARGE), FINISH]})
    journaled = fns.create_job()
    fns.watch(journaled["job_id"], "dead-letter-watcher", "gone-at-dead-letter")
    fns.faults.fail_next("TransactWriteItems")
    assert failed_message_ids(fns.step())
    fns.sqs.change_message_visibility(QueueUrl=fns.queue_url, ReceiptHandle=fns.last_receipt, VisibilityTimeout=0)
    died = fns.create_job()
    key = reservation_key(died["job_id"], 0)
    build_runtime(Settings.from_env()).store.reserve(OWNER, day_key(fns.clock.now), key, Decimal("0.5"), Decimal(10))
    fns.management.gone |= {"gone-at-dead-letter"}
    dead = fns.dead_letter_waiting_steps()
    assert sorted(json.loads(body)["job_id"] for body in dead) == sorted([journaled["job_id"], died["job_id"]])
    fns.dead_letters("StepDeadLetterQueue", *dead)
    assert fns.state(journaled["job_id"]) == fns.state(died["job_id"]) == "error"

    fns.emulator.set_scenario({"turns": [note(0, usage={"input_tokens": 1_000_000}), FINISH]})  # haiku: $1
    sleeper = fns.create_job(budget=1)
    fns.step()
    name = f"wake-{sleeper['session_id']}"
    wake_payload = fns.scheduler.get_schedule(Name=name, GroupName=fns.group)["Target"]["Input"]
    fns.scheduler.delete_schedule(Name=name, GroupName=fns.group)  # the scheduler gave up: its DLQ has the payload
    fns.clock.set(datetime.combine(fns.clock.now.date() + timedelta(days=1), time(0, 10), UTC))
    fns.dead_letters("WakeDeadLetterQueue", wake_payload)
    assert fns.state(sleeper["job_id"]) == "working"
    fns.run_steps()
    assert fns.state(sleeper["job_id"]) == "completed"


SCENARIOS = (
    escalation_resolved_with_large_held_results,
    a_failed_commit_comes_back_soon_and_resumes_from_the_journal,
    sleeps_until_the_budget_refreshes_and_wakes,
    the_sweeper_repairs_stuck_jobs_and_purges_expired_ones,
    dead_letters_fail_a_dead_step_and_wake_a_lost_wake,
)


@pytest.fixture
def recorder(aws, management_server, monkeypatch, token, emulator, clock) -> CallRecorder:
    """Every scenario run through the handlers, and what each function called."""
    monkeypatch.setenv("REDIS_URL", "")
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.setenv("LARGE_RESULT_BYTES", "1024")
    recorder = CallRecorder(aws.region, aws.account_id, management_server, aws.ref("WebSocketApi"))
    recorder.install(monkeypatch)
    faults = FaultInjector()
    faults.install(monkeypatch)
    fns = Functions(
        recorder, aws, token=token, emulator=emulator, management=management_server, faults=faults, clock=clock
    )
    for scenario in SCENARIOS:
        scenario(fns)
    runtime.cache_clear()
    return recorder


def test_every_function_calls_exactly_what_its_table_lists_and_its_role_allows(recorder, template, aws):
    problems = recorder.unmapped + source_against_calls(operations_in_source(), recorder.calls)
    problems += calls_against_tables(recorder.calls, template, aws)
    assert not problems, "\n".join(problems)
