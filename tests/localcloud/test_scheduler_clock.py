"""The scheduler clock: every schedule of the template fires on the local clock (the wake's at(), the sweeper's
rate()), in-process, with the schedule's Input or the default notification."""

from __future__ import annotations

import json
import queue
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from localcloud.clock import LocalClock
from localcloud.scheduler_clock import SchedulerClock, due_time, rate_period
from localcloud.stack import Resources, functions, load_template, logical_ids, provision
from tests.localcloud.stack.support import REGION, ROOT

Calls = queue.Queue[tuple[str, dict[str, Any]]]


@pytest.fixture(scope="module")
def template() -> dict:
    return load_template(ROOT / "template.yaml")


@pytest.fixture
def stack(template: dict) -> Iterator[Resources]:
    with mock_aws():
        yield provision(template)


@pytest.fixture
def calls() -> Calls:
    return queue.Queue()


@pytest.fixture
def clock() -> LocalClock:
    return LocalClock()


@pytest.fixture
def scheduler(template: dict, stack: Resources, calls: Calls, clock: LocalClock) -> Iterator[SchedulerClock]:
    """Wired like `localcloud up` wires it: the template's groups, every function a target that records its calls."""

    def recorder(name: str):
        return lambda event, context: calls.put((name, event))

    targets = {stack.get_att(lid, "Arn"): (lid, recorder(lid)) for lid in functions(template)}
    groups = [stack.ref(g) for g in logical_ids(template, "AWS::Scheduler::ScheduleGroup")]
    running = SchedulerClock(boto3.client("scheduler", region_name=REGION), groups, targets, clock)
    yield running
    running.stop()


def invoked(calls: Calls) -> list[tuple[str, dict[str, Any]]]:
    """The invocations made so far (they run on the clock's pool: wait a little for each)."""
    out = []
    try:
        while True:
            out.append(calls.get(timeout=0.5))
    except queue.Empty:
        return out


def test_the_expressions_it_understands():
    assert rate_period("rate(5 minutes)") == timedelta(minutes=5)
    assert rate_period("rate(1 hour)") == timedelta(hours=1)
    assert rate_period("rate(2 days)") == timedelta(days=2)
    assert rate_period("rate(0 minutes)") is None
    assert rate_period("cron(0 12 * * ? *)") is None
    assert due_time("at(2026-11-26T00:03:07)", None).isoformat() == "2026-11-26T00:03:07+00:00"
    assert due_time("rate(5 minutes)", None) is None


def test_the_sweeper_rate_schedule_of_the_template_fires_every_five_minutes_of_local_time(scheduler, clock, calls):
    assert scheduler.tick() == 0  # first seen now: due five minutes later
    clock.advance(299)
    assert scheduler.tick() == 0
    clock.advance(2)
    assert scheduler.tick() == 1
    [(name, event)] = invoked(calls)
    assert name == "SweeperFunction"
    # no Input in the template: the default notification, as in events/sweeper_schedule.json
    assert event["source"] == "aws.scheduler" and event["detail-type"] == "Scheduled Event"
    assert event["resources"][0].endswith(":schedule/default/SweeperFunctionSweep")
    assert event["account"] and event["region"] == REGION
    assert scheduler.tick() == 0  # once per period
    clock.advance(300)
    assert scheduler.tick() == 1
    clock.advance(24 * 3600)  # a day's jump: one catching-up sweep, not 288
    assert scheduler.tick() == 1
    assert scheduler.tick() == 0
    clock.advance(300)
    assert scheduler.tick() == 1
    assert [name for name, _ in invoked(calls)] == ["SweeperFunction"] * 3
    assert scheduler.fired == ["SweeperFunctionSweep"] * 4


def test_a_wake_at_schedule_fires_once_with_its_input_and_is_deleted(scheduler, stack, clock, calls):
    client = boto3.client("scheduler", region_name=REGION)
    group = stack.ref("WakeScheduleGroup")
    scheduler.tick()  # the sweeper's schedule first seen: it is not due in the next 91 s
    due = (clock.now() + timedelta(seconds=90)).strftime("%Y-%m-%dT%H:%M:%S")
    client.create_schedule(
        Name="wake-job-1",
        GroupName=group,
        ScheduleExpression=f"at({due})",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={
            "Arn": stack.get_att("WakeFunction", "Arn"),
            "RoleArn": stack.get_att("SchedulerRole", "Arn"),
            "Input": json.dumps({"job_id": "job-1", "session_id": "session-1"}),
        },
    )
    assert scheduler.tick() == 0
    clock.advance(91)
    assert scheduler.tick() == 1
    assert invoked(calls) == [("WakeFunction", {"job_id": "job-1", "session_id": "session-1"})]
    assert client.list_schedules(GroupName=group)["Schedules"] == []
    assert scheduler.tick() == 0


def test_a_cron_schedule_is_not_run_and_does_not_stop_the_others(scheduler, stack, clock, calls):
    client = boto3.client("scheduler", region_name=REGION)
    client.create_schedule(
        Name="nightly",
        ScheduleExpression="cron(0 3 * * ? *)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": stack.get_att("SweeperFunction", "Arn"), "RoleArn": stack.get_att("SchedulerRole", "Arn")},
    )
    scheduler.tick()
    clock.advance(2 * 86400)
    assert scheduler.tick() == 1
    assert scheduler.fired == ["SweeperFunctionSweep"]


def test_a_disabled_rate_schedule_does_not_fire(scheduler, stack, clock, calls):
    client = boto3.client("scheduler", region_name=REGION)
    client.create_schedule(
        Name="paused",
        ScheduleExpression="rate(1 minute)",
        FlexibleTimeWindow={"Mode": "OFF"},
        State="DISABLED",
        Target={"Arn": stack.get_att("SweeperFunction", "Arn"), "RoleArn": stack.get_att("SchedulerRole", "Arn")},
    )
    scheduler.tick()
    clock.advance(301)
    scheduler.tick()
    assert scheduler.fired == ["SweeperFunctionSweep"]
